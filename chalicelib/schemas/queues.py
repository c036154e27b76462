"""Jobs admin: the pipeline's queues, dead letters and stage re-runs."""

from __future__ import annotations

from datetime import datetime
from typing import Literal
from uuid import UUID

from pydantic import Field

from chalicelib.schemas.base import Dto, ResponseDto


class StageCounts(ResponseDto):
    queued: int = 0
    running: int = 0
    done: int = 0
    failed: int = 0
    skipped: int = 0


class JobStatusResponse(ResponseDto):
    name: str
    trigger: str
    queued: int = Field(description="ApproximateNumberOfMessages")
    in_flight: int = Field(description="ApproximateNumberOfMessagesNotVisible")
    delayed: int
    dlq: int = Field(description="messages in the dead-letter queue")
    assets: StageCounts = Field(description="asset_stages rows by status")


class DlqQuery(Dto):
    limit: int = Field(default=20, ge=1, le=100)


class DlqMessageResponse(ResponseDto):
    message_id: str
    asset_id: UUID | None
    archive_id: UUID | None = None
    receive_count: int
    sent_at: datetime | None
    failure_reason: str | None
    body: str


class JobRunRequest(Dto):
    mode: Literal["missing", "all"] = "missing"


class RedriveResponse(ResponseDto):
    moved: int
