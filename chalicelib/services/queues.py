"""Jobs admin: the pipeline's queues seen from SQS (depths, dead letters), peeking and
redriving dead letters. Re-running a stage is a bulk job (services/bulk_jobs.py).

Stages come from the pipeline declaration; the queues behind them are a ``QueueAdmin``
(chalicelib.messaging).
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any
from urllib.parse import unquote_plus
from uuid import UUID

from chalicelib import errors, pipeline
from chalicelib.messaging import QueueAdmin
from chalicelib.observability import logger
from chalicelib.repositories.statistics import StatsRepository
from chalicelib.schemas import queues as s
from chalicelib.storage import keys

REDRIVE_MAX = 1000  # per call: the API answers within API Gateway's 29 s


def ids_in(body: str) -> tuple[UUID | None, UUID | None]:
    """(asset id, archive id) a stage message is about: stage hand-offs carry ``assetId``,
    archive parts ``archiveId``, ingest gets S3 events (often in an SNS envelope)."""
    try:
        data = json.loads(body)
    except ValueError:
        return None, None
    if isinstance(data, dict) and isinstance(data.get("Message"), str):
        try:
            data = json.loads(data["Message"])  # SNS envelope
        except ValueError:
            return None, None
    if not isinstance(data, dict):
        return None, None
    for field, archive in (("assetId", False), ("archiveId", True)):
        if data.get(field):
            try:
                value = UUID(str(data[field]))
            except ValueError:
                return None, None
            return (None, value) if archive else (value, None)
    for record in data.get("Records") or []:
        key = unquote_plus(record.get("s3", {}).get("object", {}).get("key", ""))
        if parsed := keys.parse_original(key):
            return parsed.asset_id, None
    return None, None


class QueueService:
    def __init__(self, queues: QueueAdmin, stats: StatsRepository) -> None:
        self._queues = queues
        self._stats = stats

    def status(self) -> list[s.JobStatusResponse]:
        counts = self._stats.stage_counts()
        out = []
        for stage in pipeline.STAGES:
            depths = self._queues.depths(stage.name)
            dlq = self._queues.dead_letter_depths(stage.name)
            out.append(
                s.JobStatusResponse(
                    name=stage.name,
                    trigger=stage.trigger,
                    queued=depths.queued,
                    in_flight=depths.in_flight,
                    delayed=depths.delayed,
                    dlq=dlq.total,
                    assets=s.StageCounts(**counts.get(stage.name, {})),
                )
            )
        return out

    def peek_dlq(self, stage_name: str, limit: int) -> list[s.DlqMessageResponse]:
        stage = _stage(stage_name)
        messages = self._queues.peek_dead_letters(stage.name, limit)
        found = [(m, *ids_in(m["Body"])) for m in messages]
        reasons = self._stats.stage_errors(stage.name, [a for _, a, _ in found if a])
        return [
            s.DlqMessageResponse(
                message_id=m["MessageId"],
                asset_id=asset_id,
                archive_id=archive_id,
                receive_count=int(m.get("Attributes", {}).get("ApproximateReceiveCount", 0)),
                sent_at=_sent_at(m),
                failure_reason=reasons.get(asset_id) if asset_id else None,
                body=m["Body"],
            )
            for m, asset_id, archive_id in found
        ]

    def redrive(self, stage_name: str) -> s.RedriveResponse:
        """Moves dead letters back to the stage's queue, at most REDRIVE_MAX a call."""
        stage = _stage(stage_name)
        moved = 0
        while moved < REDRIVE_MAX:
            done, refused = self._queues.redrive_batch(stage.name)
            moved += done
            if refused:
                raise errors.SkyrollError(f"SQS refused {refused} messages; moved {moved} so far")
            if not done:
                break
        logger.info("dead letters redriven", extra={"stage": stage.name, "moved": moved})
        return s.RedriveResponse(moved=moved)


def _stage(name: str) -> pipeline.Stage:
    try:
        return pipeline.get_stage(name)
    except KeyError:
        raise errors.NotFound(f"No pipeline stage named {name!r}") from None


def _sent_at(message: dict[str, Any]) -> datetime | None:
    raw = message.get("Attributes", {}).get("SentTimestamp")
    return datetime.fromtimestamp(int(raw) / 1000, UTC) if raw else None
