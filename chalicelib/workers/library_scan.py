"""Library scan stage: one page of an external library's listing per message
(``LibraryScanMessage``); the service keeps the library's assets in step with it and queues
the next page. S3 or database errors raise, so SQS retries the same page."""

from __future__ import annotations

from chalicelib.messaging import LibraryScanMessage
from chalicelib.observability import logger
from chalicelib.workers.context import LibraryScanContext

STAGE = "library_scan"


def handle(body: str, container: LibraryScanContext) -> None:
    message = LibraryScanMessage.model_validate_json(body)
    logger.append_keys(library_id=str(message.library_id))
    try:
        counts = container.library_service.scan_page(message)
        logger.info("library page scanned", extra=counts)
    finally:
        logger.remove_keys(["library_id"])
