"""The pipeline's housekeeping: objects no upload claimed, and stage messages lost between
the database and SQS."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from chalicelib import pipeline
from chalicelib.messaging import StageQueue
from chalicelib.observability import logger
from chalicelib.repositories.pipeline import PipelineRepository
from chalicelib.settings import Settings
from chalicelib.storage.s3 import ObjectStore


class PipelineMaintenance:
    def __init__(
        self,
        pipeline_repo: PipelineRepository,
        store: ObjectStore,
        queue: StageQueue,
        settings: Settings,
    ) -> None:
        self._repo = pipeline_repo
        self._store = store
        self._queue = queue
        self._settings = settings

    def clean_orphans(self) -> dict[str, int]:
        """Objects under users/ that no asset claims (reported by ingest) are removed once
        they are older than the pending-upload window, so an in-flight upload is never
        touched."""
        cutoff = datetime.now(UTC) - timedelta(hours=self._settings.pending_upload_ttl_hours)
        removed = kept = 0
        for orphan in self._repo.orphans():
            if self._repo.status_of_key(orphan["storage_key"]) is not None:
                self._repo.forget_orphan(orphan["storage_key"])  # claimed after all
            elif orphan["first_seen"] < cutoff:
                self._store.delete(orphan["storage_key"])
                self._repo.forget_orphan(orphan["storage_key"])
                logger.warning("removed unclaimed object", extra={"key": orphan["storage_key"]})
                removed += 1
            else:
                kept += 1
        return {"removed": removed, "waiting": kept}

    def resume_stalled(self) -> dict[str, int]:
        """Stages queued long ago that never started: their message was lost between the
        database and SQS (a worker marks the next stages queued, then sends; a failure in
        between leaves a retry that finds its own work done). Send them again."""
        # Stages that follow another: S3 starts ingest, the API sends the manual ones.
        firsts = (pipeline.S3_ORIGINAL, pipeline.MANUAL)
        stages = [s.name for s in pipeline.STAGES if s.trigger not in firsts]
        total = 0
        minutes = self._settings.stalled_stage_minutes
        while rows := self._repo.touch_stalled(minutes, stages):
            for row in rows:
                self._queue.send(row["stage"], [row["asset_id"]])
            total += len(rows)
            logger.warning("re-sent stalled stages", extra={"count": len(rows)})
        return {"resent": total}
