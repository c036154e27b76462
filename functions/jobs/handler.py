"""Scheduled jobs Lambda: EventBridge sends {"job": "<name>"}."""

from typing import Any

from chalicelib import jobs
from chalicelib.container import get_container
from chalicelib.observability import logger, metrics


@logger.inject_lambda_context
@metrics.log_metrics
def handler(event: dict, context: Any) -> dict:
    name = event["job"]
    return {"job": name, "result": jobs.run(name, get_container())}
