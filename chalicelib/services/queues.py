"""Jobs admin and server statistics: the pipeline's queues seen from SQS (depths, dead
letters), peeking and redriving dead letters, re-running a stage (through the media
RequeueService); per-user usage and the server's features.

Stages come from the pipeline declaration; queue names from Settings; nothing else names a
queue. Peeking receives with VisibilityTimeout=0, so the messages stay where they are.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any
from urllib.parse import unquote_plus
from uuid import UUID

from chalicelib import errors, pipeline
from chalicelib.observability import logger
from chalicelib.repositories.organize import StatsRepository
from chalicelib.schemas import organize as s
from chalicelib.storage import keys

_DEPTHS = [
    "ApproximateNumberOfMessages",
    "ApproximateNumberOfMessagesNotVisible",
    "ApproximateNumberOfMessagesDelayed",
]
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
    def __init__(
        self,
        sqs: Any,
        queue_url: Callable[[str], str],
        dlq_url: Callable[[str], str],
        stats: StatsRepository,
        requeue: Callable[[str, str], Any],
    ) -> None:
        self._sqs = sqs
        self._queue_url = queue_url
        self._dlq_url = dlq_url
        self._stats = stats
        self._requeue = requeue

    def status(self) -> list[s.JobStatusResponse]:
        counts = self._stats.stage_counts()
        out = []
        for stage in pipeline.STAGES:
            depths = self._depths(self._queue_url(stage.name))
            dlq = self._depths(self._dlq_url(stage.name))
            out.append(
                s.JobStatusResponse(
                    name=stage.name,
                    trigger=stage.trigger,
                    queued=depths[0],
                    in_flight=depths[1],
                    delayed=depths[2],
                    dlq=sum(dlq),
                    assets=s.StageCounts(**counts.get(stage.name, {})),
                )
            )
        return out

    def peek_dlq(self, stage_name: str, limit: int) -> list[s.DlqMessageResponse]:
        stage = _stage(stage_name)
        url = self._dlq_url(stage.name)
        seen: dict[str, dict[str, Any]] = {}
        for _ in range(limit // 10 + 3):  # receives sample; a few more rounds find the rest
            batch = self._sqs.receive_message(
                QueueUrl=url,
                MaxNumberOfMessages=min(10, limit),
                VisibilityTimeout=0,
                WaitTimeSeconds=0,
                AttributeNames=["All"],
            ).get("Messages", [])
            new = [m for m in batch if m["MessageId"] not in seen]
            seen.update({m["MessageId"]: m for m in new})
            if not new or len(seen) >= limit:
                break
        messages = list(seen.values())[:limit]
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
        """Moves dead letters back to the stage's queue (send first, then delete: at worst a
        message is delivered twice, which the idempotent workers shrug off)."""
        stage = _stage(stage_name)
        source, target = self._dlq_url(stage.name), self._queue_url(stage.name)
        moved = 0
        while moved < REDRIVE_MAX:
            batch = self._sqs.receive_message(
                QueueUrl=source, MaxNumberOfMessages=10, VisibilityTimeout=60, WaitTimeSeconds=1
            ).get("Messages", [])
            if not batch:
                break
            sent = self._sqs.send_message_batch(
                QueueUrl=target,
                Entries=[{"Id": str(i), "MessageBody": m["Body"]} for i, m in enumerate(batch)],
            )
            ok = {int(e["Id"]) for e in sent.get("Successful", [])}
            done = [m for i, m in enumerate(batch) if i in ok]
            if done:
                self._sqs.delete_message_batch(
                    QueueUrl=source,
                    Entries=[
                        {"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]}
                        for i, m in enumerate(done)
                    ],
                )
            moved += len(done)
            if len(done) < len(batch):
                raise errors.SkyrollError(
                    f"SQS refused {len(batch) - len(done)} messages; moved {moved} so far"
                )
        logger.info("dead letters redriven", extra={"stage": stage.name, "moved": moved})
        return s.RedriveResponse(moved=moved)

    def run(self, stage_name: str, mode: str) -> Any:
        stage = _stage(stage_name)
        if stage.trigger == pipeline.MANUAL:
            raise errors.BadRequest(f"The {stage.name} stage runs on request, not per asset")
        return self._requeue(stage.name, mode)

    def _depths(self, url: str) -> list[int]:
        attrs = self._sqs.get_queue_attributes(QueueUrl=url, AttributeNames=_DEPTHS)["Attributes"]
        return [int(attrs.get(name, 0)) for name in _DEPTHS]


def _stage(name: str) -> pipeline.Stage:
    try:
        return pipeline.get_stage(name)
    except KeyError:
        raise errors.NotFound(f"No pipeline stage named {name!r}") from None


def _sent_at(message: dict[str, Any]) -> datetime | None:
    raw = message.get("Attributes", {}).get("SentTimestamp")
    return datetime.fromtimestamp(int(raw) / 1000, UTC) if raw else None


def build(c: Any) -> QueueService:
    """Queue URLs resolved (and cached) through the container; re-runs through the media
    service's requeue (one implementation of "missing" / "all")."""
    from functools import lru_cache

    @lru_cache(maxsize=64)
    def dlq_url(stage: str) -> str:
        return str(c.sqs.get_queue_url(QueueName=c.settings.dlq_name(stage))["QueueUrl"])

    def requeue(stage: str, mode: str) -> Any:
        return c.requeue_service.requeue(stage, mode)

    return QueueService(c.sqs, c.queue_url, dlq_url, StatsRepository(c.pool), requeue)


# --- server statistics and features (the admin dashboard's other half) --------------------
def statistics(stats: StatsRepository) -> s.ServerStatsResponse:
    users = [s.UsageByUser.model_validate(r) for r in stats.usage_by_user()]
    return s.ServerStatsResponse(
        photos=sum(u.photos for u in users),
        videos=sum(u.videos for u in users),
        usage=sum(u.usage for u in users),
        usage_photos=sum(u.usage_photos for u in users),
        usage_videos=sum(u.usage_videos for u in users),
        usage_by_user=users,
    )


def usage(stats: StatsRepository, auth: Any) -> s.UserUsageResponse:
    row = stats.usage_of(auth.id)
    quota = auth.quota_size_in_bytes
    return s.UserUsageResponse(
        photos=row["photos"],
        videos=row["videos"],
        usage=row["usage"],
        quota_size_in_bytes=quota,
        quota_usage_in_bytes=row["usage"],
        quota_remaining_in_bytes=None if quota is None else max(0, quota - row["usage"]),
    )


def features() -> s.ServerFeaturesResponse:
    """From what is deployed: the pipeline's stages and the modules present (no imports of
    heavy code: find_spec only looks)."""
    from importlib.util import find_spec

    stages = {st.name for st in pipeline.STAGES}
    smart = "smart-search" in stages
    return s.ServerFeaturesResponse(
        smart_search=smart,
        facial_recognition="faces" in stages,
        duplicate_detection=smart,
        map=True,
        reverse_geocoding=find_spec("reverse_geocoder") is not None,
        trash=True,
        sharing=find_spec("chalicelib.services.access") is not None,
        tags=True,
        memories=True,
        download_archive="archive" in stages,
        password_login=True,
        oauth=False,
        search=True,
    )
