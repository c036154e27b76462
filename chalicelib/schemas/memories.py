"""Memories ("on this day")."""

from __future__ import annotations

from datetime import date, datetime
from typing import Literal
from uuid import UUID

from pydantic import Field

from chalicelib.schemas.assets import AssetResponse
from chalicelib.schemas.base import DbDateTime, Dto, NotNullBool, ResponseDto


class MemoryQuery(Dto):
    for_: date | None = Field(
        default=None, alias="for", description="the day shown (default: today, UTC)"
    )
    is_saved: bool | None = None


class MemoryUpdateRequest(Dto):
    is_saved: NotNullBool = None
    seen_at: DbDateTime | None = None


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
