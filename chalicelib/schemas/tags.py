"""DTOs for tags, the map, memories, zip downloads, jobs admin and server statistics
(Immich's field names where the concept is the same)."""

from __future__ import annotations

import re
from datetime import date, datetime
from typing import Literal
from uuid import UUID

from pydantic import Field, field_validator, model_validator

from chalicelib.api.dto import Dto, ResponseDto
from chalicelib.schemas.assets import AssetResponse

_COLOR = re.compile(r"^#[0-9a-fA-F]{6}$")
GIB = 1024**3


def _color(value: str | None) -> str | None:
    if value is not None and not _COLOR.match(value):
        raise ValueError("color must look like #a1b2c3")
    return value.lower() if value else value


# --- tags --------------------------------------------------------------------------------
class TagCreateRequest(Dto):
    # "Travel/Japan" creates "Travel" too; with parentId the name is relative to that tag.
    name: str = Field(min_length=1, max_length=500)
    parent_id: UUID | None = None
    color: str | None = None

    _check_color = field_validator("color")(_color)


class TagUpdateRequest(Dto):
    # A rename changes only the last path element; children follow.
    name: str | None = Field(default=None, min_length=1, max_length=200)
    color: str | None = None

    _check_color = field_validator("color")(_color)

    @field_validator("name")
    @classmethod
    def _leaf(cls, value: str | None) -> str | None:
        if value is not None and "/" in value:
            raise ValueError("a rename gives the last path element only, without '/'")
        return value


class TagResponse(ResponseDto):
    id: UUID
    parent_id: UUID | None
    name: str
    value: str
    color: str | None
    created_at: datetime
    updated_at: datetime


class BulkIdsRequest(Dto):
    ids: list[UUID] = Field(min_length=1, max_length=1000)


class BulkIdResponse(ResponseDto):
    id: UUID
    success: bool
    error: Literal["duplicate", "not_found", "no_permission"] | None = None


# --- map ---------------------------------------------------------------------------------
class MapMarkerQuery(Dto):
    is_favorite: bool | None = None
    # Omitted: archived assets are left out, as on the timeline.
    is_archived: bool | None = None
    file_created_after: datetime | None = None
    file_created_before: datetime | None = None


class MapMarkerResponse(ResponseDto):
    id: UUID
    lat: float
    lon: float
    city: str | None
    state: str | None
    country: str | None


# --- memories ----------------------------------------------------------------------------
class MemoryQuery(Dto):
    for_: date | None = Field(
        default=None, alias="for", description="the day shown (default: today, UTC)"
    )
    is_saved: bool | None = None


class MemoryUpdateRequest(Dto):
    is_saved: bool | None = None
    seen_at: datetime | None = None


class OnThisDayData(ResponseDto):
    year: int


class MemoryResponse(ResponseDto):
    id: UUID
    owner_id: UUID
    type: Literal["on_this_day"]
    data: OnThisDayData
    memory_at: date
    show_at: date
    is_saved: bool
    seen_at: datetime | None
    created_at: datetime
    updated_at: datetime
    assets: list[AssetResponse]


# --- downloads ---------------------------------------------------------------------------
class DownloadArchiveRequest(Dto):
    asset_ids: list[UUID] | None = Field(default=None, min_length=1, max_length=10_000)
    album_id: UUID | None = None
    # Originals per zip part, in bytes (a bigger single file gets a part of its own).
    archive_size: int = Field(default=4 * GIB, ge=1, le=64 * GIB)

    @model_validator(mode="after")
    def _one_source(self) -> DownloadArchiveRequest:
        if (self.asset_ids is None) == (self.album_id is None):
            raise ValueError("give exactly one of assetIds or albumId")
        return self


class ArchivePart(ResponseDto):
    part_number: int
    status: Literal["queued", "running", "done", "failed"]
    asset_count: int
    # Bytes of originals planned; the zip's own size once built.
    planned_size: int
    size: int | None
    skipped: int
    url: str | None = Field(default=None, description="presigned GET, once done")
    error: str | None = None


class DownloadArchiveResponse(ResponseDto):
    id: UUID
    status: Literal["queued", "running", "done", "failed"]
    asset_count: int
    total_size: int
    archive_size: int
    created_at: datetime
    expires_at: datetime
    parts: list[ArchivePart]


# --- jobs admin --------------------------------------------------------------------------
class StageCounts(ResponseDto):
    queued: int = 0
    running: int = 0
    done: int = 0
    failed: int = 0
    skipped: int = 0


class JobStatusResponse(ResponseDto):
    name: str
    trigger: str
    queued: int = Field(description="ApproximateNumberOfMessages")
    in_flight: int = Field(description="ApproximateNumberOfMessagesNotVisible")
    delayed: int
    dlq: int = Field(description="messages in the dead-letter queue")
    assets: StageCounts = Field(description="asset_stages rows by status")


class DlqQuery(Dto):
    limit: int = Field(default=20, ge=1, le=100)


class DlqMessageResponse(ResponseDto):
    message_id: str
    asset_id: UUID | None
    archive_id: UUID | None = None
    receive_count: int
    sent_at: datetime | None
    failure_reason: str | None
    body: str


class JobRunRequest(Dto):
    mode: Literal["missing", "all"] = "missing"


class JobQueuedResponse(ResponseDto):
    queued: int


class RedriveResponse(ResponseDto):
    moved: int


# --- server ------------------------------------------------------------------------------
class UsageByUser(ResponseDto):
    user_id: UUID
    user_name: str
    photos: int
    videos: int
    usage: int
    usage_photos: int
    usage_videos: int
    quota_size_in_bytes: int | None


class ServerStatsResponse(ResponseDto):
    photos: int
    videos: int
    usage: int
    usage_photos: int
    usage_videos: int
    usage_by_user: list[UsageByUser]


class ServerFeaturesResponse(ResponseDto):
    smart_search: bool
    facial_recognition: bool
    duplicate_detection: bool
    map: bool
    reverse_geocoding: bool
    trash: bool
    sharing: bool
    tags: bool
    memories: bool
    download_archive: bool
    password_login: bool
    oauth: bool
    search: bool


class UserUsageResponse(ResponseDto):
    photos: int
    videos: int
    usage: int
    quota_size_in_bytes: int | None
    quota_usage_in_bytes: int
    quota_remaining_in_bytes: int | None
