"""Scheduled maintenance jobs: EventBridge runs them in AWS (functions/jobs), the local stack
runs them on a timer, admins run them from the API or `skyroll admin run-job NAME`."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from chalicelib.observability import logger


def purge_trash(c: Any) -> dict[str, int]:
    """Deletes for good what has been in the trash longer than the retention period."""
    cutoff = datetime.now(UTC) - timedelta(days=c.settings.trash_retention_days)
    total = 0
    while rows := c.asset_repo.trashed_before(None, cutoff):
        total += c.asset_service._purge(rows)
    return {"purged": total}


def expire_pending_uploads(c: Any) -> dict[str, int]:
    """Uploads announced but never finished: abort multipart uploads, delete partial objects
    and the pending rows."""
    cutoff = datetime.now(UTC) - timedelta(hours=c.settings.pending_upload_ttl_hours)
    total = 0
    while rows := c.asset_repo.expired_pending(cutoff):
        for row in rows:
            if row["s3_upload_id"]:
                c.store.abort_multipart(row["storage_key"], row["s3_upload_id"])
            c.store.delete(row["storage_key"])
            c.asset_repo.delete_pending(row["id"])
        total += len(rows)
    return {"expired": total}


def clean_orphans(c: Any) -> dict[str, int]:
    """Objects under users/ that no asset claims (reported by ingest) are removed once they
    are older than the pending-upload window, so an in-flight upload is never touched."""
    cutoff = datetime.now(UTC) - timedelta(hours=c.settings.pending_upload_ttl_hours)
    removed = kept = 0
    for orphan in c.pipeline_repo.orphans():
        if c.pipeline_repo.status_of_key(orphan["storage_key"]) is not None:
            c.pipeline_repo.forget_orphan(orphan["storage_key"])  # claimed after all
        elif orphan["first_seen"] < cutoff:
            c.store.delete(orphan["storage_key"])
            c.pipeline_repo.forget_orphan(orphan["storage_key"])
            logger.warning("removed unclaimed object", extra={"key": orphan["storage_key"]})
            removed += 1
        else:
            kept += 1
    return {"removed": removed, "waiting": kept}


def resume_stalled(c: Any) -> dict[str, int]:
    """Stages queued long ago that never started: their message was lost between the
    database and SQS (a worker marks the next stages queued, then sends; a failure in
    between leaves a retry that finds its own work done). Send them again."""
    from chalicelib import pipeline
    from chalicelib.workers import dispatch

    # Stages that follow another: S3 starts ingest, the API sends the manual ones.
    firsts = (pipeline.S3_ORIGINAL, pipeline.MANUAL)
    stages = [s.name for s in pipeline.STAGES if s.trigger not in firsts]
    total = 0
    while rows := c.pipeline_repo.touch_stalled(c.settings.stalled_stage_minutes, stages):
        for row in rows:
            dispatch.send(c, row["stage"], row["asset_id"])
        total += len(rows)
        logger.warning("re-sent stalled stages", extra={"count": len(rows)})
    return {"resent": total}


def memories(c: Any) -> dict[str, int]:
    """ "On this day" memories for today (UTC) and tomorrow, so users ahead of UTC have
    theirs when their day starts. Idempotent: re-runs add late photos only."""
    from datetime import date

    today: date = datetime.now(UTC).date()
    made = c.memory_service.generate(today)
    ahead = c.memory_service.generate(today + timedelta(days=1))
    return {k: made[k] + ahead[k] for k in made}


def expire_downloads(c: Any) -> dict[str, int]:
    """Zip downloads older than a day: objects, then rows."""
    from chalicelib.services.downloads import expire

    return expire(c)


def people_recluster(c: Any) -> dict[str, int]:
    """Faces still waiting for a person get another chance now that more faces exist
    (Immich's nightly facial recognition); named and hidden people are never touched."""
    from chalicelib.services.people import recluster_all

    return recluster_all(c)


def reembed(c: Any) -> dict[str, int]:
    """After a switch of image encoder: queue smart_search for every asset without a vector
    of the current model, and drop vectors of other models (no search compares them)."""
    from chalicelib.services.search import queue_reembedding

    return queue_reembedding(c)


JOBS: dict[str, Callable[[Any], dict[str, int]]] = {
    "memories": memories,
    "expire-downloads": expire_downloads,
    "purge-trash": purge_trash,
    "expire-pending-uploads": expire_pending_uploads,
    "clean-orphans": clean_orphans,
    "resume-stalled": resume_stalled,
    "people-recluster": people_recluster,
    "reembed": reembed,
}


def run(name: str, container: Any) -> dict[str, int]:
    result = _job(name)(container)
    logger.info("job finished", extra={"job": name, **result})
    return result


def start(name: str, container: Any) -> bool:
    """Runs the job in the jobs Lambda, asynchronously, when one is configured (True: its
    logs will have the result); else does nothing (False). An unknown name is a NotFound
    either way, before anything starts."""
    import json

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


def _job(name: str) -> Callable[[Any], dict[str, int]]:
    from chalicelib import errors

    job = JOBS.get(name)
    if job is None:
        raise errors.NotFound(f"No job named {name!r}; jobs: {', '.join(sorted(JOBS))}")
    return job
