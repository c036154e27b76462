"""Album activity: likes and comments by the album's owner and members (Immich's
``/api/activities``). Everyone who may see the album may read and add to it; an activity is
deleted by its author or by the album's owner."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from chalicelib import errors
from chalicelib.repositories.activities import ActivityRepository
from chalicelib.repositories.albums import AlbumRepository
from chalicelib.schemas import activities as s
from chalicelib.schemas.accounts import UserSummary
from chalicelib.services.access import AccessService, Perm
from chalicelib.services.auth import AuthUser


def to_response(row: dict[str, Any]) -> s.ActivityResponse:
    return s.ActivityResponse(
        id=row["id"],
        created_at=row["created_at"],
        type="like" if row["is_liked"] else "comment",
        user=UserSummary(id=row["user_id"], name=row["user_name"], email=row["user_email"]),
        asset_id=row["asset_id"],
        comment=row["comment"],
    )


class ActivityService:
    def __init__(
        self, repo: ActivityRepository, albums: AlbumRepository, access: AccessService
    ) -> None:
        self._repo = repo
        self._albums = albums
        self._access = access

    def list(self, auth: AuthUser, query: s.ActivityQuery) -> list[s.ActivityResponse]:
        self._access.require(auth, Perm.ALBUM_READ, query.album_id)
        filters = query.model_dump(exclude={"album_id"}, exclude_none=True)
        return [to_response(r) for r in self._repo.search(query.album_id, filters)]

    def create(
        self, auth: AuthUser, dto: s.ActivityCreateRequest
    ) -> tuple[s.ActivityResponse, bool]:
        """(the activity, whether it is new): a second like answers the first."""
        self._access.require(auth, Perm.ALBUM_READ, dto.album_id)
        if dto.asset_id is not None and not self._repo.asset_in_album(dto.album_id, dto.asset_id):
            raise errors.BadRequest(
                "The asset is not in this album",
                details=[{"field": "assetId", "message": "not in the album"}],
            )
        row, new = self._repo.create(dto.album_id, dto.asset_id, auth.id, dto.comment)
        return to_response(row), new

    def delete(self, auth: AuthUser, activity_id: UUID) -> None:
        row = self._repo.get(activity_id)
        if row is None or not self._access.allowed(auth, Perm.ALBUM_READ, row["album_id"]):
            raise errors.NotFound("Activity not found")
        if row["user_id"] != auth.id and not self._is_album_owner(auth, row["album_id"]):
            raise errors.Forbidden("Only its author or the album's owner may delete it")
        self._repo.delete(activity_id)

    def statistics(
        self, auth: AuthUser, query: s.ActivityStatisticsQuery
    ) -> s.ActivityStatisticsResponse:
        self._access.require(auth, Perm.ALBUM_READ, query.album_id)
        row = self._repo.statistics(query.album_id, query.asset_id)
        return s.ActivityStatisticsResponse(comments=row["comments"], likes=row["likes"])

    def _is_album_owner(self, auth: AuthUser, album_id: UUID) -> bool:
        album = self._albums.get(album_id)
        return album is not None and album["owner_id"] == auth.id
