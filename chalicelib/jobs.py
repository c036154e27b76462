"""Scheduled maintenance jobs: EventBridge runs them in AWS (functions/jobs), the local stack
runs them on a timer, admins run them from the API or `skyroll admin run-job NAME`. Each job
is one public service method."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from typing import TYPE_CHECKING

from chalicelib import errors
from chalicelib.observability import logger

if TYPE_CHECKING:
    from chalicelib.container import Container

Job = Callable[["Container"], dict[str, int]]


def purge_trash(c: Container) -> dict[str, int]:
    """Deletes for good what has been in the trash longer than the retention period."""
    return {"purged": c.asset_service.purge_trash()}


def expire_pending_uploads(c: Container) -> dict[str, int]:
    """Uploads announced but never finished: abort multipart uploads, delete partial objects
    and the pending rows."""
    return {"expired": c.upload_service.expire_pending()}


def clean_orphans(c: Container) -> dict[str, int]:
    """Objects under users/ that no asset claims, once older than the pending-upload window."""
    return c.pipeline_maintenance.clean_orphans()


def resume_stalled(c: Container) -> dict[str, int]:
    """Stages queued over an hour ago whose message was lost: sent again. Bulk jobs nothing
    has moved for six hours (their message lost or dead-lettered): failed, to be started
    again."""
    return {
        **c.pipeline_maintenance.resume_stalled(),
        "failedJobs": c.bulk_job_service.fail_stalled(),
    }


def memories(c: Container) -> dict[str, int]:
    """ "On this day" memories for today (UTC) and tomorrow, so users ahead of UTC have
    theirs when their day starts. Idempotent: re-runs add late photos only."""
    today: date = datetime.now(UTC).date()
    made = c.memory_service.generate(today)
    ahead = c.memory_service.generate(today + timedelta(days=1))
    return {k: made[k] + ahead[k] for k in made}


def expire_downloads(c: Container) -> dict[str, int]:
    """Zip downloads older than a day: objects, then rows."""
    return c.download_service.expire()


# The jobs Lambda stops at 15 minutes: the re-cluster hands over to a fresh invocation
# well before that, and continues where it stopped.
RECLUSTER_BUDGET_S = 600.0


def people_recluster(c: Container) -> dict[str, int]:
    """Faces still waiting for a person get another chance now that more faces exist
    (Immich's nightly facial recognition); named and hidden people are never touched.
    Where a jobs function runs it, a pass longer than its budget starts the job again
    there, which continues the pass (with no jobs function it runs to the end)."""
    if not c.settings.jobs_function:
        return c.people_service.recluster_all()
    result = c.people_service.recluster_all(deadline=time.monotonic() + RECLUSTER_BUDGET_S)
    if result.get("unfinished"):
        start("people-recluster", c)
    return result


def reembed(c: Container) -> dict[str, int]:
    """After a switch of image encoder: queue smart_search for every asset without a vector
    of the current model, and drop vectors of other models (no search compares them)."""
    return c.reembedding.run()


def search_indexes(c: Container) -> dict[str, int]:
    """Every library past the exact-search size gets its own smart-search index (the write
    path builds most as they cross it); indexes of deleted users are dropped."""
    return c.embedding_repo.ensure_owner_indexes()


JOBS: dict[str, Job] = {
    "memories": memories,
    "expire-downloads": expire_downloads,
    "purge-trash": purge_trash,
    "expire-pending-uploads": expire_pending_uploads,
    "clean-orphans": clean_orphans,
    "resume-stalled": resume_stalled,
    "people-recluster": people_recluster,
    "reembed": reembed,
    "search-indexes": search_indexes,
}


def run(name: str, container: Container) -> dict[str, int]:
    result = _job(name)(container)
    # Nested: a result key may be a LogRecord attribute (the re-cluster's "created").
    logger.info("job finished", extra={"job": name, "result": result})
    return result


def start(name: str, container: Container) -> bool:
    """Runs the job in the jobs Lambda, asynchronously, when one is configured (True: its
    logs will have the result); else does nothing (False). An unknown name is a NotFound
    either way, before anything starts."""
    _job(name)
    function = container.settings.jobs_function
    if not function:
        return False
    container.lambda_client.invoke(
        FunctionName=function,
        InvocationType="Event",
        Payload=json.dumps({"job": name}).encode(),
    )
    logger.info("job started in the jobs function", extra={"job": name, "function": function})
    return True


def _job(name: str) -> Job:
    job = JOBS.get(name)
    if job is None:
        raise errors.NotFound(f"No job named {name!r}; jobs: {', '.join(sorted(JOBS))}")
    return job
