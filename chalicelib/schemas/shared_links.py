"""DTOs for shared links: the owner's side and the visitor's."""

from __future__ import annotations

from datetime import datetime
from typing import Literal
from uuid import UUID

from pydantic import Field, SecretStr

from chalicelib.schemas.albums import AlbumResponse
from chalicelib.schemas.assets import AssetResponse, ExifInfo
from chalicelib.schemas.base import DbDateTime, Dto, NotNullBool, ResponseDto


class SharedLinkCreateRequest(Dto):
    type: Literal["ALBUM", "INDIVIDUAL"]
    album_id: UUID | None = None
    asset_ids: list[UUID] | None = Field(default=None, max_length=1000)
    description: str | None = Field(default=None, max_length=10_000)
    password: SecretStr | None = Field(default=None, min_length=1, max_length=1024)
    expires_at: DbDateTime | None = None
    allow_download: bool = True
    allow_upload: bool = False
    show_metadata: bool = True


class SharedLinkEditRequest(Dto):
    description: str | None = Field(default=None, max_length=10_000)
    # null removes the password / the expiry; leaving the field out keeps it.
    password: SecretStr | None = Field(default=None, min_length=1, max_length=1024)
    expires_at: DbDateTime | None = None
    allow_download: NotNullBool = None
    allow_upload: NotNullBool = None
    show_metadata: NotNullBool = None


class SharedLinkAssetsRequest(Dto):
    asset_ids: list[UUID] = Field(min_length=1, max_length=1000)


class SharedLinkResponse(ResponseDto):
    """Unlike Immich, the password is never echoed (``hasPassword`` says whether there is
    one) and the key is only shown once, in the creation response (with ``url``)."""

    id: UUID
    user_id: UUID
    type: Literal["ALBUM", "INDIVIDUAL"]
    album_id: UUID | None
    album: AlbumResponse | None = None
    assets: list[AssetResponse]
    description: str | None
    has_password: bool
    expires_at: datetime | None
    allow_download: bool
    allow_upload: bool
    show_metadata: bool
    created_at: datetime
    key: str | None = None
    url: str | None = None


class SharedAssetResponse(ResponseDto):
    """An asset as a visitor sees it: the metadata fields are null unless showMetadata."""

    id: UUID
    type: Literal["IMAGE", "VIDEO"]
    status: str
    thumbhash: str | None
    width: int | None
    height: int | None
    duration: str | None
    local_date_time: datetime | None
    original_file_name: str | None = None
    original_mime_type: str | None = None
    file_created_at: datetime | None = None
    exif_info: ExifInfo | None = None


class SharedLinkMeResponse(ResponseDto):
    id: UUID
    type: Literal["ALBUM", "INDIVIDUAL"]
    album_id: UUID | None
    album_name: str | None
    description: str | None
    expires_at: datetime | None
    allow_download: bool
    allow_upload: bool
    show_metadata: bool
    assets: list[SharedAssetResponse]
    token: str = Field(
        description="send as the x-shared-link-token header instead of key and password "
        "until tokenExpiresAt"
    )
    token_expires_at: datetime


class VisitorQuery(Dto):
    """No fields: the key, password and token come as headers, and a ``?key=`` or
    ``?password=`` is refused (400) rather than read, so no secret is taught to live in URLs
    (and access logs)."""


class VisitorThumbnailQuery(VisitorQuery):
    """The thumbnail redirect's one field; a ``?token=`` is refused like ``?key=``: an
    ``<img>`` gets a signed URL from ``POST /api/shared-links/me/media-urls`` instead."""

    size: Literal["thumbnail", "preview"] = "thumbnail"
