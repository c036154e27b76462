"""DTOs for stacks (Immich's StackResponseDto, StackCreateDto, StackUpdateDto)."""

from __future__ import annotations

from uuid import UUID

from pydantic import Field, field_validator

from chalicelib.schemas.assets import AssetResponse
from chalicelib.schemas.base import Dto, ResponseDto


class StackSearchQuery(Dto):
    primary_asset_id: UUID | None = None


class StackCreateRequest(Dto):
    # The first asset becomes the primary, the one the timeline shows.
    asset_ids: list[UUID] = Field(min_length=2, max_length=1000)

    @field_validator("asset_ids")
    @classmethod
    def _distinct(cls, value: list[UUID]) -> list[UUID]:
        if len(set(value)) != len(value):
            raise ValueError("assetIds must not repeat an asset")
        return value


class StackUpdateRequest(Dto):
    primary_asset_id: UUID


class StackResponse(ResponseDto):
    id: UUID
    primary_asset_id: UUID
    assets: list[AssetResponse]
