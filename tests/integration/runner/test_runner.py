"""The local event-source runner against real SQS queues on a moto server."""

from __future__ import annotations

import base64
import hashlib
import json
import threading
import time
from collections import Counter
from collections.abc import Callable
from typing import Any

import pytest
from aws_lambda_powertools import Logger
from aws_lambda_powertools.utilities.batch import (
    BatchProcessor,
    EventType,
    process_partial_response,
)
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from aws_lambda_powertools.utilities.parser.models import SqsModel

from chalicelib.local.aws import Resources, bootstrap
from chalicelib.local.runner import BatchResult, EventSourceRunner, failed_ids, import_handler
from chalicelib.pipeline import Stage
from chalicelib.settings import Settings
from tests.support.aws import Aws, make_stage

Handler = Callable[[dict[str, Any], Any], Any]


def _stage(name: str, **overrides: Any) -> Stage:
    # Not S3-triggered: the queue then holds only what the test sends (no s3:TestEvent).
    return make_stage(name, trigger="upstream", **overrides)


def _runner(
    aws: Aws, settings: Settings, stages: tuple[Stage, ...], handlers: dict[str, Handler]
) -> tuple[EventSourceRunner, Resources]:
    # A 1 s visibility timeout lets a failed message come back within the test.
    resources = bootstrap(settings, aws.s3, aws.sqs, aws.sns, stages, visibility_timeout_override=1)
    runner = EventSourceRunner(stages, aws.sqs, settings, resolve=lambda s: handlers[s.name])
    return runner, resources


def _send(aws: Aws, url: str, *bodies: str) -> dict[str, str]:
    """body -> message id."""
    return {b: aws.sqs.send_message(QueueUrl=url, MessageBody=b)["MessageId"] for b in bodies}


def _count(aws: Aws, url: str) -> int:
    attributes = aws.sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]
    return int(attributes["ApproximateNumberOfMessages"]) + int(
        attributes["ApproximateNumberOfMessagesNotVisible"]
    )


def _until(condition: Callable[[], bool], timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError("condition not reached in time")
        time.sleep(0.1)


class Recorder:
    """A handler that records what it saw and reports the bodies in ``poison`` as failures."""

    def __init__(self, poison: tuple[str, ...] = ()) -> None:
        self.poison = poison
        self.seen: list[tuple[str, str]] = []  # (body, ApproximateReceiveCount)
        self.events: list[dict[str, Any]] = []
        self.contexts: list[Any] = []
        self.lock = threading.Lock()

    def __call__(self, event: dict[str, Any], context: Any) -> dict[str, Any]:
        with self.lock:
            self.events.append(event)
            self.contexts.append(context)
            self.seen += [
                (r["body"], r["attributes"]["ApproximateReceiveCount"]) for r in event["Records"]
            ]
        return {
            "batchItemFailures": [
                {"itemIdentifier": r["messageId"]}
                for r in event["Records"]
                if r["body"] in self.poison
            ]
        }

    def bodies(self) -> Counter[str]:
        with self.lock:
            return Counter(body for body, _ in self.seen)


def test_poison_message_reaches_the_dlq_while_the_rest_succeed(
    aws: Aws, aws_settings: Settings
) -> None:
    stage = _stage("ingest", max_receive_count=3)
    handler = Recorder(poison=("poison",))
    runner, resources = _runner(aws, aws_settings, (stage,), {"ingest": handler})
    queue = resources.queues["ingest"]
    ids = _send(aws, queue.url, "a", "poison", "b", "c")

    first = runner.run_once("ingest", wait_seconds=1)
    assert sorted(first.received) == sorted(ids.values())
    assert first.failed == (ids["poison"],)
    assert sorted(first.deleted) == sorted(ids[b] for b in "abc")

    dlq: list[dict[str, Any]] = []

    def poison_in_dlq() -> bool:
        runner.run_once("ingest", wait_seconds=1)
        dlq.extend(
            aws.sqs.receive_message(
                QueueUrl=queue.dlq_url,
                MaxNumberOfMessages=10,
                MessageSystemAttributeNames=["All"],
            ).get("Messages", [])
        )
        return bool(dlq)

    _until(poison_in_dlq)

    assert handler.bodies() == Counter({"a": 1, "b": 1, "c": 1, "poison": 3})
    assert [count for body, count in handler.seen if body == "poison"] == ["1", "2", "3"]
    assert [(m["MessageId"], m["Body"]) for m in dlq] == [(ids["poison"], "poison")]
    assert _count(aws, queue.url) == 0


def test_a_raising_handler_leaves_the_whole_batch(aws: Aws, aws_settings: Settings) -> None:
    stage = _stage("ingest")
    calls: list[list[str]] = []

    def broken(event: dict[str, Any], context: Any) -> None:
        calls.append([r["messageId"] for r in event["Records"]])
        raise RuntimeError("database is down")

    recorder = Recorder()
    runner, resources = _runner(aws, aws_settings, (stage,), {"ingest": broken})
    url = resources.queues["ingest"].url
    ids = _send(aws, url, "x", "y", "z")

    result = runner.run_once("ingest", wait_seconds=1)

    assert result.error == "RuntimeError: database is down"
    assert result.deleted == ()
    assert sorted(result.failed) == sorted(ids.values())
    assert _count(aws, url) == 3
    # The same messages come back after the visibility timeout, one receive older.
    healed = EventSourceRunner((stage,), aws.sqs, aws_settings, resolve=lambda s: recorder)

    def all_redelivered() -> bool:
        healed.run_once("ingest", wait_seconds=1)
        return len(recorder.seen) >= 3

    _until(all_redelivered)
    assert sorted(recorder.seen) == [("x", "2"), ("y", "2"), ("z", "2")]
    assert calls == [list(result.received)]
    assert _count(aws, url) == 0


def test_an_invalid_batch_response_fails_the_whole_batch(aws: Aws, aws_settings: Settings) -> None:
    def liar(event: dict[str, Any], context: Any) -> dict[str, Any]:
        return {"batchItemFailures": [{"itemIdentifier": "not-in-this-batch"}]}

    runner, resources = _runner(aws, aws_settings, (_stage("ingest"),), {"ingest": liar})
    _send(aws, resources.queues["ingest"].url, "one", "two")

    result = runner.run_once("ingest", wait_seconds=1)

    assert result.deleted == ()
    assert len(result.failed) == 2
    assert result.error is not None and "not-in-this-batch" in result.error
    assert _count(aws, resources.queues["ingest"].url) == 2


def test_powertools_batch_processor_accepts_the_event(aws: Aws, aws_settings: Settings) -> None:
    processor = BatchProcessor(event_type=EventType.SQS)
    handled: list[str] = []
    logger = Logger(service="runner-test")

    def record_handler(record: SQSRecord) -> None:
        if record.body == "bad":
            raise ValueError("unreadable upload")
        handled.append(record.body)

    @logger.inject_lambda_context
    def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
        return process_partial_response(
            event=event, record_handler=record_handler, processor=processor, context=context
        )

    runner, resources = _runner(aws, aws_settings, (_stage("ingest"),), {"ingest": lambda_handler})
    ids = _send(aws, resources.queues["ingest"].url, "good-1", "bad", "good-2")

    result = runner.run_once("ingest", wait_seconds=1)

    assert sorted(handled) == ["good-1", "good-2"]
    assert result.failed == (ids["bad"],)
    assert sorted(result.deleted) == sorted([ids["good-1"], ids["good-2"]])
    assert result.error is None


def test_event_and_context_have_lambdas_shape(aws: Aws, aws_settings: Settings) -> None:
    stage = _stage("ingest", memory_mb=2048, timeout_seconds=90)
    handler = Recorder()
    runner, resources = _runner(aws, aws_settings, (stage,), {"ingest": handler})
    queue = resources.queues["ingest"]
    body = json.dumps({"asset": "a-1"})
    aws.sqs.send_message(
        QueueUrl=queue.url,
        MessageBody=body,
        MessageAttributes={
            "kind": {"DataType": "String", "StringValue": "image"},
            "blob": {"DataType": "Binary", "BinaryValue": b"\x00\x01\xff"},
        },
    )

    runner.run_once("ingest", wait_seconds=1)

    (event,) = handler.events
    parsed = SqsModel.model_validate(event)  # Powertools' own model of the Lambda event
    (record,) = parsed.Records
    assert record.body == body
    assert record.eventSource == "aws:sqs"
    assert record.eventSourceARN == queue.arn
    assert record.awsRegion == "us-east-1"
    assert record.md5OfBody == hashlib.md5(body.encode()).hexdigest()  # noqa: S324
    assert record.attributes.ApproximateReceiveCount == "1"
    raw = event["Records"][0]
    assert set(raw["attributes"]) >= {
        "ApproximateReceiveCount",
        "SentTimestamp",
        "SenderId",
        "ApproximateFirstReceiveTimestamp",
    }
    assert raw["messageAttributes"]["kind"] == {
        "stringValue": "image",
        "stringListValues": [],
        "binaryListValues": [],
        "dataType": "String",
    }
    assert base64.b64decode(raw["messageAttributes"]["blob"]["binaryValue"]) == b"\x00\x01\xff"
    (context,) = handler.contexts
    assert context.function_name == f"{aws_settings.queue_prefix}ingest"
    assert context.memory_limit_in_mb == 2048
    assert context.invoked_function_arn.endswith(f":function:{context.function_name}")
    assert 0 < context.get_remaining_time_in_millis() <= 90_000


def test_batches_respect_batch_size(aws: Aws, aws_settings: Settings) -> None:
    handler = Recorder()
    runner, resources = _runner(
        aws, aws_settings, (_stage("ingest", batch_size=3),), {"ingest": handler}
    )
    _send(aws, resources.queues["ingest"].url, *[f"m{i}" for i in range(7)])

    sizes = [runner.run_once("ingest", wait_seconds=1).size for _ in range(4)]

    assert sizes == [3, 3, 1, 0]
    assert sorted(handler.bodies()) == [f"m{i}" for i in range(7)]


def test_a_batching_window_gathers_more_than_one_receive(aws: Aws, aws_settings: Settings) -> None:
    stage = _stage("ingest", batch_size=25, batching_window_seconds=2)
    handler = Recorder()
    # The declared visibility timeout (30 s): longer than the window, as AWS requires.
    resources = bootstrap(aws_settings, aws.s3, aws.sqs, aws.sns, (stage,))
    runner = EventSourceRunner((stage,), aws.sqs, aws_settings, resolve=lambda s: handler)
    url = resources.queues["ingest"].url
    for start in (0, 10):
        aws.sqs.send_message_batch(
            QueueUrl=url,
            Entries=[{"Id": str(i), "MessageBody": f"m{start + i}"} for i in range(10)],
        )

    result = runner.run_once("ingest", wait_seconds=1)

    # One invocation with everything: a single ReceiveMessage returns at most 10.
    assert result.size == 20
    assert len(handler.events) == 1
    assert sorted(handler.bodies()) == sorted(f"m{i}" for i in range(20))


def test_a_message_received_twice_in_one_window_is_one_record(
    aws: Aws, aws_settings: Settings
) -> None:
    # Visibility 1 s, window 3 s: SQS hands the same message out again inside the window.
    stage = _stage("ingest", batch_size=25, batching_window_seconds=3)
    handler = Recorder()
    runner, resources = _runner(aws, aws_settings, (stage,), {"ingest": handler})
    _send(aws, resources.queues["ingest"].url, "only")

    result = runner.run_once("ingest", wait_seconds=1)

    assert len(result.received) == 1
    assert [body for body, _ in handler.seen] == ["only"]
    assert _count(aws, resources.queues["ingest"].url) == 0


def test_start_runs_every_stage_and_stop_ends_all_threads(aws: Aws, aws_settings: Settings) -> None:
    ingest, thumbnail = Recorder(), Recorder()
    stages = (_stage("ingest"), _stage("thumbnail"))
    runner, resources = _runner(
        aws, aws_settings, stages, {"ingest": ingest, "thumbnail": thumbnail}
    )
    runner.start()
    try:
        _send(aws, resources.queues["ingest"].url, "i1", "i2")
        _send(aws, resources.queues["thumbnail"].url, "t1")
        _until(lambda: sum(ingest.bodies().values()) == 2 and sum(thumbnail.bodies().values()) == 1)
    finally:
        runner.stop()

    assert runner.threads == []
    assert not [t for t in threading.enumerate() if t.name.startswith("runner-")]
    _until(lambda: _count(aws, resources.queues["ingest"].url) == 0)
    assert _count(aws, resources.queues["thumbnail"].url) == 0


def test_a_handler_that_cannot_be_imported_keeps_its_batch(
    aws: Aws, aws_settings: Settings
) -> None:
    stage = _stage("ingest")
    bootstrap(aws_settings, aws.s3, aws.sqs, aws.sns, (stage,), visibility_timeout_override=1)
    runner = EventSourceRunner((stage,), aws.sqs, aws_settings)  # the real import resolver
    url = aws.sqs.get_queue_url(QueueName=aws_settings.queue_name("ingest"))["QueueUrl"]
    _send(aws, url, "kept")

    result = runner.run_once("ingest", wait_seconds=1)

    assert result.error is not None and "ModuleNotFoundError" in result.error
    assert result.deleted == ()
    assert _count(aws, url) == 1


def test_import_handler_resolves_module_colon_function() -> None:
    from chalicelib.pipeline import get_stage

    stage = Stage(name="x", trigger="s3:original", handler="chalicelib.pipeline:get_stage")
    assert import_handler(stage) is get_stage
    with pytest.raises(ValueError, match="module:function"):
        import_handler(Stage(name="x", trigger="s3:original", handler="no_colon"))


@pytest.mark.parametrize(
    ("response", "expected_failed", "whole_batch"),
    [
        (None, [], False),
        ({}, [], False),
        ({"batchItemFailures": []}, [], False),
        ({"batchItemFailures": [{"itemIdentifier": "b"}]}, ["b"], False),
        ({"batchItemFailures": [{"itemIdentifier": ""}]}, ["a", "b"], True),
        ({"batchItemFailures": [{"itemIdentifier": None}]}, ["a", "b"], True),
        ({"batchItemFailures": [{"id": "a"}]}, ["a", "b"], True),
        ({"batchItemFailures": "a"}, ["a", "b"], True),
        ("ok", ["a", "b"], True),
    ],
)
def test_failed_ids_follow_report_batch_item_failures(
    response: Any, expected_failed: list[str], whole_batch: bool
) -> None:
    failed, error = failed_ids(response, ["a", "b"])
    assert failed == expected_failed
    assert (error is not None) == whole_batch


def test_an_empty_poll_is_an_empty_result(aws: Aws, aws_settings: Settings) -> None:
    runner, _ = _runner(aws, aws_settings, (_stage("ingest"),), {"ingest": Recorder()})
    assert runner.run_once("ingest", wait_seconds=0) == BatchResult("ingest")


def test_two_workers_share_a_stage_and_each_message_is_handled_once(
    aws: Aws, aws_settings: Settings
) -> None:
    # The declared visibility timeout (30 s): a message one worker holds is invisible to the
    # other until it is deleted.
    stage = _stage("ingest", batch_size=4)
    resources = bootstrap(aws_settings, aws.s3, aws.sqs, aws.sns, (stage,))
    both_in = threading.Barrier(2, timeout=30)
    recorder = Recorder()
    threads: set[str] = set()
    calls = Counter[str]()

    def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
        name = threading.current_thread().name
        with recorder.lock:
            cold = not calls
            calls["all"] += 1
            first_after_cold = not cold and name not in threads
            if not cold:
                threads.add(name)
        # The first batch runs alone (the cold start); after it, each worker's first batch
        # waits for the other's: this breaks (and fails the test) unless both run at once.
        if first_after_cold:
            both_in.wait()
        return recorder(event, context)

    runner = EventSourceRunner(
        (stage,), aws.sqs, aws_settings, resolve=lambda s: handler, workers=2
    )
    url = resources.queues["ingest"].url
    bodies = [f"m{i}" for i in range(40)]
    for start in range(0, len(bodies), 10):
        aws.sqs.send_message_batch(
            QueueUrl=url,
            Entries=[
                {"Id": str(i), "MessageBody": b} for i, b in enumerate(bodies[start : start + 10])
            ],
        )
    runner.start()
    try:
        _until(lambda: sum(recorder.bodies().values()) >= len(bodies))
        _until(lambda: _count(aws, url) == 0)
    finally:
        runner.stop()

    assert threads == {"runner-ingest-0", "runner-ingest-1"}
    assert not both_in.broken
    assert recorder.bodies() == Counter({b: 1 for b in bodies})  # none twice, none lost
    assert {count for _, count in recorder.seen} == {"1"}


def test_workers_default_to_the_cores_within_reserved_concurrency() -> None:
    import os

    from chalicelib.local.runner import default_workers

    cores = len(os.sched_getaffinity(0))
    assert default_workers(_stage("a"), 0) == cores
    assert default_workers(_stage("a", reserved_concurrency=1), 0) == 1
    assert default_workers(_stage("a", reserved_concurrency=5), 3) == 3
    assert default_workers(_stage("a"), 4) == 4
