"""Builds a stage's Lambda handler, both reporting partial batch failures
(ReportBatchItemFailures): ``make_handler`` hands each SQS record's body to
``handle(body, container)`` (Powertools BatchProcessor); ``batch_handler`` hands the whole
batch to ``handle_batch(bodies, container)``."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from aws_lambda_powertools.utilities.batch import (
    BatchProcessor,
    EventType,
    process_partial_response,
)
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord

from chalicelib.container import Container, get_container
from chalicelib.observability import logger, metrics


def make_handler(
    handle: Callable[[str, Container], None],
) -> Callable[[dict[str, Any], Any], dict[str, Any]]:
    def record_handler(record: SQSRecord) -> None:
        handle(record.body, get_container())

    @logger.inject_lambda_context
    @metrics.log_metrics
    def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
        # One processor per invocation: it keeps the batch's outcomes on itself, and the
        # local runner may invoke the same handler from two threads at once.
        processor = BatchProcessor(event_type=EventType.SQS)
        return dict(
            process_partial_response(
                event=event, record_handler=record_handler, processor=processor, context=context
            )
        )

    return handler


def batch_handler(
    handle_batch: Callable[[list[str], Container], list[Exception | None]],
) -> Callable[[dict[str, Any], Any], dict[str, Any]]:
    """A stage's Lambda handler that gives ``handle_batch`` the whole SQS batch (the
    per-record ``make_handler`` hands records over one at a time): the records
    it answers with an exception come back as ``batchItemFailures`` (ReportBatchItemFailures),
    so only they are retried."""

    @logger.inject_lambda_context
    @metrics.log_metrics
    def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
        records = event.get("Records", [])
        outcomes = handle_batch([r["body"] for r in records], get_container())
        failures = []
        for record, error in zip(records, outcomes, strict=True):
            if error is not None:
                logger.error(
                    "record failed: SQS delivers it again",
                    extra={"message_id": record["messageId"]},
                    exc_info=error,
                )
                failures.append({"itemIdentifier": record["messageId"]})
        return {"batchItemFailures": failures}

    return handler
