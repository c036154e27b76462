"""Album activity: likes and comments (Immich's ``/api/activities``)."""

from __future__ import annotations

from datetime import datetime
from typing import Literal
from uuid import UUID

from pydantic import Field, model_validator

from chalicelib.schemas.accounts import UserSummary
from chalicelib.schemas.base import Dto, FieldError, ResponseDto

ActivityType = Literal["comment", "like"]


class ActivityQuery(Dto):
    album_id: UUID
    asset_id: UUID | None = None
    type: ActivityType | None = None
    # "album": only what is about the album itself; "asset": only what is about an asset.
    level: Literal["album", "asset"] | None = None
    user_id: UUID | None = None


class ActivityCreateRequest(Dto):
    multiline_fields = frozenset({"comment"})

    album_id: UUID
    asset_id: UUID | None = None
    type: ActivityType
    comment: str | None = Field(default=None, min_length=1, max_length=10_000)

    @model_validator(mode="after")
    def _comment_for_comments(self) -> ActivityCreateRequest:
        if self.type == "comment" and not self.comment:
            raise FieldError("comment", "a comment needs its text")
        if self.type == "like" and self.comment is not None:
            raise FieldError("comment", "a like has no text")
        return self


class ActivityResponse(ResponseDto):
    id: UUID
    created_at: datetime
    type: ActivityType
    user: UserSummary
    asset_id: UUID | None
    comment: str | None = None


class ActivityStatisticsQuery(Dto):
    album_id: UUID
    asset_id: UUID | None = None


class ActivityStatisticsResponse(ResponseDto):
    comments: int
    likes: int
