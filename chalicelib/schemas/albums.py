"""DTOs for albums, their assets and members (Immich's field names)."""

from __future__ import annotations

from datetime import datetime
from typing import Literal
from uuid import UUID

from pydantic import Field

from chalicelib.schemas.accounts import UserSummary
from chalicelib.schemas.assets import AssetSummary
from chalicelib.schemas.base import Dto, ResponseDto

Role = Literal["editor", "viewer"]


# GET /albums/{id} embeds at most this many assets: an album of 50,000 photos would not fit
# in a Lambda response.
ALBUM_ASSETS_MAX = 200


class AlbumUserItem(Dto):
    user_id: UUID
    role: Role = "editor"


class CreateAlbumRequest(Dto):
    multiline_fields = frozenset({"description"})

    album_name: str = Field(min_length=1, max_length=500)
    description: str = Field(default="", max_length=10_000)
    asset_ids: list[UUID] = Field(default_factory=list, max_length=1000)
    album_users: list[AlbumUserItem] = Field(default_factory=list, max_length=100)


class UpdateAlbumRequest(Dto):
    multiline_fields = frozenset({"description"})

    album_name: str | None = Field(default=None, min_length=1, max_length=500)
    description: str | None = Field(default=None, max_length=10_000)
    album_thumbnail_asset_id: UUID | None = None


class AlbumListQuery(Dto):
    # None: albums I own; true: shared with me or by me; false: mine, not shared.
    shared: bool | None = None
    asset_id: UUID | None = None
    # Optional paging (newest first): without ``size`` every album comes, as in Immich.
    size: int | None = Field(
        default=None, ge=1, le=1000, description="Albums per page; a shorter page is the last"
    )
    page: int = Field(default=1, ge=1, le=1_000_000)


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
    assets: list[AssetSummary] = Field(
        description=f"The newest {ALBUM_ASSETS_MAX:,} at most (assetCount says how many there"
        " are): page through the rest with /timeline/bucket or /search/metadata and albumId."
    )
    start_date: datetime | None
    end_date: datetime | None
    created_at: datetime
    updated_at: datetime
