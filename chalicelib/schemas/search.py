"""Smart and metadata search, and search suggestions."""

from __future__ import annotations

from typing import Literal
from uuid import UUID

from pydantic import Field, RootModel, field_validator

from chalicelib.schemas.assets import AssetSummary
from chalicelib.schemas.base import DbDateTime, Dto, Page, ResponseDto


class SearchFilters(Dto):
    """What both searches narrow by. Trashed assets are never returned."""

    taken_after: DbDateTime | None = None
    taken_before: DbDateTime | None = None
    type: Literal["IMAGE", "VIDEO"] | None = None
    is_favorite: bool | None = None
    with_archived: bool = False
    # Assets showing every one of these people.
    person_ids: list[UUID] | None = Field(default=None, max_length=20)
    album_id: UUID | None = None
    # Assets with every one of these tags (or a tag below it).
    tag_ids: list[UUID] | None = Field(default=None, max_length=20)

    @field_validator("tag_ids")
    @classmethod
    def _distinct(cls, value: list[UUID] | None) -> list[UUID] | None:
        return list(dict.fromkeys(value)) if value else value


class SmartSearchRequest(SearchFilters):
    """Flat, as Immich's SmartSearchDto: the query, paging, then the filters."""

    query: str = Field(min_length=1, max_length=1000)
    page: int = Field(default=1, ge=1, le=100)
    size: int = Field(default=100, ge=1, le=1000)


class MetadataSearchRequest(SearchFilters):
    page: Page = 1
    size: int = Field(default=100, ge=1, le=1000)
    original_file_name: str | None = Field(default=None, min_length=1, max_length=255)
    description: str | None = Field(default=None, min_length=1, max_length=1000)
    make: str | None = Field(default=None, max_length=200)
    model: str | None = Field(default=None, max_length=200)
    lens_model: str | None = Field(default=None, max_length=200)
    city: str | None = Field(default=None, max_length=200)
    state: str | None = Field(default=None, max_length=200)
    country: str | None = Field(default=None, max_length=200)


class SearchAssetResponse(AssetSummary):
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


# A bare JSON array of strings, as Immich answers: a RootModel so that the route table (and
# so the OpenAPI and the web client's types) has its schema.
class SuggestionsResponse(RootModel[list[str]]):
    """The distinct values of the type asked for, among the caller's assets."""
