"""The queue ports (chalicelib.messaging) and the services over them, with in-memory fakes:
no SQS, no database."""

from __future__ import annotations

import json
import uuid
from typing import Any
from uuid import UUID

import pytest

from chalicelib import errors
from chalicelib.messaging import QueueDepths, SendError, SqsQueues, next_stages, parse
from chalicelib.services.maintenance import PipelineMaintenance
from chalicelib.services.queues import QueueService
from chalicelib.settings import Settings
from tests.support.fakes import RecordingQueue


class FakeSqs:
    """The SendMessageBatch / SendMessage / GetQueueUrl calls SqsQueues makes."""

    def __init__(self, refuse: set[str] = frozenset(), down: bool = False) -> None:
        self.batches: list[tuple[str, list[dict[str, Any]]]] = []
        self.messages: list[tuple[str, str]] = []
        self.lookups: list[str] = []
        self.refuse, self.down = refuse, down

    def get_queue_url(self, QueueName: str) -> dict[str, str]:  # noqa: N803
        self.lookups.append(QueueName)
        return {"QueueUrl": f"https://sqs/{QueueName}"}

    def send_message_batch(self, QueueUrl: str, Entries: list[dict[str, Any]]) -> dict[str, Any]:  # noqa: N803
        if self.down:
            raise ConnectionError("endpoint unreachable")
        self.batches.append((QueueUrl, Entries))
        failed = [
            {"Id": e["Id"], "Code": "InternalError"}
            for e in Entries
            if json.loads(e["MessageBody"])["assetId"] in self.refuse
        ]
        return {"Failed": failed}

    def send_message(self, QueueUrl: str, MessageBody: str) -> dict[str, str]:  # noqa: N803
        self.messages.append((QueueUrl, MessageBody))
        return {"MessageId": "1"}


def queues(sqs: FakeSqs) -> SqsQueues:
    return SqsQueues(sqs, lambda stage: f"sky-{stage}", lambda stage: f"sky-{stage}-dlq")


def test_send_goes_ten_to_a_call_with_the_stage_message_shape() -> None:
    sqs = FakeSqs()
    ids = [uuid.uuid4() for _ in range(23)]
    queues(sqs).send("faces", ids, force=True, delay=900)
    assert [len(entries) for _, entries in sqs.batches] == [10, 10, 3]
    assert {url for url, _ in sqs.batches} == {"https://sqs/sky-faces"}
    entries = [e for _, batch in sqs.batches for e in batch]
    assert [parse(e["MessageBody"]).asset_id for e in entries] == ids
    assert json.loads(entries[0]["MessageBody"]) == {
        "assetId": str(ids[0]),
        "stage": "faces",
        "force": True,
    }
    assert {e["DelaySeconds"] for e in entries} == {900}
    assert sqs.lookups == ["sky-faces"]  # the URL is looked up once


def test_no_delay_means_no_delay_field() -> None:
    sqs = FakeSqs()
    queues(sqs).send("thumbnail", [uuid.uuid4()])
    ((_, (entry,)),) = sqs.batches
    assert "DelaySeconds" not in entry


def test_every_chunk_is_tried_and_the_refused_assets_are_named() -> None:
    ids = [uuid.uuid4() for _ in range(12)]
    sqs = FakeSqs(refuse={str(ids[3]), str(ids[11])})
    with pytest.raises(SendError) as raised:
        queues(sqs).send("faces", ids)
    assert set(raised.value.failed) == {ids[3], ids[11]}
    assert len(sqs.batches) == 2


def test_a_call_that_fails_names_its_whole_chunk() -> None:
    ids = [uuid.uuid4() for _ in range(3)]
    with pytest.raises(SendError) as raised:
        queues(FakeSqs(down=True)).send("faces", ids)
    assert set(raised.value.failed) == set(ids)
    assert all(isinstance(e, ConnectionError) for e in raised.value.failed.values())


def test_archive_parts_carry_the_archive_and_part() -> None:
    sqs = FakeSqs()
    archive = uuid.uuid4()
    queues(sqs).send_archive_parts(archive, [1, 2])
    assert [(url, json.loads(body)) for url, body in sqs.messages] == [
        ("https://sqs/sky-archive", {"archiveId": str(archive), "partNumber": 1}),
        ("https://sqs/sky-archive", {"archiveId": str(archive), "partNumber": 2}),
    ]


def test_next_stages_follow_the_pipeline_and_the_asset_type() -> None:
    assert "transcode" in next_stages("ingest", "VIDEO")
    assert "transcode" not in next_stages("ingest", "IMAGE")


class FakeAdmin:
    """A QueueAdmin whose dead-letter queue holds ``dead`` messages; ``refuse`` per batch."""

    def __init__(self, dead: int, refuse_after: int | None = None) -> None:
        self.dead, self.moved, self.refuse_after = dead, 0, refuse_after

    def depths(self, stage: str) -> QueueDepths:
        return QueueDepths(1, 2, 3)

    def dead_letter_depths(self, stage: str) -> QueueDepths:
        return QueueDepths(self.dead, 0, 0)

    def peek_dead_letters(self, stage: str, limit: int) -> list[dict[str, Any]]:
        return []

    def redrive_batch(self, stage: str) -> tuple[int, int]:
        take = min(10, self.dead)
        if self.refuse_after is not None and self.moved >= self.refuse_after and take:
            return 0, take
        self.dead -= take
        self.moved += take
        return take, 0


class FakeStats:
    def stage_counts(self) -> dict[str, dict[str, int]]:
        return {"thumbnail": {"done": 4}}

    def stage_errors(self, stage: str, ids: list[UUID]) -> dict[UUID, str | None]:
        return {}


def queue_service(admin: FakeAdmin) -> QueueService:
    return QueueService(admin, FakeStats())  # type: ignore[arg-type]


def test_redrive_moves_batches_until_the_dead_letters_are_gone() -> None:
    admin = FakeAdmin(dead=25)
    assert queue_service(admin).redrive("thumbnail").moved == 25
    assert admin.dead == 0


def test_redrive_stops_with_an_error_when_sqs_refuses() -> None:
    admin = FakeAdmin(dead=25, refuse_after=10)
    with pytest.raises(errors.SkyrollError, match="refused 10 messages; moved 10"):
        queue_service(admin).redrive("thumbnail")


def test_status_reports_every_stage_with_depths_and_counts() -> None:
    rows = {r.name: r for r in queue_service(FakeAdmin(dead=7)).status()}
    thumbnail = rows["thumbnail"]
    assert (thumbnail.queued, thumbnail.in_flight, thumbnail.delayed) == (1, 2, 3)
    assert thumbnail.dlq == 7 and thumbnail.assets.done == 4


def test_an_unknown_stage_is_a_404() -> None:
    with pytest.raises(errors.NotFound):
        queue_service(FakeAdmin(dead=0)).redrive("nope")


class StalledRepo:
    def __init__(self, rows: list[dict[str, Any]]) -> None:
        self.pages = [rows, []]

    def touch_stalled(self, minutes: int, stages: list[str]) -> list[dict[str, Any]]:
        assert "ingest" not in stages and "archive" not in stages
        return self.pages.pop(0)


def test_resume_stalled_sends_each_stalled_stage_again() -> None:
    a, b = uuid.uuid4(), uuid.uuid4()
    queue = RecordingQueue()
    rows = [{"stage": "thumbnail", "asset_id": a}, {"stage": "faces", "asset_id": b}]
    maintenance = PipelineMaintenance(
        StalledRepo(rows),  # type: ignore[arg-type]
        None,  # type: ignore[arg-type]
        queue,
        Settings(),
    )
    assert maintenance.resume_stalled() == {"resent": 2}
    assert queue.sent == [("thumbnail", [a], False), ("faces", [b], False)]
