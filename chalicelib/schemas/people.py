"""People and faces (Immich's field names where they match)."""

from __future__ import annotations

from datetime import date, datetime
from uuid import UUID

from pydantic import Field

from chalicelib.schemas.base import Dto, NotNullBool, Page, ResponseDto


class PeopleQuery(Dto):
    with_hidden: bool = False
    page: Page = 1
    size: int = Field(default=500, ge=1, le=1000)


class PageQuery(Dto):
    page: Page = 1
    size: int = Field(default=100, ge=1, le=1000)


class PersonResponse(ResponseDto):
    id: UUID
    name: str
    birth_date: date | None
    is_hidden: bool
    face_count: int
    feature_face_asset_id: UUID | None
    thumbnail_path: str
    updated_at: datetime


class PeopleResponse(ResponseDto):
    total: int
    hidden: int
    people: list[PersonResponse]
    has_next_page: bool = False


class PersonUpdateRequest(Dto):
    name: str | None = Field(default=None, max_length=200)
    birth_date: date | None = None
    is_hidden: NotNullBool = None
    # An asset showing this person: its face becomes the person's thumbnail.
    feature_face_asset_id: UUID | None = None


class MergePeopleRequest(Dto):
    ids: list[UUID] = Field(min_length=1, max_length=100)


class FacesQuery(Dto):
    asset_id: UUID


class FaceReassignRequest(Dto):
    person_id: UUID


class FaceResponse(ResponseDto):
    id: UUID
    asset_id: UUID
    person_id: UUID | None
    image_width: int
    image_height: int
    bounding_box_x1: float
    bounding_box_y1: float
    bounding_box_x2: float
    bounding_box_y2: float
    # Right eye, left eye, nose, right and left mouth corners, as [x, y].
    landmarks: list[list[float]]
    score: float
