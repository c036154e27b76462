"""DTOs for the timeline: time buckets and their assets."""

from __future__ import annotations

from datetime import date, datetime
from typing import Literal
from uuid import UUID

from pydantic import Field, field_validator

from chalicelib.schemas.base import Dto, ResponseDto


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
    # The last month whose end (the next month's first day) is still a date.
    time_bucket: date = Field(
        description="the bucket's first day, e.g. 2024-05-01 or 2024-05-01T00:00:00.000Z",
        le=date(9999, 11, 30),
    )

    @field_validator("time_bucket", mode="before")
    @classmethod
    def _date_part(cls, value: object) -> object:
        # Immich sends the bucket as an ISO datetime; only its date matters.
        return value[:10] if isinstance(value, str) else value


class TimeBucketResponse(ResponseDto):
    time_bucket: str
    count: int


class TimelineStack(ResponseDto):
    """The stack a timeline tile stands for (Immich's timeline sends [stackId, count])."""

    id: UUID
    asset_count: int


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
    live_photo_video_id: UUID | None = None
    stack: TimelineStack | None = None
