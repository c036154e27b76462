"""Shared links: the owner's side (create, list, edit, delete, add/remove assets) and the
visitor's side (the link's assets, originals when the link allows downloads, and uploads
into the album when it allows uploads). Visitors' thumbnails, previews and playback are
served by services/media.py, whose access seam is AccessService.media_seam.

Visitor authentication (``AccessService.visitor``): the link key (``x-shared-link-key``),
plus the password (``x-shared-link-password``) when the link has one, both as headers.
``GET /api/shared-links/me`` exchanges them for a one-hour visitor token that every other
visitor route accepts as ``x-shared-link-token``. No secret rides in a URL: ``<img>`` and
``<video>`` tags and download links get signed S3 URLs, one object each
(``MediaService.link_urls``, ``POST /api/shared-links/me/media-urls``). Expired link: 410;
unknown key/token, missing or wrong password: 401; a link without allowDownload asking for
an original: 403.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from uuid import UUID

from chalicelib import errors
from chalicelib.repositories.albums import AlbumRepository
from chalicelib.repositories.shared_links import SharedLinkRepository
from chalicelib.repositories.users import UserRepository
from chalicelib.schemas import assets as asset_s
from chalicelib.schemas import shared_links as s
from chalicelib.schemas.base import BulkIdResponse
from chalicelib.services import secrets
from chalicelib.services.access import AccessService, Perm, Visitor
from chalicelib.services.albums import to_album
from chalicelib.services.assets import format_duration, to_response
from chalicelib.services.auth import AuthUser
from chalicelib.services.uploads import UploadService
from chalicelib.storage.s3 import ObjectStore

URL_TTL_SECONDS = 300


def to_shared_asset(row: dict[str, Any], show_metadata: bool) -> s.SharedAssetResponse:
    base = s.SharedAssetResponse(
        id=row["id"],
        type=row["type"],
        status=row["status"],
        thumbhash=row["thumbhash"],
        width=row["width"],
        height=row["height"],
        duration=format_duration(row["duration_seconds"]),
        local_date_time=row["local_date_time"] or row["file_created_at"],
    )
    if not show_metadata:
        return base
    full = to_response(row)
    return base.model_copy(
        update={
            "original_file_name": full.original_file_name,
            "original_mime_type": full.original_mime_type,
            "file_created_at": full.file_created_at,
            "exif_info": full.exif_info,
        }
    )


class SharedLinkService:
    def __init__(
        self,
        links: SharedLinkRepository,
        albums: AlbumRepository,
        users: UserRepository,
        access: AccessService,
        store: ObjectStore,
        uploads: UploadService,
        public_url: str,
    ) -> None:
        self._links = links
        self._albums = albums
        self._users = users
        self._access = access
        self._store = store
        self._uploads = uploads
        self._public_url = public_url.rstrip("/")

    # --- the owner ----------------------------------------------------------------------
    def create(self, auth: AuthUser, dto: s.SharedLinkCreateRequest) -> s.SharedLinkResponse:
        asset_ids = list(dict.fromkeys(dto.asset_ids or []))
        if dto.expires_at is not None and dto.expires_at <= datetime.now(UTC):
            raise errors.BadRequest(
                "expiresAt is in the past",
                details=[{"field": "expiresAt", "message": "in the past"}],
            )
        if dto.type == "ALBUM":
            if dto.album_id is None or asset_ids:
                raise errors.BadRequest(
                    "An ALBUM link needs albumId and no assetIds",
                    details=[{"field": "albumId", "message": "required"}],
                )
            self._access.require(auth, Perm.ALBUM_SHARE, dto.album_id)
        else:
            if not asset_ids or dto.album_id is not None:
                raise errors.BadRequest(
                    "An INDIVIDUAL link needs assetIds and no albumId",
                    details=[{"field": "assetIds", "message": "required"}],
                )
            if dto.allow_upload:
                raise errors.BadRequest(
                    "Uploads go into an album: use an ALBUM link",
                    details=[{"field": "allowUpload", "message": "ALBUM only"}],
                )
            self._require_shareable(auth, asset_ids)
        key = secrets.new_token()
        link_id = self._links.create(
            {
                "user_id": auth.id,
                "key_hash": secrets.token_hash(key),
                "type": dto.type,
                "album_id": dto.album_id,
                "description": dto.description,
                "password_hash": self._hash(dto.password),
                "expires_at": dto.expires_at,
                "allow_download": dto.allow_download,
                "allow_upload": dto.allow_upload,
                "show_metadata": dto.show_metadata,
            },
            asset_ids,
        )
        created = self.get(auth, link_id)
        # The key is shown this once: only its hash is stored.
        return created.model_copy(update={"key": key, "url": f"{self._public_url}/share/{key}"})

    def list_for(self, auth: AuthUser, album_id: UUID | None = None) -> list[s.SharedLinkResponse]:
        return [self._to_response(r) for r in self._links.list_for(auth.id, album_id)]

    def get(self, auth: AuthUser, link_id: UUID) -> s.SharedLinkResponse:
        return self._to_response(self._load(auth, link_id))

    def update(
        self, auth: AuthUser, link_id: UUID, dto: s.SharedLinkEditRequest
    ) -> s.SharedLinkResponse:
        link = self._load(auth, link_id)
        changes = dto.model_dump(exclude_unset=True)
        for flag in ("allow_download", "allow_upload", "show_metadata"):
            if flag in changes and changes[flag] is None:
                del changes[flag]
        if changes.get("allow_upload") and link["type"] != "ALBUM":
            raise errors.BadRequest("Uploads go into an album: use an ALBUM link")
        if "password" in changes:
            changes["password_hash"] = self._hash(dto.password)
        self._links.update(link_id, changes)
        return self.get(auth, link_id)

    def delete(self, auth: AuthUser, link_id: UUID) -> None:
        self._load(auth, link_id)
        self._links.delete(link_id)

    def add_assets(self, auth: AuthUser, link_id: UUID, ids: list[UUID]) -> list[BulkIdResponse]:
        self._individual(auth, link_id)
        shareable = self._access.check(auth, Perm.ASSET_SHARE, ids)
        added = self._links.add_assets(link_id, [i for i in ids if i in shareable])
        return [
            BulkIdResponse(id=i, success=True)
            if i in added
            else BulkIdResponse(
                id=i, success=False, error="duplicate" if i in shareable else "no_permission"
            )
            for i in dict.fromkeys(ids)
        ]

    def remove_assets(self, auth: AuthUser, link_id: UUID, ids: list[UUID]) -> list[BulkIdResponse]:
        self._individual(auth, link_id)
        removed = self._links.remove_assets(link_id, ids)
        return [
            BulkIdResponse(id=i, success=i in removed, error=None if i in removed else "not_found")
            for i in dict.fromkeys(ids)
        ]

    # --- the visitor --------------------------------------------------------------------
    def me(self, visitor: Visitor) -> s.SharedLinkMeResponse:
        link = self._links.get_by_id(visitor.link_id)
        if link is None:  # deleted between the key check and here
            raise errors.Unauthorized("Invalid shared link key")
        album = self._albums.get(link["album_id"]) if link["album_id"] else None
        token, token_expires = self._access.issue_token(visitor)
        return s.SharedLinkMeResponse(
            id=link["id"],
            type=link["type"],
            album_id=link["album_id"],
            album_name=album["album_name"] if album else None,
            description=link["description"],
            expires_at=link["expires_at"],
            allow_download=link["allow_download"],
            allow_upload=link["allow_upload"],
            show_metadata=link["show_metadata"],
            assets=[to_shared_asset(r, visitor.show_metadata) for r in self._links.assets(link)],
            token=token,
            token_expires_at=token_expires,
        )

    def visitor_asset(self, visitor: Visitor, asset_id: UUID) -> s.SharedAssetResponse:
        return to_shared_asset(self._visible(visitor, asset_id), visitor.show_metadata)

    def original_url(self, visitor: Visitor, asset_id: UUID) -> str:
        self._access.require(visitor, Perm.ASSET_DOWNLOAD, asset_id)
        row = self._visible(visitor, asset_id)
        if row["status"] == "pending":
            raise errors.NotFound("The original has not been uploaded yet")
        return self._store.for_bucket(row.get("source_bucket")).presign_get(
            row["storage_key"],
            filename=row["original_file_name"],
            content_type=row["original_mime_type"],
            expires_in=URL_TTL_SECONDS,
        )

    def upload(
        self, visitor: Visitor, dto: asset_s.CreateUploadRequest
    ) -> asset_s.CreateUploadResponse:
        """Starts a presigned upload into the link's album, on behalf of the album's owner
        (their library, their quota); the asset joins the album straight away."""
        if visitor.album_id is None:
            raise errors.Forbidden("Uploads need an album link")
        self._access.require(visitor, Perm.ALBUM_ADD_ASSET, visitor.album_id)
        album = self._albums.get(visitor.album_id)
        owner = self._users.get(album["owner_id"]) if album else None
        if owner is None:
            raise errors.NotFound("Album not found")
        result = self._uploads.create(AuthUser.from_row(owner), dto)
        if result.status == "duplicate" and not self._albums.asset_ids(
            visitor.album_id, [result.asset_id]
        ):
            # The owner has these bytes outside the album: knowing a checksum must not put a
            # private photo in the album (where the visitor could read it), nor name its id.
            raise errors.Conflict(
                "This file is already in the owner's library, outside this album; "
                "ask the owner to add it"
            )
        self._albums.add_assets(visitor.album_id, [result.asset_id], None)
        return result

    # --- helpers ------------------------------------------------------------------------
    def _visible(self, visitor: Visitor, asset_id: UUID) -> dict[str, Any]:
        self._access.require(visitor, Perm.ASSET_READ, asset_id)
        row = self._links.asset(asset_id)
        if row is None:
            raise errors.NotFound("Asset not found")
        return row

    def _require_shareable(self, auth: AuthUser, ids: list[UUID]) -> None:
        shareable = self._access.check(auth, Perm.ASSET_SHARE, ids)
        missing = [i for i in ids if i not in shareable]
        if missing:
            raise errors.BadRequest(
                "Assets not found or not yours to share",
                details=[{"field": "assetIds", "message": str(i)} for i in missing[:20]],
            )

    def _individual(self, auth: AuthUser, link_id: UUID) -> None:
        if self._load(auth, link_id)["type"] != "INDIVIDUAL":
            raise errors.BadRequest("An album link shows the album: edit the album instead")

    def _load(self, auth: AuthUser, link_id: UUID) -> dict[str, Any]:
        row = self._links.get(auth.id, link_id)
        if row is None:
            raise errors.NotFound("Shared link not found")
        return row

    def _to_response(self, row: dict[str, Any]) -> s.SharedLinkResponse:
        album = self._albums.get(row["album_id"]) if row["album_id"] else None
        assets = [] if album else [to_response(a) for a in self._links.assets(row)]
        return s.SharedLinkResponse(
            id=row["id"],
            user_id=row["user_id"],
            type=row["type"],
            album_id=row["album_id"],
            album=to_album(album) if album else None,
            assets=assets,
            description=row["description"],
            has_password=row["password_hash"] is not None,
            expires_at=row["expires_at"],
            allow_download=row["allow_download"],
            allow_upload=row["allow_upload"],
            show_metadata=row["show_metadata"],
            created_at=row["created_at"],
        )

    @staticmethod
    def _hash(password: Any) -> str | None:
        return secrets.hash_password(password.get_secret_value()) if password else None
