"""Bulk jobs: what a route that starts one answers (202), and what the status route shows."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal
from uuid import UUID

from pydantic import Field

from chalicelib.schemas.base import Dto, ResponseDto

Kind = Literal[
    "empty-trash", "restore-trash", "requeue", "delete-user", "delete-assets", "delete-library"
]
Status = Literal["queued", "running", "succeeded", "failed"]
MAX_RECENT = 50


class BulkJobResponse(ResponseDto):
    id: UUID
    kind: Kind
    status: Status
    params: dict[str, Any] = Field(description="what the job was asked, e.g. stage and mode")
    processed: int = Field(description="items done so far (assets deleted, restored, queued)")
    total: int | None = Field(description="items found when the job started; null until then")
    error: str | None = Field(description="why the job failed (or why its last attempt did)")
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None
    updated_at: datetime


class BulkJobListQuery(Dto):
    limit: int = Field(default=20, ge=1, le=MAX_RECENT)
