"""The bulk_jobs worker: one batch of a bulk job per message (services/bulk_jobs.py)."""

from __future__ import annotations

from chalicelib.messaging import BulkJobMessage
from chalicelib.workers.context import BulkJobContext


def handle(body: str, c: BulkJobContext) -> None:
    c.bulk_job_service.run_step(BulkJobMessage.model_validate_json(body))
