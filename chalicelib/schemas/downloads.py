"""Zip downloads of a selection or an album, built in parts."""

from __future__ import annotations

from datetime import datetime
from typing import Literal
from uuid import UUID

from pydantic import Field, model_validator

from chalicelib.schemas.base import Dto, ResponseDto

GIB = 1024**3


class DownloadArchiveRequest(Dto):
    asset_ids: list[UUID] | None = Field(default=None, min_length=1, max_length=10_000)
    album_id: UUID | None = None
    # Originals per zip part, in bytes (a bigger single file gets a part of its own).
    archive_size: int = Field(default=4 * GIB, ge=1, le=64 * GIB)

    @model_validator(mode="after")
    def _one_source(self) -> DownloadArchiveRequest:
        if (self.asset_ids is None) == (self.album_id is None):
            raise ValueError("give exactly one of assetIds or albumId")
        return self


class ArchivePart(ResponseDto):
    part_number: int
    status: Literal["queued", "running", "done", "failed"]
    asset_count: int
    # Bytes of originals planned; the zip's own size once built.
    planned_size: int
    size: int | None
    skipped: int
    url: str | None = Field(default=None, description="presigned GET, once done")
    error: str | None = None


class DownloadArchiveResponse(ResponseDto):
    id: UUID
    status: Literal["queued", "running", "done", "failed"]
    asset_count: int
    total_size: int
    archive_size: int
    created_at: datetime
    expires_at: datetime
    parts: list[ArchivePart]
