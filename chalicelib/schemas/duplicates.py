"""Near-duplicate groups and resolving them."""

from __future__ import annotations

from uuid import UUID

from pydantic import Field

from chalicelib.schemas.assets import AssetResponse
from chalicelib.schemas.base import Dto, ResponseDto


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
