"""Builds a stage's Lambda handler: Powertools BatchProcessor + partial batch response,
each SQS record's body handed to ``handle(body, container)``."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from aws_lambda_powertools.utilities.batch import (
    BatchProcessor,
    EventType,
    process_partial_response,
)
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord

from chalicelib.container import get_container
from chalicelib.observability import logger, metrics


def make_handler(handle: Callable[[str, Any], None]) -> Callable[[dict, Any], dict]:
    processor = BatchProcessor(event_type=EventType.SQS)

    def record_handler(record: SQSRecord) -> None:
        handle(record.body, get_container())

    @logger.inject_lambda_context
    @metrics.log_metrics
    def handler(event: dict, context: Any) -> dict:
        return dict(
            process_partial_response(
                event=event, record_handler=record_handler, processor=processor, context=context
            )
        )

    return handler
