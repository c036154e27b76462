"""Scheduled jobs Lambda: EventBridge sends {"job": "<name>"}."""

from typing import Any

from chalicelib import jobs
from chalicelib.container import get_container
from chalicelib.observability import logger, metrics


@logger.inject_lambda_context
@metrics.log_metrics
def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    name = event["job"]
    return {"job": name, "result": jobs.run(name, get_container())}
