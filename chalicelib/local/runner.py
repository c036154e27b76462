"""What Lambda's SQS event source mapping does, run locally: one polling thread per stage.

For each declared stage it long-polls the stage's queue, gathers up to ``batch_size``
messages or until the batching window closes, builds the real Lambda SQS event, calls the
same handler function the Lambda runs (``Stage.handler``, "module:function") with a fake
``LambdaContext``, then deletes the records that succeeded. ReportBatchItemFailures rules
apply: ids listed in ``batchItemFailures`` stay; if the handler raises or answers with an
invalid response, the whole batch stays. Nothing is retried here: failed messages become
visible again after the queue's visibility timeout, and the queue's RedrivePolicy moves a
message to its DLQ once it has been received ``maxReceiveCount`` times, as in AWS.

A stage runs on ``workers`` threads (``SKYROLL_LOCAL_WORKERS``; by default one per usable
core, never more than the stage's reserved concurrency), each polling and invoking on its
own, as Lambda scales a queue's pollers out. They share one process, so the handlers share
the container (pool, clients, loaded models); libvips and onnxruntime release the GIL.
SQS's visibility timeout keeps two workers from holding the same message at once.

Differences from Lambda, on purpose: the workers are threads of one process, not isolated
instances, and a handler that overruns its Lambda timeout is logged, not killed (threads
can't be).
"""

from __future__ import annotations

import base64
import importlib
import math
import os
import signal
import threading
import time
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from types import FrameType
from typing import Any, cast

from chalicelib.observability import logger
from chalicelib.pipeline import STAGES, Stage
from chalicelib.settings import Settings

Handler = Callable[[dict[str, Any], Any], Any]
Resolver = Callable[[Stage], Handler]

SQS_MAX_MESSAGES = 10  # per ReceiveMessage call
SQS_MAX_WAIT_SECONDS = 20
DEFAULT_POLL_WAIT_SECONDS = 1  # short long-polls: stop() returns within about this long
STACK_POLL_WAIT_SECONDS = 5  # `make dev`'s runner process
_ACCOUNT = "123456789012"


def import_handler(stage: Stage) -> Handler:
    """The function named by ``stage.handler`` ("package.module:function")."""
    module_name, _, attribute = stage.handler.partition(":")
    if not module_name or not attribute:
        raise ValueError(f"stage {stage.name}: handler must be 'module:function'")
    handler: object = getattr(importlib.import_module(module_name), attribute)
    if not callable(handler):
        raise TypeError(f"stage {stage.name}: {stage.handler} is not callable")
    return cast(Handler, handler)


@dataclass
class FakeLambdaContext:
    """The attributes of ``awslambdaric``'s LambdaContext that handlers and Powertools read."""

    function_name: str
    memory_limit_in_mb: int
    timeout_seconds: int
    region: str
    aws_request_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    function_version: str = "$LATEST"
    started: float = field(default_factory=time.monotonic)

    @property
    def invoked_function_arn(self) -> str:
        return f"arn:aws:lambda:{self.region}:{_ACCOUNT}:function:{self.function_name}"

    @property
    def log_group_name(self) -> str:
        return f"/aws/lambda/{self.function_name}"

    @property
    def log_stream_name(self) -> str:
        return f"local/[$LATEST]{self.aws_request_id.replace('-', '')}"

    def get_remaining_time_in_millis(self) -> int:
        elapsed = time.monotonic() - self.started
        return max(0, int((self.timeout_seconds - elapsed) * 1000))


@dataclass(frozen=True)
class BatchResult:
    stage: str
    # Message ids, in the order the handler saw them.
    received: tuple[str, ...] = ()
    deleted: tuple[str, ...] = ()
    failed: tuple[str, ...] = ()
    # Set when the whole batch failed (the handler raised or answered nonsense).
    error: str | None = None
    duration_ms: float = 0.0
    # CPU time of the invoking thread during the handler call (what a Lambda bills as
    # compute, minus threads it starts), and how long the records had waited in the queue.
    cpu_ms: float = 0.0
    queue_wait_ms: float = 0.0

    @property
    def size(self) -> int:
        return len(self.received)


# --- the event Lambda builds ----------------------------------------------------------
def _message_attribute(value: dict[str, Any]) -> dict[str, Any]:
    # ReceiveMessage's PascalCase (binary as bytes) -> the event's camelCase (binary base64).
    attribute: dict[str, Any] = {
        "stringListValues": list(value.get("StringListValues", [])),
        "binaryListValues": [
            base64.b64encode(v).decode() for v in value.get("BinaryListValues", [])
        ],
        "dataType": value["DataType"],
    }
    if "StringValue" in value:
        attribute["stringValue"] = value["StringValue"]
    if "BinaryValue" in value:
        attribute["binaryValue"] = base64.b64encode(value["BinaryValue"]).decode()
    return attribute


def lambda_record(message: dict[str, Any], queue_arn: str, region: str) -> dict[str, Any]:
    """One element of ``event["Records"]``, from one ReceiveMessage result."""
    record: dict[str, Any] = {
        "messageId": message["MessageId"],
        "receiptHandle": message["ReceiptHandle"],
        "body": message["Body"],
        "attributes": dict(message.get("Attributes", {})),
        "messageAttributes": {
            name: _message_attribute(value)
            for name, value in message.get("MessageAttributes", {}).items()
        },
        "md5OfBody": message["MD5OfBody"],
        "eventSource": "aws:sqs",
        "eventSourceARN": queue_arn,
        "awsRegion": region,
    }
    if "MD5OfMessageAttributes" in message:
        record["md5OfMessageAttributes"] = message["MD5OfMessageAttributes"]
    return record


def failed_ids(response: Any, batch_ids: list[str]) -> tuple[list[str], str | None]:
    """(ids to keep, why the whole batch failed or None), by ReportBatchItemFailures rules.

    No response, no ``batchItemFailures`` or an empty list: all succeeded. An entry without a
    usable ``itemIdentifier``, an id not in the batch, or a response that is not an object:
    Lambda counts the whole batch as failed.
    """
    if response is None:
        return [], None
    failures = response.get("batchItemFailures") if isinstance(response, dict) else response
    if not failures:
        return [], None
    if not isinstance(failures, list):
        return list(batch_ids), f"invalid batch response: {response!r:.200}"
    kept: list[str] = []
    for failure in failures:
        item = failure.get("itemIdentifier") if isinstance(failure, dict) else None
        if not isinstance(item, str) or item not in batch_ids:
            return list(batch_ids), f"invalid batchItemFailures entry: {failure!r:.200}"
        kept.append(item)
    return kept, None


def queue_wait_ms(messages: list[dict[str, Any]], now_ms: float) -> float:
    """Total time the records spent in the queue before this invoke (SentTimestamp to now)."""
    sent = [int(m.get("Attributes", {}).get("SentTimestamp", now_ms)) for m in messages]
    return float(sum(max(0.0, now_ms - t) for t in sent))


def default_workers(stage: Stage, configured: int) -> int:
    """Threads for a stage: ``configured`` (0 = one per usable core), capped by the stage's
    reserved concurrency as Lambda caps its scaling."""
    wanted = configured or len(os.sched_getaffinity(0))
    if stage.reserved_concurrency:
        wanted = min(wanted, stage.reserved_concurrency)
    return max(1, wanted)


def _latest_receipt_per_message(messages: list[dict[str, Any]]) -> list[dict[str, Any]]:
    # A window longer than the visibility timeout can receive a message twice: keep one record
    # per message, with the newest receipt handle (the one SQS honours for deletion).
    latest = {m["MessageId"]: m for m in messages}
    return list(latest.values())


# --- the runner -----------------------------------------------------------------------
@dataclass(frozen=True)
class _Queue:
    url: str
    arn: str


class EventSourceRunner:
    """``start()`` the stages' worker threads, ``stop()`` joins them; ``run_once`` for tests.

    The boto3 SQS client is shared by the threads (low-level clients are thread-safe); each
    thread holds one of its pooled connections during a long poll.
    """

    def __init__(
        self,
        stages: Iterable[Stage],
        sqs: Any,
        settings: Settings,
        resolve: Resolver = import_handler,
        *,
        poll_wait_seconds: int = DEFAULT_POLL_WAIT_SECONDS,
        workers: int = 1,
    ) -> None:
        self.stages = {stage.name: stage for stage in stages}
        self.sqs = sqs
        self.settings = settings
        self.resolve = resolve
        self.poll_wait_seconds = max(0, min(SQS_MAX_WAIT_SECONDS, poll_wait_seconds))
        self.workers = max(0, workers)
        self._queues: dict[str, _Queue] = {}
        self._handlers: dict[str, Handler] = {}
        # A stage's first batch runs alone: its cold start (imports, the container's lazily
        # built pool and models) happens once, not once per worker at the same moment.
        self._cold = {name: threading.Lock() for name in self.stages}
        self._warm: set[str] = set()
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self._threads: list[threading.Thread] = []

    # lifecycle ----------------------------------------------------------------------
    def start(self) -> None:
        if self._threads:
            return
        self._stopping.clear()
        counts = {name: default_workers(s, self.workers) for name, s in self.stages.items()}
        for name, count in counts.items():
            for index in range(count):
                thread = threading.Thread(
                    target=self._poll_forever,
                    args=(name,),
                    name=f"runner-{name}-{index}",
                    daemon=True,
                )
                thread.start()
                self._threads.append(thread)
        logger.info("event-source runner started", stages=list(self.stages), workers=counts)

    def stop(self, timeout: float = 10.0) -> None:
        """Ask every thread to finish its current batch, then join them."""
        self._stopping.set()
        deadline = time.monotonic() + timeout
        for thread in self._threads:
            thread.join(max(0.0, deadline - time.monotonic()))
        alive = [t.name for t in self._threads if t.is_alive()]
        self._threads = [t for t in self._threads if t.is_alive()]
        if alive:
            logger.warning("runner threads still busy after stop", threads=alive)
        else:
            logger.info("event-source runner stopped")

    @property
    def threads(self) -> list[threading.Thread]:
        return list(self._threads)

    def _poll_forever(self, stage_name: str) -> None:
        while not self._stopping.is_set():
            try:
                self.run_once(stage_name)
            except Exception:
                # The emulator restarting or a queue not yet created: back off and retry.
                logger.exception("runner poll failed", stage=stage_name)
                self._stopping.wait(2.0)

    # one batch ----------------------------------------------------------------------
    def run_once(self, stage_name: str, wait_seconds: int | None = None) -> BatchResult:
        """Receive one batch for ``stage_name``, invoke its handler, delete the successes."""
        stage = self.stages[stage_name]
        queue = self._queue(stage)
        wait = self.poll_wait_seconds if wait_seconds is None else wait_seconds
        messages = self._collect(stage, queue, wait)
        if not messages:
            return BatchResult(stage_name)
        if self._stopping.is_set():
            # Shutting down before the invoke: hand the messages straight back.
            self._release(queue, messages)
            return BatchResult(stage_name, received=tuple(m["MessageId"] for m in messages))
        return self._invoke(stage, queue, messages)

    def _collect(self, stage: Stage, queue: _Queue, wait: int) -> list[dict[str, Any]]:
        messages = self._receive(queue, min(SQS_MAX_MESSAGES, stage.batch_size), wait)
        if not messages or stage.batching_window_seconds <= 0:
            return messages
        # Like the event source mapping: keep gathering until the batch is full or the window
        # (counted from the first message) closes.
        closes = time.monotonic() + stage.batching_window_seconds
        while len(messages) < stage.batch_size and not self._stopping.is_set():
            remaining = closes - time.monotonic()
            if remaining <= 0:
                break
            want = min(SQS_MAX_MESSAGES, stage.batch_size - len(messages))
            # A long poll answers as soon as anything arrives; short polls (a tenth of a
            # second apart) cost a request each and kept the emulator busy while a window
            # stayed open. Whole seconds only: a quiet queue can close the window up to a
            # second late.
            messages.extend(self._receive(queue, want, math.ceil(remaining)))
        return _latest_receipt_per_message(messages)

    def _receive(self, queue: _Queue, count: int, wait: int) -> list[dict[str, Any]]:
        response = self.sqs.receive_message(
            QueueUrl=queue.url,
            MaxNumberOfMessages=count,
            WaitTimeSeconds=min(SQS_MAX_WAIT_SECONDS, wait),
            MessageSystemAttributeNames=["All"],
            MessageAttributeNames=["All"],
        )
        return list(response.get("Messages", []))

    def _invoke(self, stage: Stage, queue: _Queue, messages: list[dict[str, Any]]) -> BatchResult:
        region = self.sqs.meta.region_name
        event = {"Records": [lambda_record(m, queue.arn, region) for m in messages]}
        ids = [m["MessageId"] for m in messages]
        context = FakeLambdaContext(
            function_name=f"{self.settings.queue_prefix}{stage.name}",
            memory_limit_in_mb=stage.memory_mb,
            timeout_seconds=stage.timeout_seconds,
            region=region,
        )
        waited = queue_wait_ms(messages, time.time() * 1000)
        started, cpu_started = time.monotonic(), time.thread_time()
        try:
            response = self._call(stage, event, context)
            failed, error = failed_ids(response, ids)
        except Exception as exc:
            logger.exception("handler raised: the whole batch stays", stage=stage.name)
            failed, error = list(ids), f"{type(exc).__name__}: {exc}"
        duration_ms = (time.monotonic() - started) * 1000
        cpu_ms = (time.thread_time() - cpu_started) * 1000
        deleted = self._delete(queue, [m for m in messages if m["MessageId"] not in failed])
        if duration_ms > stage.timeout_seconds * 1000:
            logger.warning(
                "handler overran its Lambda timeout",
                stage=stage.name,
                timeout_seconds=stage.timeout_seconds,
                duration_ms=round(duration_ms),
            )
        logger.info(
            "sqs batch",
            stage=stage.name,
            size=len(ids),
            failures=len(failed),
            deleted=len(deleted),
            ms=round(duration_ms, 1),
            cpu_ms=round(cpu_ms, 1),
            queue_wait_ms=round(waited, 1),
            error=error,
        )
        return BatchResult(
            stage.name,
            tuple(ids),
            tuple(deleted),
            tuple(failed),
            error,
            duration_ms,
            cpu_ms,
            waited,
        )

    def _delete(self, queue: _Queue, messages: list[dict[str, Any]]) -> list[str]:
        deleted: list[str] = []
        for start in range(0, len(messages), SQS_MAX_MESSAGES):
            chunk = messages[start : start + SQS_MAX_MESSAGES]
            response = self.sqs.delete_message_batch(
                QueueUrl=queue.url,
                Entries=[
                    {"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(chunk)
                ],
            )
            deleted += [chunk[int(ok["Id"])]["MessageId"] for ok in response.get("Successful", [])]
            for failure in response.get("Failed", []):
                # Typically an expired receipt handle: the handler took longer than the
                # visibility timeout, so the message will be seen again (at-least-once).
                logger.warning("could not delete a processed message", failure=failure)
        return deleted

    def _release(self, queue: _Queue, messages: list[dict[str, Any]]) -> None:
        self.sqs.change_message_visibility_batch(
            QueueUrl=queue.url,
            Entries=[
                {"Id": str(i), "ReceiptHandle": m["ReceiptHandle"], "VisibilityTimeout": 0}
                for i, m in enumerate(messages)
            ],
        )

    # lookups ------------------------------------------------------------------------
    def _queue(self, stage: Stage) -> _Queue:
        with self._lock:
            if stage.name not in self._queues:
                name = self.settings.queue_name(stage.name)
                url = str(self.sqs.get_queue_url(QueueName=name)["QueueUrl"])
                arn = self.sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])
                self._queues[stage.name] = _Queue(url, str(arn["Attributes"]["QueueArn"]))
            return self._queues[stage.name]

    def _call(self, stage: Stage, event: dict[str, Any], context: FakeLambdaContext) -> Any:
        if stage.name in self._warm:
            return self._handler(stage)(event, context)
        with self._cold[stage.name]:
            response = self._handler(stage)(event, context)
            self._warm.add(stage.name)
            return response

    def _handler(self, stage: Stage) -> Handler:
        # Resolved on first use, like a Lambda cold start: an import error fails that stage's
        # batches (and so reaches its DLQ), not the whole local stack.
        handler = self._handlers.get(stage.name)
        if handler is None:
            # Outside the lock: a slow import (models) must not hold up the other stages.
            handler = self._handlers.setdefault(stage.name, self.resolve(stage))
        return handler


# What each handler's libraries may use of the cores when nothing else is configured.
LOCAL_LIBRARY_THREADS = {"VIPS_CONCURRENCY": "1", "SKYROLL_ML_THREADS": "1"}


def one_thread_per_handler() -> None:
    """libvips and onnxruntime default to a thread pool as wide as the machine, per
    handler. Here every stage's workers share the machine's cores at once (a Lambda gets
    its own vCPU share, and 1-2 GB buys at most about one): with 2 workers on each of
    several stages, pools of every core oversubscribed the cores, and onnxruntime's pool
    threads spin while they wait. The parallelism is the workers'; what is set explicitly
    (the environment) wins. Must run before pyvips is first imported."""
    for name, value in LOCAL_LIBRARY_THREADS.items():
        os.environ.setdefault(name, value)


def main() -> None:
    """``python -m chalicelib.local.runner``: run every stage against the configured endpoint."""
    one_thread_per_handler()
    from chalicelib.container import get_container

    container = get_container()
    settings = container.settings
    runner = EventSourceRunner(
        STAGES,
        container.sqs,
        settings,
        # Idle pollers cost a request each per wait (every stage, every worker): fewer and
        # longer polls, at the price of a stop() that takes up to this long.
        poll_wait_seconds=STACK_POLL_WAIT_SECONDS,
        workers=settings.local_workers,
    )
    done = threading.Event()

    def _on_signal(signum: int, frame: FrameType | None) -> None:
        done.set()

    signal.signal(signal.SIGTERM, _on_signal)
    signal.signal(signal.SIGINT, _on_signal)
    runner.start()
    done.wait()
    runner.stop()


if __name__ == "__main__":
    main()
