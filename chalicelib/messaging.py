"""Stage messages: their shape, and the ports everything that touches a stage queue uses.

A stage's queue carries one ``StageMessage`` per asset (``{"assetId", "stage", "force"}``);
the archive stage's carries one ``ArchiveMessage`` per zip part, the library_scan stage's one
``LibraryScanMessage`` per page of a listing. ``StageQueue`` sends them
(ten to a SendMessageBatch call: a call costs a worker as much CPU as a model spends on a
small image); ``QueueAdmin`` is what the jobs admin reads and moves (depths, dead letters).
``SqsQueues`` is both, over SQS; unit tests use in-memory fakes. Queue names come from
Settings, stages from the pipeline declaration.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, Protocol
from uuid import UUID

from pydantic import BaseModel, ConfigDict
from pydantic.alias_generators import to_camel

from chalicelib import pipeline

SQS_BATCH = 10  # SendMessageBatch's limit


class StageMessage(BaseModel):
    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True)

    asset_id: UUID
    stage: str
    # Set by admin re-runs: do the work even if the output exists.
    force: bool = False


class ArchiveMessage(BaseModel):
    """One part of a zip download for the archive stage to build."""

    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True)

    archive_id: UUID
    part_number: int


class LibraryScanMessage(BaseModel):
    """One page of an external library's listing: the scan it belongs to and the S3
    continuation token of the page (None: the first)."""

    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True)

    library_id: UUID
    scan_id: UUID
    token: str | None = None


class LibraryScanQueue(Protocol):
    def send_library_scan(self, message: LibraryScanMessage) -> None: ...


def body(stage: str, asset_id: UUID, *, force: bool = False) -> str:
    """The message a stage's queue carries for one asset."""
    message = StageMessage(asset_id=asset_id, stage=stage, force=force)
    return json.dumps(message.model_dump(mode="json", by_alias=True))


def parse(raw: str) -> StageMessage:
    return StageMessage.model_validate_json(raw)


def next_stages(stage_name: str, asset_type: str) -> list[str]:
    """The stages an asset of ``asset_type`` goes to once ``stage_name`` is done with it."""
    return [
        s.name
        for s in pipeline.followers(stage_name)
        if not s.asset_types or asset_type in s.asset_types
    ]


class SendError(RuntimeError):
    """Some messages did not go; ``failed`` says which assets' and why."""

    def __init__(self, failed: dict[UUID, Exception]) -> None:
        first = next(iter(failed.values()))
        super().__init__(f"{len(failed)} stage messages not sent: {first}")
        self.failed = failed


class StageQueue(Protocol):
    def send(
        self, stage: str, asset_ids: Sequence[UUID], *, force: bool = False, delay: int = 0
    ) -> None:
        """One message per asset to ``stage``'s queue, visible after ``delay`` seconds.
        Every chunk is tried; raises ``SendError`` naming the assets whose message did not
        go."""
        ...

    def send_archive_parts(self, archive_id: UUID, part_numbers: Sequence[int]) -> None:
        """One message per zip part to the archive stage's queue; raises if any did not go."""
        ...


@dataclass(frozen=True)
class QueueDepths:
    queued: int
    in_flight: int
    delayed: int

    @property
    def total(self) -> int:
        return self.queued + self.in_flight + self.delayed


class QueueAdmin(Protocol):
    def depths(self, stage: str) -> QueueDepths: ...

    def dead_letter_depths(self, stage: str) -> QueueDepths: ...

    def peek_dead_letters(self, stage: str, limit: int) -> list[dict[str, Any]]:
        """Up to ``limit`` dead letters (SQS message dicts with attributes), left in place."""
        ...

    def redrive_batch(self, stage: str) -> tuple[int, int]:
        """Moves one receive's worth of dead letters back to the stage's queue: (moved,
        refused); (0, 0) once the dead-letter queue is empty."""
        ...


_DEPTHS = [
    "ApproximateNumberOfMessages",
    "ApproximateNumberOfMessagesNotVisible",
    "ApproximateNumberOfMessagesDelayed",
]


class SqsQueues:
    """``StageQueue`` and ``QueueAdmin`` over SQS; queue URLs resolved once per name."""

    def __init__(self, sqs: Any, queue_name: Callable[[str], str], dlq_name: Callable[[str], str]):
        self._sqs = sqs
        self._queue_name = queue_name
        self._dlq_name = dlq_name
        self._url = lru_cache(maxsize=128)(self._resolve)

    def url(self, stage: str) -> str:
        return self._url(self._queue_name(stage))

    def dlq_url(self, stage: str) -> str:
        return self._url(self._dlq_name(stage))

    def _resolve(self, name: str) -> str:
        return str(self._sqs.get_queue_url(QueueName=name)["QueueUrl"])

    # --- StageQueue -------------------------------------------------------------------
    def send(
        self, stage: str, asset_ids: Sequence[UUID], *, force: bool = False, delay: int = 0
    ) -> None:
        failed: dict[UUID, Exception] = {}
        for start in range(0, len(asset_ids), SQS_BATCH):
            chunk = list(asset_ids[start : start + SQS_BATCH])
            bodies = [body(stage, asset_id, force=force) for asset_id in chunk]
            try:
                refused = self._send_batch(self.url(stage), bodies, delay)
            except Exception as exc:
                failed.update(dict.fromkeys(chunk, exc))
                continue
            for index, entry in refused.items():
                failed[chunk[index]] = RuntimeError(f"SQS refused: {entry}")
        if failed:
            raise SendError(failed)

    def send_archive_parts(self, archive_id: UUID, part_numbers: Sequence[int]) -> None:
        for number in part_numbers:
            message = ArchiveMessage(archive_id=archive_id, part_number=number)
            self._sqs.send_message(
                QueueUrl=self.url("archive"),
                MessageBody=json.dumps(message.model_dump(mode="json", by_alias=True)),
            )

    def send_library_scan(self, message: LibraryScanMessage) -> None:
        self._sqs.send_message(
            QueueUrl=self.url("library_scan"),
            MessageBody=json.dumps(message.model_dump(mode="json", by_alias=True)),
        )

    def _send_batch(self, url: str, bodies: list[str], delay: int) -> dict[int, Any]:
        entries: list[dict[str, Any]] = [
            {"Id": str(i), "MessageBody": b} for i, b in enumerate(bodies)
        ]
        if delay:
            for entry in entries:
                entry["DelaySeconds"] = delay
        response = self._sqs.send_message_batch(QueueUrl=url, Entries=entries)
        return {int(f["Id"]): f for f in response.get("Failed", [])}

    # --- QueueAdmin -------------------------------------------------------------------
    def depths(self, stage: str) -> QueueDepths:
        return self._depths(self.url(stage))

    def dead_letter_depths(self, stage: str) -> QueueDepths:
        return self._depths(self.dlq_url(stage))

    def _depths(self, url: str) -> QueueDepths:
        attrs = self._sqs.get_queue_attributes(QueueUrl=url, AttributeNames=_DEPTHS)["Attributes"]
        queued, in_flight, delayed = (int(attrs.get(name, 0)) for name in _DEPTHS)
        return QueueDepths(queued, in_flight, delayed)

    def peek_dead_letters(self, stage: str, limit: int) -> list[dict[str, Any]]:
        """Receives with VisibilityTimeout=0, so the messages stay where they are."""
        url = self.dlq_url(stage)
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
        return list(seen.values())[:limit]

    def redrive_batch(self, stage: str) -> tuple[int, int]:
        """Send first, then delete: at worst a message is delivered twice, which the
        idempotent workers shrug off."""
        source, target = self.dlq_url(stage), self.url(stage)
        batch = self._sqs.receive_message(
            QueueUrl=source, MaxNumberOfMessages=10, VisibilityTimeout=60, WaitTimeSeconds=1
        ).get("Messages", [])
        if not batch:
            return 0, 0
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
                    {"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(done)
                ],
            )
        return len(done), len(batch) - len(done)
