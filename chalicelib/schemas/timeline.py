"""DTOs for the timeline: time buckets and their assets."""

from __future__ import annotations

from datetime import date, datetime
from typing import Literal
from uuid import UUID

from pydantic import Field, field_validator, model_validator

from chalicelib.schemas.base import DbDateTime, Dto, FieldError, ResponseDto

# A bucket's assets come in pages of at most this many (a month can hold tens of thousands).
TIMELINE_PAGE_MAX = 1000


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

    limit: int = Field(
        default=TIMELINE_PAGE_MAX,
        ge=1,
        le=TIMELINE_PAGE_MAX,
        description="Assets per page. A page this long may have more after it: ask again"
        " with the last asset's localDateTime and id as afterLocalDateTime and afterId.",
    )
    # Aware, as every date the API takes: the asset's localDateTime (a wall-clock time, which
    # the timeline labels UTC) with a "Z".
    after_local_date_time: DbDateTime | None = Field(
        default=None,
        description="the last asset's localDateTime with a Z, e.g. 2024-05-03T10:00:00Z",
    )
    after_id: UUID | None = None

    @model_validator(mode="after")
    def _after_together(self) -> TimeBucketQuery:
        # One position in the bucket's order (time, then id): half of it is not a position.
        if (self.after_local_date_time is None) != (self.after_id is None):
            missing = "afterId" if self.after_id is None else "afterLocalDateTime"
            raise FieldError(missing, "afterLocalDateTime and afterId go together")
        return self


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
