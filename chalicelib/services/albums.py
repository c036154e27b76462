"""Albums: create, browse, edit, fill, share with users as editor or viewer, delete.

Each method asks chalicelib.services.access first, then acts (Immich's AlbumService shape).
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

from chalicelib import errors
from chalicelib.repositories.albums import AlbumPage, AlbumRepository, ids_in_order
from chalicelib.repositories.users import UserRepository
from chalicelib.schemas import albums as s
from chalicelib.schemas.base import BulkIdResponse
from chalicelib.services.access import AccessService, Perm, Principal
from chalicelib.services.assets import to_summaries
from chalicelib.services.auth import AuthUser


def to_album(row: dict[str, Any], assets: list[dict[str, Any]] | None = None) -> s.AlbumResponse:
    """The album, with its assets as lists show them: summaries, which carry no pipeline
    stages, so a member or a link visitor sees nothing of the owner's pipeline messages."""
    members = row["album_users"]
    return s.AlbumResponse(
        id=row["id"],
        owner_id=row["owner_id"],
        owner=row["owner"],
        album_name=row["album_name"],
        description=row["description"],
        album_thumbnail_asset_id=row["album_thumbnail_asset_id"],
        album_users=members,
        shared=bool(members) or row["has_shared_link"],
        has_shared_link=row["has_shared_link"],
        asset_count=row["asset_count"],
        assets=to_summaries(assets or []),
        start_date=row["start_date"],
        end_date=row["end_date"],
        created_at=row["created_at"],
        updated_at=row["updated_at"],
    )


class AlbumService:
    def __init__(
        self, albums: AlbumRepository, users: UserRepository, access: AccessService
    ) -> None:
        self._albums = albums
        self._users = users
        self._access = access

    def create(self, auth: AuthUser, dto: s.CreateAlbumRequest) -> s.AlbumResponse:
        self._check_members(auth, dto.album_users)
        album_id = self._albums.create(auth.id, dto.album_name, dto.description)
        for member in dto.album_users:
            self._albums.set_member(album_id, member.user_id, member.role)
        if dto.asset_ids:
            shareable = self._access.check(auth, Perm.ASSET_SHARE, dto.asset_ids)
            self._albums.add_assets(album_id, ids_in_order(dto.asset_ids, shareable), auth.id)
        return self.get(auth, album_id)

    def list_for(self, auth: AuthUser, query: s.AlbumListQuery) -> list[s.AlbumResponse]:
        page = AlbumPage(
            asset_id=query.asset_id,
            limit=query.size,
            offset=(query.page - 1) * query.size if query.size else 0,
        )
        if query.shared is None:
            rows = self._albums.list_owned(auth.id, page)
        elif query.shared:
            rows = self._albums.list_shared(auth.id, page)
        else:
            rows = self._albums.list_not_shared(auth.id, page)
        return [to_album(r) for r in rows]

    def get(self, who: Principal, album_id: UUID, *, with_assets: bool = True) -> s.AlbumResponse:
        self._access.require(who, Perm.ALBUM_READ, album_id)
        row = self._load(album_id)
        assets = self._albums.assets(album_id, s.ALBUM_ASSETS_MAX) if with_assets else None
        return to_album(row, assets)

    def update(self, auth: AuthUser, album_id: UUID, dto: s.UpdateAlbumRequest) -> s.AlbumResponse:
        self._access.require(auth, Perm.ALBUM_UPDATE, album_id)
        changes = dto.model_dump(exclude_unset=True)
        if changes.get("album_name") is None:
            changes.pop("album_name", None)
        if changes.get("description") is None:
            changes.pop("description", None)
        cover = changes.get("album_thumbnail_asset_id")
        if cover is not None and not self._albums.asset_ids(album_id, [cover]):
            raise errors.BadRequest(
                "The cover must be one of the album's assets",
                details=[{"field": "albumThumbnailAssetId", "message": "not in this album"}],
            )
        if changes:
            self._albums.update(album_id, changes)
        return self.get(auth, album_id, with_assets=False)

    def delete(self, auth: AuthUser, album_id: UUID) -> None:
        self._access.require(auth, Perm.ALBUM_DELETE, album_id)
        self._albums.delete(album_id)

    # --- assets -------------------------------------------------------------------------
    def add_assets(self, who: Principal, album_id: UUID, ids: list[UUID]) -> list[BulkIdResponse]:
        self._access.require(who, Perm.ALBUM_ADD_ASSET, album_id)
        present = self._albums.asset_ids(album_id, ids)
        shareable = self._access.check(who, Perm.ASSET_SHARE, set(ids) - present)
        added_by = who.id if isinstance(who, AuthUser) else None
        added = self._albums.add_assets(album_id, ids_in_order(ids, shareable), added_by)
        results = []
        for asset_id in dict.fromkeys(ids):
            if asset_id in added:
                results.append(BulkIdResponse(id=asset_id, success=True))
            elif asset_id in present or asset_id in shareable:
                results.append(BulkIdResponse(id=asset_id, success=False, error="duplicate"))
            else:
                # Not yours to share (partners, members only read), or no such asset: alike.
                results.append(BulkIdResponse(id=asset_id, success=False, error="no_permission"))
        return results

    def remove_assets(
        self, auth: AuthUser, album_id: UUID, ids: list[UUID]
    ) -> list[BulkIdResponse]:
        self._access.require(auth, Perm.ALBUM_REMOVE_ASSET, album_id)
        removed = self._albums.remove_assets(album_id, ids)
        return [
            BulkIdResponse(id=i, success=True)
            if i in removed
            else BulkIdResponse(id=i, success=False, error="not_found")
            for i in dict.fromkeys(ids)
        ]

    # --- members ------------------------------------------------------------------------
    def add_users(self, auth: AuthUser, album_id: UUID, dto: s.AddUsersRequest) -> s.AlbumResponse:
        self._access.require(auth, Perm.ALBUM_SHARE, album_id)
        self._check_members(auth, dto.album_users)
        for member in dto.album_users:
            self._albums.set_member(album_id, member.user_id, member.role)
        return self.get(auth, album_id, with_assets=False)

    def update_user(
        self, auth: AuthUser, album_id: UUID, user_id: UUID, dto: s.UpdateAlbumUserRequest
    ) -> None:
        self._access.require(auth, Perm.ALBUM_SHARE, album_id)
        if not self._is_member(album_id, user_id):
            raise errors.NotFound("That user is not a member of this album")
        self._albums.set_member(album_id, user_id, dto.role)

    def remove_user(self, auth: AuthUser, album_id: UUID, user_id: UUID) -> None:
        """The owner removes anyone; a member may leave (``userId`` = their own id or me)."""
        if user_id != auth.id:
            self._access.require(auth, Perm.ALBUM_SHARE, album_id)
        else:
            self._access.require(auth, Perm.ALBUM_READ, album_id)
            if self._load(album_id)["owner_id"] == auth.id:
                raise errors.BadRequest("The owner cannot leave their own album")
        if not self._albums.remove_member(album_id, user_id):
            raise errors.NotFound("That user is not a member of this album")

    # --- helpers ------------------------------------------------------------------------
    def _check_members(self, auth: AuthUser, members: list[s.AlbumUserItem]) -> None:
        for i, member in enumerate(members):
            if member.user_id == auth.id:
                raise errors.BadRequest(
                    "You cannot share an album with yourself",
                    details=[{"field": f"albumUsers.{i}.userId", "message": "the owner"}],
                )
            if self._users.get(member.user_id) is None:
                raise errors.BadRequest(
                    "No such user",
                    details=[{"field": f"albumUsers.{i}.userId", "message": "unknown user"}],
                )

    def _is_member(self, album_id: UUID, user_id: UUID) -> bool:
        row = self._load(album_id)
        return any(str(m["user"]["id"]) == str(user_id) for m in row["album_users"])

    def _load(self, album_id: UUID) -> dict[str, Any]:
        row = self._albums.get(album_id)
        if row is None:
            raise errors.NotFound("Album not found")
        return row
