"""DTOs for albums, partners, the timeline and shared links (Immich's field names where the
concept is the same; differences are noted)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Literal
from uuid import UUID

from pydantic import Field, SecretStr, field_validator

from chalicelib.schemas.assets import AssetResponse, ExifInfo
from chalicelib.schemas.base import Dto, ResponseDto

Role = Literal["editor", "viewer"]


class UserSummary(ResponseDto):
    id: UUID
    name: str
    email: str


# --- albums -------------------------------------------------------------------------------
class AlbumUserItem(Dto):
    user_id: UUID
    role: Role = "editor"


class CreateAlbumRequest(Dto):
    album_name: str = Field(min_length=1, max_length=500)
    description: str = Field(default="", max_length=10_000)
    asset_ids: list[UUID] = Field(default_factory=list, max_length=1000)
    album_users: list[AlbumUserItem] = Field(default_factory=list, max_length=100)


class UpdateAlbumRequest(Dto):
    album_name: str | None = Field(default=None, min_length=1, max_length=500)
    description: str | None = Field(default=None, max_length=10_000)
    album_thumbnail_asset_id: UUID | None = None


class AlbumListQuery(Dto):
    # None: albums I own; true: shared with me or by me; false: mine, not shared.
    shared: bool | None = None
    asset_id: UUID | None = None


class AlbumGetQuery(Dto):
    without_assets: bool = False


class AddUsersRequest(Dto):
    album_users: list[AlbumUserItem] = Field(min_length=1, max_length=100)


class UpdateAlbumUserRequest(Dto):
    role: Role


class AlbumUserResponse(ResponseDto):
    user: UserSummary
    role: Role


class AlbumResponse(ResponseDto):
    id: UUID
    owner_id: UUID
    owner: UserSummary
    album_name: str
    description: str
    album_thumbnail_asset_id: UUID | None
    album_users: list[AlbumUserResponse]
    shared: bool
    has_shared_link: bool
    asset_count: int
    assets: list[AssetResponse]
    start_date: datetime | None
    end_date: datetime | None
    created_at: datetime
    updated_at: datetime


# --- partners -----------------------------------------------------------------------------
class PartnerQuery(Dto):
    direction: Literal["shared-by", "shared-with"]


class UpdatePartnerRequest(Dto):
    in_timeline: bool


class PartnerResponse(ResponseDto):
    id: UUID
    name: str
    email: str
    # Only meaningful for partners who share with me (direction=shared-with).
    in_timeline: bool | None = None


# --- timeline -----------------------------------------------------------------------------
class TimeBucketsQuery(Dto):
    size: Literal["MONTH", "DAY"] = "MONTH"
    is_archived: bool | None = None
    is_favorite: bool | None = None
    is_trashed: bool | None = None
    album_id: UUID | None = None
    with_partners: bool | None = None
    # Assets showing one of my people (chalicelib ML faces stage).
    person_id: UUID | None = None


class TimeBucketQuery(TimeBucketsQuery):
    time_bucket: date = Field(
        description="the bucket's first day, e.g. 2024-05-01 or 2024-05-01T00:00:00.000Z"
    )

    @field_validator("time_bucket", mode="before")
    @classmethod
    def _date_part(cls, value: object) -> object:
        # Immich sends the bucket as an ISO datetime; only its date matters.
        return value[:10] if isinstance(value, str) else value


class TimeBucketResponse(ResponseDto):
    time_bucket: str
    count: int


class TimelineAsset(ResponseDto):
    id: UUID
    owner_id: UUID
    type: Literal["IMAGE", "VIDEO"]
    thumbhash: str | None
    ratio: float = Field(description="width / height; 1 when unknown")
    duration: str | None
    is_favorite: bool
    is_archived: bool
    is_trashed: bool
    local_date_time: datetime


# --- shared links -------------------------------------------------------------------------
class SharedLinkCreateRequest(Dto):
    type: Literal["ALBUM", "INDIVIDUAL"]
    album_id: UUID | None = None
    asset_ids: list[UUID] | None = Field(default=None, max_length=1000)
    description: str | None = Field(default=None, max_length=10_000)
    password: SecretStr | None = Field(default=None, min_length=1, max_length=1024)
    expires_at: datetime | None = None
    allow_download: bool = True
    allow_upload: bool = False
    show_metadata: bool = True


class SharedLinkEditRequest(Dto):
    description: str | None = Field(default=None, max_length=10_000)
    # null removes the password / the expiry; leaving the field out keeps it.
    password: SecretStr | None = Field(default=None, min_length=1, max_length=1024)
    expires_at: datetime | None = None
    allow_download: bool | None = None
    allow_upload: bool | None = None
    show_metadata: bool | None = None


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
        description="send as ?token= (or x-shared-link-token) instead of key "
        "and password until tokenExpiresAt"
    )
    token_expires_at: datetime


class VisitorQuery(Dto):
    key: str | None = Field(default=None, max_length=200)
    token: str | None = Field(default=None, max_length=200)
    password: SecretStr | None = Field(default=None, max_length=1024)


class VisitorThumbnailQuery(VisitorQuery):
    size: Literal["thumbnail", "preview"] = "thumbnail"
