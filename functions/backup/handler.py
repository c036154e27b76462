"""Database backup Lambda (a container image: it carries pg_dump/pg_restore 16).

EventBridge sends {"action": "backup"} nightly, as does the API's "back up now"; an operator
restores with {"action": "restore", "name": "skyroll-<time>.dump"} (docs/deploy.md)."""

from typing import Any

from chalicelib.container import get_container
from chalicelib.observability import logger, metrics


@logger.inject_lambda_context
@metrics.log_metrics
def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    service = get_container().backup_service
    if event.get("action", "backup") == "restore":
        return service.restore(str(event["name"]))
    return service.create().model_dump(mode="json", by_alias=True)
