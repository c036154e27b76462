"""Bulk jobs in tests: a route's 202, then the bulk_jobs worker run until its queue is empty,
then the job as the status route shows it."""

from __future__ import annotations

from typing import Any

from tests.support.harness import Harness


def run_jobs(h: Harness) -> int:
    """Runs the bulk_jobs stage until its queue stays empty; returns the batches handled."""
    return h.drain(stages=("bulk_jobs",))


def finish(h: Harness, started: Any, token: str) -> dict[str, Any]:
    """``started`` is the 202 a route answered; returns the job once the worker is done."""
    assert started.status_code == 202, started.body
    job = started.json
    assert job["status"] == "queued" and job["processed"] == 0
    run_jobs(h)
    r = h.call("GET", f"/api/bulk-jobs/{job['id']}", token=token)
    assert r.status_code == 200, r.body
    return dict(r.json)
