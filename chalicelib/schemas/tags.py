"""Tags: create, rename, recolour, tag and untag assets."""

from __future__ import annotations

import re
from datetime import datetime
from uuid import UUID

from pydantic import Field, field_validator

from chalicelib.schemas.base import Dto, ResponseDto

_COLOR = re.compile(r"^#[0-9a-fA-F]{6}$")


def _color(value: str | None) -> str | None:
    if value is not None and not _COLOR.match(value):
        raise ValueError("color must look like #a1b2c3")
    return value.lower() if value else value


class TagListQuery(Dto):
    # Optional paging (by path): without ``size`` every tag comes, as in Immich.
    size: int | None = Field(
        default=None, ge=1, le=1000, description="Tags per page; a shorter page is the last"
    )
    page: int = Field(default=1, ge=1, le=1_000_000)


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
