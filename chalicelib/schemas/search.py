"""DTOs for search, people, faces and duplicates (Immich's field names where they match)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Literal
from uuid import UUID

from pydantic import Field

from chalicelib.api.dto import Dto, ResponseDto
from chalicelib.schemas.assets import AssetPage, AssetResponse
from chalicelib.schemas.library import BulkIdResponse as BulkIdResult

__all__ = ["AssetPage", "BulkIdResult"]


# --- search ------------------------------------------------------------------------------
class SearchFilters(Dto):
    """What both searches narrow by. Trashed assets are never returned."""

    taken_after: datetime | None = None
    taken_before: datetime | None = None
    type: Literal["IMAGE", "VIDEO"] | None = None
    is_favorite: bool | None = None
    with_archived: bool = False
    # Assets showing every one of these people.
    person_ids: list[UUID] | None = Field(default=None, max_length=20)
    album_id: UUID | None = None


class SmartSearchRequest(SearchFilters):
    """Flat, as Immich's SmartSearchDto: the query, paging, then the filters."""

    query: str = Field(min_length=1, max_length=1000)
    page: int = Field(default=1, ge=1, le=100)
    size: int = Field(default=100, ge=1, le=1000)


class MetadataSearchRequest(SearchFilters):
    page: int = Field(default=1, ge=1)
    size: int = Field(default=100, ge=1, le=1000)
    original_file_name: str | None = Field(default=None, min_length=1, max_length=255)
    description: str | None = Field(default=None, min_length=1, max_length=1000)
    make: str | None = Field(default=None, max_length=200)
    model: str | None = Field(default=None, max_length=200)
    lens_model: str | None = Field(default=None, max_length=200)
    city: str | None = Field(default=None, max_length=200)
    state: str | None = Field(default=None, max_length=200)
    country: str | None = Field(default=None, max_length=200)


class SearchAssetResponse(AssetResponse):
    # Cosine similarity to the query (smart search only).
    score: float | None = None


class SearchResponse(ResponseDto):
    items: list[SearchAssetResponse]
    next_page: int | None
    # The model that answered (smart search): only vectors of this model were compared.
    model_id: str | None = None


SuggestionType = Literal[
    "camera-make", "camera-model", "camera-lens-model", "city", "state", "country"
]


class SuggestionsQuery(Dto):
    type: SuggestionType
    # Narrow models to a make, cities to a country/state (Immich's query parameters).
    make: str | None = None
    model: str | None = None
    country: str | None = None
    state: str | None = None


# --- people and faces ------------------------------------------------------------------
class PeopleQuery(Dto):
    with_hidden: bool = False


class PageQuery(Dto):
    page: int = Field(default=1, ge=1)
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


class PersonUpdateRequest(Dto):
    name: str | None = Field(default=None, max_length=200)
    birth_date: date | None = None
    is_hidden: bool | None = None
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


# --- duplicates --------------------------------------------------------------------------
class DuplicateGroupResponse(ResponseDto):
    duplicate_id: UUID
    assets: list[AssetResponse]


class ResolveDuplicatesRequest(Dto):
    # The assets to keep; every other asset of the group goes to the trash.
    keep_asset_ids: list[UUID] = Field(min_length=0, max_length=1000)


class ResolveDuplicatesResponse(ResponseDto):
    duplicate_id: UUID
    kept: list[UUID]
    trashed: list[UUID]
