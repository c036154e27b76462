"""Bulk jobs: work that grows with the library, done in bounded batches by a worker.

A route that would otherwise loop over a whole library (emptying the trash, restoring all of
it, re-queuing a stage for every asset) creates a job and answers ``202`` with it; the
bulk_jobs worker runs one batch (at most ``batch_size`` assets) per SQS message and sends the
message for the next batch, so neither an API request nor a Lambda invocation grows with the
library. ``GET /api/bulk-jobs/{id}`` shows the progress.

At-least-once delivery: each message names its batch (``step``). The worker sends the next
batch's message before it counts this one, and counts with a compare-and-set on the step, so
a copy of a message already counted changes nothing, and a message that overtook the count
of the batch before it waits (it is retried). A batch that keeps failing fails the job with
its error after ``max_attempts``; every batch is safe to redo (objects go before rows).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID

from chalicelib import errors
from chalicelib.messaging import BulkJobMessage, JobQueue
from chalicelib.observability import logger
from chalicelib.repositories.bulk_jobs import BulkJobRepository
from chalicelib.schemas import bulk_jobs as s
from chalicelib.services.assets import AssetService
from chalicelib.services.auth import AuthUser
from chalicelib.services.libraries import LibraryService
from chalicelib.services.requeue import RequeueService

BATCH_SIZE = 500
MAX_ATTEMPTS = 3
# A batch takes minutes at most and its message is retried for well under an hour before SQS
# dead-letters it: a job nothing has moved for this long will never move again.
STALLED_AFTER = timedelta(hours=6)
FINISHED = ("succeeded", "failed")


@dataclass(frozen=True)
class Job:
    """What a kind of job sees of its row."""

    id: UUID
    owner_id: UUID
    params: dict[str, Any]
    created_at: datetime


@dataclass(frozen=True)
class Batch:
    processed: int
    # Where the next batch starts; None when this kind needs no cursor.
    cursor: str | None
    done: bool


@dataclass(frozen=True)
class JobKind:
    """One kind of job: who may start it, how to check its parameters (for the caller) before
    it starts, how much work it has (None: unknown) and how to do one batch from a cursor."""

    admin: bool
    check: Callable[[UUID, dict[str, Any]], None]
    count: Callable[[Job], int | None]
    batch: Callable[[Job, str | None, int], Batch]


class EarlyBatch(RuntimeError):
    """A batch's message arrived before the batch ahead of it was counted: retried later."""


def to_response(row: dict[str, Any]) -> s.BulkJobResponse:
    return s.BulkJobResponse.model_validate(row)


class BulkJobService:
    def __init__(
        self,
        repo: BulkJobRepository,
        queue: JobQueue,
        kinds: Mapping[str, JobKind],
        *,
        batch_size: int = BATCH_SIZE,
        max_attempts: int = MAX_ATTEMPTS,
    ) -> None:
        self._repo = repo
        self._queue = queue
        self._kinds = kinds
        self._batch_size = batch_size
        self._max_attempts = max_attempts

    # --- the API's side ---------------------------------------------------------------
    def start(self, auth: AuthUser, kind: str, params: dict[str, Any]) -> s.BulkJobResponse:
        """Checks, records and queues a job; its first batch runs in the worker."""
        spec = self._kinds[kind]
        if spec.admin and not auth.is_admin:
            raise errors.Forbidden("Admin access required")
        spec.check(auth.id, params)
        row = self._repo.create(auth.id, kind, params, is_admin=spec.admin)
        try:
            self._queue.send_bulk_job_step(row["id"], 0)
        except Exception as exc:
            self._repo.fail(row["id"], f"The job could not be queued: {exc}")
            logger.exception("bulk job not queued", extra={"job_id": str(row["id"])})
            raise errors.ServiceUnavailable("The job could not be queued; try again") from exc
        logger.info("bulk job queued", extra={"job_id": str(row["id"]), "kind": kind})
        return to_response(row)

    def get(self, auth: AuthUser, job_id: UUID) -> s.BulkJobResponse:
        row = self._repo.get_visible(job_id, auth.id, is_admin=auth.is_admin)
        if row is None:
            raise errors.NotFound("Job not found")
        return to_response(row)

    def recent(self, auth: AuthUser, limit: int) -> list[s.BulkJobResponse]:
        rows = self._repo.recent(auth.id, is_admin=auth.is_admin, limit=limit)
        return [to_response(r) for r in rows]

    def fail_stalled(self, now: datetime | None = None) -> int:
        """The scheduled sweep (``resume-stalled``): a job whose message was lost or went to
        the dead-letter queue would show ``running`` for ever; it is failed with why, and
        can be started again (every kind is safe to redo)."""
        hours = int(STALLED_AFTER.total_seconds() // 3600)
        failed = self._repo.fail_stalled(
            (now or datetime.now(UTC)) - STALLED_AFTER,
            f"No progress for {hours} hours (its message was lost or dead-lettered);"
            " start it again",
        )
        if failed:
            logger.warning("stalled bulk jobs failed", extra={"count": failed})
        return failed

    # --- the worker's side ------------------------------------------------------------
    def run_step(self, message: BulkJobMessage) -> None:
        """Runs batch ``message.step`` of its job, once, however often it is delivered."""
        row = self._repo.get(message.job_id)
        where = {"job_id": str(message.job_id), "step": message.step}
        if row is None or row["status"] in FINISHED or message.step < row["step"]:
            logger.info("bulk job message already handled", extra=where)
            return
        if message.step > row["step"]:
            raise EarlyBatch(f"batch {message.step} arrived before batch {row['step']} was counted")
        job = Job(row["id"], row["owner_id"], dict(row["params"]), row["created_at"])
        spec = self._kinds[row["kind"]]
        try:
            if message.step == 0:
                self._repo.start(job.id, spec.count(job))
            batch = spec.batch(job, row["cursor"], self._batch_size)
            if not batch.done:
                self._queue.send_bulk_job_step(job.id, message.step + 1)
        except Exception as exc:
            status = self._repo.record_failure(
                job.id, message.step, _reason(exc), max_attempts=self._max_attempts
            )
            if status == "failed":  # given up: the job says why; the message is done
                logger.exception("bulk job failed", extra=where)
                return
            raise
        counted = self._repo.commit_step(
            job.id, message.step, processed=batch.processed, cursor=batch.cursor, done=batch.done
        )
        logger.info(
            "bulk job batch done" if counted else "bulk job batch counted by another delivery",
            extra={**where, "processed": batch.processed, "done": batch.done},
        )


def _reason(exc: Exception) -> str:
    return f"{type(exc).__name__}: {exc}"[:1000]


def library_kinds(
    assets: AssetService,
    requeue: RequeueService,
    user_deleted: Callable[[UUID], bool],
    libraries: LibraryService | None = None,
    erase_user: Callable[[UUID], None] | None = None,
) -> dict[str, JobKind]:
    """The kinds of bulk job there are. The trash jobs act on what was in the trash when the
    job was asked for (trashed before ``created_at``), so they end however busy the user is.
    ``delete-user`` removes every asset of a user already (soft-)deleted, and only of one;
    its last batch then ``erase_user``s the rest (their zips, and their row with everything
    that hangs off it: albums, tags, people, shared links, activity, libraries).
    ``delete-library`` hides the caller's library when asked, then removes its assets (what
    Skyroll made for them, never the objects in its bucket) and finally the library."""

    def no_params(caller: UUID, params: dict[str, Any]) -> None:
        pass

    def trash_count(job: Job) -> int:
        return assets.count_trash(job.owner_id, job.created_at)

    def empty(job: Job, cursor: str | None, limit: int) -> Batch:
        deleted, more = assets.purge_trash_batch(job.owner_id, job.created_at, limit)
        return Batch(deleted, None, not more)

    def restore(job: Job, cursor: str | None, limit: int) -> Batch:
        restored, more = assets.restore_trash_batch(job.owner_id, job.created_at, limit)
        return Batch(restored, None, not more)

    def check_requeue(caller: UUID, params: dict[str, Any]) -> None:
        requeue.check(params["stage"])

    def requeue_page(job: Job, cursor: str | None, limit: int) -> Batch:
        after = UUID(cursor) if cursor else None
        sent, last = requeue.requeue_page(job.params["stage"], job.params["mode"], after, limit)
        return Batch(sent, str(last) if last else None, last is None)

    def check_deleted(caller: UUID, params: dict[str, Any]) -> None:
        if not user_deleted(UUID(params["userId"])):
            raise errors.BadRequest("Only a deleted user's photos can be removed")

    def owner_of(job: Job) -> UUID:
        owner = UUID(job.params["userId"])
        if not user_deleted(owner):  # checked at the start too: never a live user's photos
            raise errors.BadRequest("Only a deleted user's photos can be removed")
        return owner

    def purge_user(job: Job, cursor: str | None, limit: int) -> Batch:
        owner = owner_of(job)
        deleted, more = assets.purge_owner_batch(owner, limit)
        if not more and erase_user is not None:
            erase_user(owner)
        return Batch(deleted, None, not more)

    def check_ids(caller: UUID, params: dict[str, Any]) -> None:
        assets.check_owned(caller, [UUID(i) for i in params["ids"]])

    def purge_ids(job: Job, cursor: str | None, limit: int) -> Batch:
        start = int(cursor or 0)
        batch = [UUID(i) for i in job.params["ids"][start : start + limit]]
        done = start + limit >= len(job.params["ids"])
        return Batch(assets.purge_ids_batch(job.owner_id, batch), str(start + limit), done)

    kinds = {
        "empty-trash": JobKind(False, no_params, trash_count, empty),
        "restore-trash": JobKind(False, no_params, trash_count, restore),
        "requeue": JobKind(
            True,
            check_requeue,
            lambda job: requeue.count(job.params["stage"], job.params["mode"]),
            requeue_page,
        ),
        "delete-assets": JobKind(False, check_ids, lambda job: len(job.params["ids"]), purge_ids),
        "delete-user": JobKind(
            True, check_deleted, lambda job: assets.count_owned(owner_of(job)), purge_user
        ),
    }
    if libraries is not None:
        kinds["delete-library"] = _delete_library(libraries)
    return kinds


def _delete_library(libraries: LibraryService) -> JobKind:
    def check(caller: UUID, params: dict[str, Any]) -> None:
        libraries.begin_delete(caller, UUID(params["libraryId"]))

    def count(job: Job) -> int:
        return libraries.count_to_delete(UUID(job.params["libraryId"]))

    def batch(job: Job, cursor: str | None, limit: int) -> Batch:
        deleted, more = libraries.delete_batch(UUID(job.params["libraryId"]), limit)
        return Batch(deleted, None, not more)

    return JobKind(False, check, count, batch)
