"""Re-queuing a pipeline stage for the assets missing its output, or for all of them: the
work of the ``requeue`` bulk job, one keyset page per batch."""

from __future__ import annotations

from uuid import UUID

from chalicelib import errors, pipeline
from chalicelib.messaging import StageQueue
from chalicelib.observability import logger
from chalicelib.repositories.media import FIRST_ID, MediaRepository


class RequeueService:
    """The stage again, for the assets missing its output ("missing") or for every asset
    ("all", forced past the done check): one keyset page at a time, each page a batch of the
    ``requeue`` bulk job (``POST /api/admin/stages/{stage}/requeue``, ``/api/jobs/{stage}/run``)."""

    def __init__(self, media: MediaRepository, queue: StageQueue) -> None:
        self._media = media
        self._queue = queue

    @staticmethod
    def check(stage_name: str) -> None:
        """Refuses, before any job starts, a stage that cannot be re-queued per asset."""
        _requeueable(stage_name)

    def count(self, stage_name: str, mode: str) -> int:
        """How many assets the re-queue will send: one count, once, when its job starts."""
        stage = _requeueable(stage_name)
        types = list(stage.asset_types or ("IMAGE", "VIDEO"))
        return self._media.count_for_requeue(stage.name, types, missing=mode == "missing")

    def requeue_page(
        self, stage_name: str, mode: str, after: UUID | None, limit: int
    ) -> tuple[int, UUID | None]:
        """Sends one page of the stage's assets after ``after`` (in id order): (how many were
        sent, the last id, None once the page was the last). Raises when SQS refuses; a page
        sent twice is harmless (the stages are idempotent)."""
        stage = _requeueable(stage_name)
        types = list(stage.asset_types or ("IMAGE", "VIDEO"))
        page = self._media.requeue_page(
            stage.name, types, missing=mode == "missing", after=after or FIRST_ID, limit=limit
        )
        if page:
            self._queue.send(stage.name, page, force=mode == "all")
        logger.info("stage page re-queued", extra={"stage": stage.name, "queued": len(page)})
        return len(page), (page[-1] if len(page) == limit else None)


def _requeueable(name: str) -> pipeline.Stage:
    try:
        stage = pipeline.get_stage(name)
    except KeyError:
        raise errors.NotFound(f"No pipeline stage named {name!r}") from None
    # Only stages that follow another one take per-asset messages; ingest reads S3 events and
    # manual stages (archives) take their own messages.
    if stage.is_s3_triggered:
        raise errors.BadRequest(
            f"The {name} stage starts from uploads to S3 and cannot be re-queued"
        )
    if stage.trigger == pipeline.MANUAL:
        raise errors.BadRequest(f"The {name} stage is not run per asset and cannot be re-queued")
    return stage
