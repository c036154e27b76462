"""What the workers read and write: claiming an asset for a stage, stage status, results."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from chalicelib.db.pool import Connection, Pool

Row = dict[str, Any]


def _required_stages() -> list[str]:
    from chalicelib import pipeline

    return [s.name for s in pipeline.STAGES if s.required]


class PipelineRepository:
    def __init__(self, pool: Pool) -> None:
        self._pool = pool

    def claim_for_ingest(self, storage_key: str, lease_seconds: int) -> Row | None:
        """Atomically moves a pending asset to processing. A second delivery of the same event
        finds nothing to claim; a claim whose worker died is taken over after the lease."""
        with self._pool.connection() as conn:
            return conn.execute(
                "UPDATE assets SET status = 'processing', processing_started_at = now(),"
                " updated_at = now() WHERE storage_key = %s AND library_id IS NULL"
                " AND (status = 'pending' OR"
                " (status = 'processing' AND processing_started_at <"
                "  now() - make_interval(secs => %s)"
                "  AND NOT EXISTS (SELECT 1 FROM asset_stages st WHERE st.asset_id = assets.id"
                "                  AND st.stage = 'ingest' AND st.status = 'done')))"
                " RETURNING *",
                (storage_key, lease_seconds),
            ).fetchone()

    def release(self, asset_id: UUID) -> None:
        """Gives a claim back after a transient failure so the retried message can claim it."""
        with self._pool.connection() as conn:
            conn.execute(
                "UPDATE assets SET status = 'pending', processing_started_at = NULL"
                " WHERE id = %s AND status = 'processing'",
                (asset_id,),
            )

    def note_retry(self, asset_id: UUID, stage: str, error: str) -> None:
        """Records why a stage's attempt failed for a reason that is not the file's (the
        message will be delivered again); the stage stays queued/running, the next start
        clears the note, and after the last delivery it stays for the API to show. Ingest
        has no stage row before its first outcome, so its row starts here and its attempts
        are counted here."""
        bump = 1 if stage == "ingest" else 0
        with self._pool.connection() as conn:
            conn.execute(
                "INSERT INTO asset_stages (asset_id, stage, status, error, attempts)"
                " VALUES (%s, %s, 'running', %s, 1) ON CONFLICT (asset_id, stage) DO UPDATE"
                " SET error = EXCLUDED.error, attempts = asset_stages.attempts + %s,"
                " updated_at = now() WHERE asset_stages.status IN ('queued', 'running')",
                (asset_id, stage, error[:500], bump),
            )

    def status_of_key(self, storage_key: str) -> str | None:
        with self._pool.connection() as conn:
            row = conn.execute(
                "SELECT status FROM assets WHERE storage_key = %s AND library_id IS NULL",
                (storage_key,),
            ).fetchone()
            return row["status"] if row else None

    def record_orphan(self, storage_key: str, size: int | None) -> None:
        with self._pool.connection() as conn:
            conn.execute(
                "INSERT INTO orphan_objects (storage_key, size) VALUES (%s, %s)"
                " ON CONFLICT (storage_key) DO NOTHING",
                (storage_key, size),
            )

    def touch_stalled(self, minutes: int, stages: list[str], limit: int = 500) -> list[Row]:
        """Stage rows queued more than ``minutes`` ago, marked as just queued again (so each
        is picked once per window, and two job runs never take the same rows)."""
        with self._pool.connection() as conn:
            return conn.execute(
                "UPDATE asset_stages st SET updated_at = now() FROM ("
                "  SELECT asset_id, stage FROM asset_stages WHERE status = 'queued'"
                "  AND updated_at < now() - make_interval(mins => %s) AND stage = ANY(%s)"
                "  ORDER BY updated_at LIMIT %s FOR UPDATE SKIP LOCKED) old"
                " WHERE st.asset_id = old.asset_id AND st.stage = old.stage"
                " RETURNING st.asset_id, st.stage",
                (minutes, stages, limit),
            ).fetchall()

    def orphans(self, limit: int = 1000) -> list[Row]:
        with self._pool.connection() as conn:
            return conn.execute(
                "SELECT * FROM orphan_objects ORDER BY first_seen LIMIT %s", (limit,)
            ).fetchall()

    def forget_orphan(self, storage_key: str) -> None:
        with self._pool.connection() as conn:
            conn.execute("DELETE FROM orphan_objects WHERE storage_key = %s", (storage_key,))

    def fail(self, asset_id: UUID, stage: str, reason: str) -> None:
        with self._pool.connection() as conn:
            conn.execute(
                "UPDATE assets SET status = 'failed', failure_reason = %s,"
                " updated_at = now() WHERE id = %s",
                (reason, asset_id),
            )
            self._set_stage(conn, asset_id, stage, "failed", reason)

    def save_ingest(
        self, asset_id: UUID, asset: dict[str, Any], exif: dict[str, Any], next_stages: list[str]
    ) -> None:
        """One transaction: the asset's facts, its EXIF row, the ingest stage done, and either
        the next stages queued or the asset ready."""
        from chalicelib.repositories.assets import AssetRepository

        required = _required_stages()
        status = "processing" if any(s in required for s in next_stages) else "ready"
        with self._pool.connection() as conn:
            conn.execute(
                "UPDATE assets SET type = %(type)s, original_mime_type = %(mime)s,"
                " taken_at = %(taken_at)s, local_date_time = %(local_date_time)s,"
                " duration_seconds = %(duration)s, width = %(width)s, height = %(height)s,"
                " status = %(status)s, failure_reason = NULL, updated_at = now()"
                " WHERE id = %(id)s",
                {**asset, "status": status, "id": asset_id},
            )
            AssetRepository(self._pool).upsert_exif(asset_id, exif, conn=conn)
            self._set_stage(conn, asset_id, "ingest", "done", None)
            for stage in next_stages:
                self._set_stage(conn, asset_id, stage, "queued", None)

    @staticmethod
    def _set_stage(
        conn: Connection, asset_id: UUID, stage: str, status: str, error: str | None
    ) -> None:
        bump = _starts(stage, status)
        conn.execute(
            "INSERT INTO asset_stages (asset_id, stage, status, error, attempts)"
            " VALUES (%s, %s, %s, %s, %s) ON CONFLICT (asset_id, stage) DO UPDATE SET"
            " status = EXCLUDED.status, error = EXCLUDED.error,"
            " attempts = asset_stages.attempts + %s, updated_at = now()",
            (asset_id, stage, status, error, 0 if status == "queued" else 1, bump),
        )

    def set_stage(self, asset_id: UUID, stage: str, status: str, error: str | None = None) -> None:
        with self._pool.connection() as conn:
            self._set_stage(conn, asset_id, stage, status, error)

    def fail_stage(self, asset_id: UUID, stage: str, reason: str, *, fail_asset: bool) -> None:
        with self._pool.connection() as conn:
            self._set_stage(conn, asset_id, stage, "failed", reason)
            if fail_asset:
                conn.execute(
                    "UPDATE assets SET status = 'failed', failure_reason = %s,"
                    " updated_at = now() WHERE id = %s",
                    (reason, asset_id),
                )

    def get_assets(self, asset_ids: list[UUID]) -> dict[UUID, Row]:
        """The assets that still exist, by id (a stage's whole SQS batch in one query)."""
        with self._pool.connection() as conn:
            rows = conn.execute("SELECT * FROM assets WHERE id = ANY(%s)", (asset_ids,))
            return {row["id"]: row for row in rows}

    def stage_statuses(self, asset_ids: list[UUID], stage: str) -> dict[UUID, str]:
        with self._pool.connection() as conn:
            rows = conn.execute(
                "SELECT asset_id, status FROM asset_stages WHERE stage = %s AND asset_id = ANY(%s)",
                (stage, asset_ids),
            )
            return {row["asset_id"]: row["status"] for row in rows}

    def set_stages(self, asset_ids: list[UUID], stage: str, status: str) -> None:
        """``set_stage`` for many assets in one statement (ids sorted: two workers upserting
        overlapping batches take the row locks in the same order)."""
        with self._pool.connection() as conn:
            conn.execute(
                "INSERT INTO asset_stages (asset_id, stage, status, error, attempts)"
                # Joined to assets: one deleted since the batch began is skipped, not a
                # foreign-key error that would send the whole batch back.
                " SELECT a.id, %s, %s, NULL, %s FROM unnest(%s::uuid[]) AS t(id)"
                " JOIN assets a ON a.id = t.id ORDER BY a.id"
                " ON CONFLICT (asset_id, stage) DO UPDATE SET status = EXCLUDED.status,"
                " error = NULL, attempts = asset_stages.attempts + %s, updated_at = now()",
                (
                    stage,
                    status,
                    0 if status == "queued" else 1,
                    sorted(asset_ids),
                    _starts(stage, status),
                ),
            )

    def complete_stage(self, asset_id: UUID, stage: str, next_stages: list[str]) -> None:
        self.complete_stages(stage, {asset_id: next_stages})

    def complete_stages(
        self,
        stage: str,
        next_stages: dict[UUID, list[str]],
        *,
        skipped: str | None = None,
    ) -> None:
        """Marks the stage done (or, given why, ``skipped``) for each asset, queues
        its followers, and makes each asset ready once no required stage is left queued or
        running; one transaction. Optional stages (transcode, ML) go on enriching a ready
        asset: a photo is viewable as soon as it has its thumbnails."""
        ids = sorted(next_stages)
        queued = sorted((a, name) for a, names in next_stages.items() for name in names)
        with self._pool.connection() as conn:
            if skipped is not None:  # never run: an asset may have no row for it yet
                conn.execute(
                    "INSERT INTO asset_stages (asset_id, stage, status, error, attempts)"
                    " SELECT a.id, %s, 'skipped', %s, 0 FROM unnest(%s::uuid[]) AS t(id)"
                    " JOIN assets a ON a.id = t.id ORDER BY a.id"
                    " ON CONFLICT (asset_id, stage) DO UPDATE SET status = 'skipped',"
                    " error = EXCLUDED.error, updated_at = now()",
                    (stage, skipped, ids),
                )
            else:
                conn.execute(
                    "UPDATE asset_stages SET status = 'done', error = NULL, updated_at = now()"
                    " WHERE stage = %s AND asset_id = ANY(%s) AND status <> 'failed'",
                    (stage, ids),
                )
            if queued:
                conn.execute(
                    "INSERT INTO asset_stages (asset_id, stage, status, error, attempts)"
                    " SELECT t.a, t.s, 'queued', NULL, 0 FROM unnest(%s::uuid[], %s::text[])"
                    " AS t(a, s) JOIN assets x ON x.id = t.a"  # deleted meanwhile: skipped
                    " ORDER BY t.a, t.s ON CONFLICT (asset_id, stage) DO UPDATE SET"
                    " status = EXCLUDED.status, error = NULL, updated_at = now()",
                    ([a for a, _ in queued], [name for _, name in queued]),
                )
            conn.execute(
                "UPDATE assets SET status = 'ready', updated_at = now() WHERE id = ANY(%s)"
                " AND status = 'processing' AND NOT EXISTS (SELECT 1 FROM asset_stages s"
                " WHERE s.asset_id = assets.id AND s.status IN ('queued', 'running')"
                " AND s.stage = ANY(%s))",
                (ids, _required_stages()),
            )

    def save_files(
        self, asset_id: UUID, files: list[dict[str, Any]], thumbhash: str | None = None
    ) -> list[str]:
        """Upserts the files; answers the keys they replaced (another format, another name),
        which nothing points at any more."""
        replaced: list[str] = []
        with self._pool.connection() as conn:
            for f in files:
                old = conn.execute(
                    "SELECT storage_key FROM asset_files WHERE asset_id = %s AND kind = %s",
                    (asset_id, f["kind"]),
                ).fetchone()
                if old is not None and old["storage_key"] != f["storage_key"]:
                    replaced.append(old["storage_key"])
                conn.execute(
                    "INSERT INTO asset_files (asset_id, kind, storage_key, mime_type, width,"
                    " height, byte_size) VALUES (%(asset_id)s, %(kind)s, %(storage_key)s,"
                    " %(mime_type)s, %(width)s, %(height)s, %(byte_size)s)"
                    " ON CONFLICT (asset_id, kind) DO UPDATE SET"
                    " storage_key = EXCLUDED.storage_key,"
                    " mime_type = EXCLUDED.mime_type, width = EXCLUDED.width,"
                    " height = EXCLUDED.height, byte_size = EXCLUDED.byte_size, created_at = now()",
                    {**f, "asset_id": asset_id},
                )
            if thumbhash is not None:
                conn.execute(
                    "UPDATE assets SET thumbhash = %s WHERE id = %s", (thumbhash, asset_id)
                )
        return replaced

    def stages(self, asset_id: UUID) -> dict[str, Row]:
        with self._pool.connection() as conn:
            rows = conn.execute(
                "SELECT * FROM asset_stages WHERE asset_id = %s", (asset_id,)
            ).fetchall()
        return {r["stage"]: r for r in rows}


def _starts(stage: str, status: str) -> int:
    """1 when this state change is a new start of the stage (``attempts`` counts starts):
    a stage is started when marked running; ingest, never marked running, at each outcome."""
    return 1 if status == "running" or (stage == "ingest" and status != "queued") else 0
