"""Bulk jobs: one row per job, moved on one batch at a time by the bulk_jobs worker.

Every batch commits with a compare-and-set on ``step``: a redelivered or duplicated message
for a batch already counted matches no row and changes nothing."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

from psycopg.types.json import Jsonb

from chalicelib.db.pool import Pool, one
from chalicelib.repositories.sql import Row


class BulkJobRepository:
    def __init__(self, pool: Pool) -> None:
        self._pool = pool

    def create(self, owner_id: UUID, kind: str, params: dict[str, Any], *, is_admin: bool) -> Row:
        with self._pool.connection() as conn:
            return one(
                conn.execute(
                    "INSERT INTO bulk_jobs (owner_id, kind, params, is_admin)"
                    " VALUES (%s, %s, %s, %s) RETURNING *",
                    (owner_id, kind, Jsonb(params), is_admin),
                ).fetchone()
            )

    def get(self, job_id: UUID) -> Row | None:
        """For the worker: any job by id."""
        with self._pool.connection() as conn:
            return conn.execute("SELECT * FROM bulk_jobs WHERE id = %s", (job_id,)).fetchone()

    def get_visible(self, job_id: UUID, user_id: UUID, *, is_admin: bool) -> Row | None:
        """The caller's own job, or an admin job when the caller is an admin."""
        with self._pool.connection() as conn:
            return conn.execute(
                "SELECT * FROM bulk_jobs WHERE id = %s AND (owner_id = %s OR (is_admin AND %s))",
                (job_id, user_id, is_admin),
            ).fetchone()

    def recent(self, user_id: UUID, *, is_admin: bool, limit: int) -> list[Row]:
        with self._pool.connection() as conn:
            return conn.execute(
                "SELECT * FROM bulk_jobs WHERE owner_id = %s OR (is_admin AND %s)"
                " ORDER BY created_at DESC, id LIMIT %s",
                (user_id, is_admin, limit),
            ).fetchall()

    def start(self, job_id: UUID, total: int | None) -> None:
        """The first batch: the job is running, with the size of its work when known."""
        with self._pool.connection() as conn:
            conn.execute(
                "UPDATE bulk_jobs SET status = 'running', started_at = coalesce(started_at, now()),"
                " total = coalesce(total, %s), updated_at = now()"
                " WHERE id = %s AND status IN ('queued', 'running')",
                (total, job_id),
            )

    def commit_step(
        self, job_id: UUID, step: int, *, processed: int, cursor: str | None, done: bool
    ) -> bool:
        """Counts one batch and moves to the next step, or finishes the job: only when the job
        is still at ``step`` (False: another delivery of this batch got there first)."""
        with self._pool.connection() as conn:
            return (
                conn.execute(
                    "UPDATE bulk_jobs SET step = step + 1, processed = processed + %(n)s,"
                    " cursor = %(cursor)s, attempts = 0, error = NULL, updated_at = now(),"
                    " status = CASE WHEN %(done)s THEN 'succeeded' ELSE 'running' END,"
                    " finished_at = CASE WHEN %(done)s THEN now() END"
                    " WHERE id = %(id)s AND step = %(step)s AND status IN ('queued', 'running')",
                    {"n": processed, "cursor": cursor, "done": done, "id": job_id, "step": step},
                ).rowcount
                == 1
            )

    def record_failure(self, job_id: UUID, step: int, error: str, *, max_attempts: int) -> str:
        """One more failed attempt at ``step``; the job fails once attempts reach
        ``max_attempts``. Returns the job's status afterwards."""
        with self._pool.connection() as conn:
            row = conn.execute(
                "UPDATE bulk_jobs SET attempts = attempts + 1, error = %(error)s,"
                " updated_at = now(),"
                " status = CASE WHEN attempts + 1 >= %(max)s THEN 'failed' ELSE status END,"
                " finished_at = CASE WHEN attempts + 1 >= %(max)s THEN now() END"
                " WHERE id = %(id)s AND step = %(step)s AND status IN ('queued', 'running')"
                " RETURNING status",
                {"error": error, "max": max_attempts, "id": job_id, "step": step},
            ).fetchone()
        return str(row["status"]) if row else "gone"

    def fail_stalled(self, before: datetime, error: str) -> int:
        """Fails the unfinished jobs nothing has moved since ``before``; how many."""
        with self._pool.connection() as conn:
            return conn.execute(
                "UPDATE bulk_jobs SET status = 'failed', error = %s, finished_at = now(),"
                " updated_at = now() WHERE status IN ('queued', 'running') AND updated_at < %s",
                (error, before),
            ).rowcount

    def fail(self, job_id: UUID, error: str) -> None:
        """Fails a job outright (its first message could not be sent)."""
        with self._pool.connection() as conn:
            conn.execute(
                "UPDATE bulk_jobs SET status = 'failed', error = %s, finished_at = now(),"
                " updated_at = now() WHERE id = %s AND status IN ('queued', 'running')",
                (error, job_id),
            )
