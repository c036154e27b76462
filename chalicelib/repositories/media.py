"""Derivative files and stage re-runs: what the media routes, the transcode stage and the
admin re-queue read and write. Callers check access first; these take asset ids."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any
from uuid import UUID

from chalicelib.db.pool import Pool

Row = dict[str, Any]
FIRST_ID = UUID(int=0)


class MediaRepository:
    def __init__(self, pool: Pool) -> None:
        self._pool = pool

    def files(self, asset_id: UUID) -> dict[str, Row]:
        """The asset's derivatives by kind (preview, thumbnail, encoded, ...)."""
        with self._pool.connection() as conn:
            rows = conn.execute(
                "SELECT * FROM asset_files WHERE asset_id = %s", (asset_id,)
            ).fetchall()
        return {r["kind"]: r for r in rows}

    def files_of(self, asset_ids: list[UUID], kinds: list[str]) -> dict[UUID, dict[str, Row]]:
        """``files`` for many assets in one query, limited to ``kinds``."""
        with self._pool.connection() as conn:
            rows = conn.execute(
                "SELECT * FROM asset_files WHERE asset_id = ANY(%s) AND kind = ANY(%s)",
                (asset_ids, kinds),
            ).fetchall()
        found: dict[UUID, dict[str, Row]] = {}
        for r in rows:
            found.setdefault(r["asset_id"], {})[r["kind"]] = r
        return found

    def preview_keys(
        self, asset_ids: list[UUID], stage: str | None = None, forced: Sequence[UUID] = ()
    ) -> dict[UUID, str]:
        """The preview object of each asset that has one (a stage's batch in one query);
        with ``stage``, not of the assets that stage has done, unless ``forced`` (the stage
        will skip them)."""
        with self._pool.connection() as conn:
            rows = conn.execute(
                "SELECT f.asset_id, f.storage_key FROM asset_files f LEFT JOIN asset_stages s"
                " ON s.asset_id = f.asset_id AND s.stage = %(stage)s"
                " WHERE f.kind = 'preview' AND f.asset_id = ANY(%(ids)s)"
                " AND (s.status IS DISTINCT FROM 'done' OR f.asset_id = ANY(%(forced)s))",
                {"ids": asset_ids, "stage": stage, "forced": list(forced)},
            )
            return {r["asset_id"]: r["storage_key"] for r in rows}

    def originals_of(self, asset_ids: list[UUID]) -> dict[UUID, Row]:
        """What signing many originals (and the playback of web-playable ones) needs, in one
        query: where each original is, its name and type, its video codecs, and whether its
        transcode stage is done."""
        with self._pool.connection() as conn:
            rows = conn.execute(
                "SELECT a.id, a.type, a.status, a.storage_key, a.source_bucket,"
                " a.original_file_name, a.original_mime_type,"
                " jsonb_build_object('video_codec', e.video_codec, 'audio_codec', e.audio_codec)"
                " AS exif, s.status AS transcode_status FROM assets a"
                " LEFT JOIN asset_exif e ON e.asset_id = a.id"
                " LEFT JOIN asset_stages s ON s.asset_id = a.id AND s.stage = 'transcode'"
                " WHERE a.id = ANY(%s)",
                (asset_ids,),
            ).fetchall()
        return {r["id"]: r for r in rows}

    def stage_status(self, asset_id: UUID, stage: str) -> str | None:
        with self._pool.connection() as conn:
            row = conn.execute(
                "SELECT status FROM asset_stages WHERE asset_id = %s AND stage = %s",
                (asset_id, stage),
            ).fetchone()
        return row["status"] if row else None

    def remove_file(self, asset_id: UUID, kind: str) -> str | None:
        """Forgets a derivative; returns its key so the caller deletes the object afterwards
        (row first: a crash in between leaves an unreferenced object, never a dead link)."""
        with self._pool.connection() as conn:
            row = conn.execute(
                "DELETE FROM asset_files WHERE asset_id = %s AND kind = %s RETURNING storage_key",
                (asset_id, kind),
            ).fetchone()
        return row["storage_key"] if row else None

    def requeue_page(
        self,
        stage: str,
        asset_types: list[str],
        *,
        missing: bool,
        after: UUID = FIRST_ID,
        limit: int = 500,
    ) -> list[UUID]:
        """One keyset page of ingested assets of these types, in id order; with ``missing``,
        only those whose ``stage`` is not done (never run, queued, failed or skipped)."""
        with self._pool.connection() as conn:
            rows = conn.execute(
                f"SELECT a.id FROM assets a WHERE a.id > %(after)s AND {_REQUEUE_WHERE}"
                " ORDER BY a.id LIMIT %(limit)s",
                {
                    "after": after,
                    "types": asset_types,
                    "missing": missing,
                    "stage": stage,
                    "limit": limit,
                },
            ).fetchall()
        return [r["id"] for r in rows]

    def count_for_requeue(self, stage: str, asset_types: list[str], *, missing: bool) -> int:
        """How many assets ``requeue_page`` will page through (a re-queue job's total)."""
        with self._pool.connection() as conn:
            row = conn.execute(
                f"SELECT count(*) AS n FROM assets a WHERE {_REQUEUE_WHERE}",
                {"types": asset_types, "missing": missing, "stage": stage},
            ).fetchone()
        return int(row["n"]) if row else 0


# Ingested assets of these types; with ``missing``, only those whose stage is not done.
_REQUEUE_WHERE = (
    "a.type = ANY(%(types)s)"
    " AND EXISTS (SELECT 1 FROM asset_stages i WHERE i.asset_id = a.id"
    "             AND i.stage = 'ingest' AND i.status = 'done')"
    " AND (NOT %(missing)s OR NOT EXISTS (SELECT 1 FROM asset_stages s"
    "      WHERE s.asset_id = a.id AND s.stage = %(stage)s AND s.status = 'done'))"
)
