"""XMP sidecars: which asset a sidecar belongs to, and its values written over the file's.

Applying runs in one transaction holding the asset's row lock, so ingest and a sidecar's
own S3 event applying at the same moment (or a repeated event) end in the same rows.
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

from chalicelib.db.pool import Connection, Pool
from chalicelib.repositories.assets import AssetRepository

Row = dict[str, Any]


class SidecarRepository:
    def __init__(self, pool: Pool) -> None:
        self._pool = pool

    def owned_asset(self, owner_id: UUID, asset_id: UUID) -> Row | None:
        """The caller's asset a sidecar may be attached to (not trashed, not failed)."""
        with self._pool.connection() as conn:
            return conn.execute(
                "SELECT id, owner_id FROM assets WHERE id = %s AND owner_id = %s"
                " AND trashed_at IS NULL AND status <> 'failed'",
                (asset_id, owner_id),
            ).fetchone()

    def ingested_asset(self, owner_id: UUID, asset_id: UUID) -> Row | None:
        """The asset when ingest has described it (before that, ingest applies the sidecar
        itself after saving, so a sidecar that arrived first is not lost)."""
        with self._pool.connection() as conn:
            return conn.execute(
                "SELECT a.id, a.owner_id, a.original_file_name, a.file_created_at,"
                " e.latitude, e.longitude FROM assets a"
                " LEFT JOIN asset_exif e ON e.asset_id = a.id"
                " WHERE a.id = %s AND a.owner_id = %s AND a.status <> 'failed'"
                " AND EXISTS (SELECT 1 FROM asset_stages st WHERE st.asset_id = a.id"
                "             AND st.stage = 'ingest' AND st.status = 'done')",
                (asset_id, owner_id),
            ).fetchone()

    def apply(
        self,
        asset_id: UUID,
        owner_id: UUID,
        timeline: dict[str, Any] | None,
        exif: dict[str, Any],
        tags: list[str],
    ) -> None:
        """``timeline``: taken_at/local_date_time when the sidecar has a date. A date the
        user set by hand (date_source 'user') is kept: it is newer than any sidecar event."""
        with self._pool.connection() as conn:
            row = conn.execute(
                "SELECT e.date_source FROM assets a LEFT JOIN asset_exif e ON e.asset_id = a.id"
                " WHERE a.id = %s FOR UPDATE OF a",
                (asset_id,),
            ).fetchone()
            if row is None:
                return  # deleted meanwhile
            if timeline is not None and row["date_source"] != "user":
                conn.execute(
                    "UPDATE assets SET taken_at = %(taken_at)s,"
                    " local_date_time = %(local_date_time)s WHERE id = %(id)s",
                    {**timeline, "id": asset_id},
                )
            else:
                exif = {k: v for k, v in exif.items() if k not in _DATE_COLUMNS}
            AssetRepository(self._pool).upsert_exif(asset_id, exif, conn=conn)
            _tag(conn, owner_id, asset_id, tags)
            self._mark(conn, asset_id, "applied", None)

    def ignore(self, asset_id: UUID, reason: str) -> None:
        with self._pool.connection() as conn:
            self._mark(conn, asset_id, "ignored", reason)

    @staticmethod
    def _mark(conn: Connection, asset_id: UUID, status: str, reason: str | None) -> None:
        conn.execute(
            "UPDATE assets SET sidecar_status = %s, sidecar_reason = %s, updated_at = now()"
            " WHERE id = %s",
            (status, reason, asset_id),
        )


_DATE_COLUMNS = {"date_time_original", "time_zone", "date_source", "time_zone_source"}


def _tag(conn: Connection, owner_id: UUID, asset_id: UUID, paths: list[str]) -> None:
    """Every tag of each path ("A", "A/B"), parents first; the asset gets the leaf."""
    for path in paths:
        parts = path.split("/")
        parent: UUID | None = None
        for i in range(len(parts)):
            tag = conn.execute(
                "INSERT INTO tags (owner_id, parent_id, value) VALUES (%s, %s, %s)"
                " ON CONFLICT (owner_id, value) DO UPDATE SET value = EXCLUDED.value"
                " RETURNING id",
                (owner_id, parent, "/".join(parts[: i + 1])),
            ).fetchone()
            assert tag is not None  # DO UPDATE always returns the row
            parent = tag["id"]
        conn.execute(
            "INSERT INTO tag_assets (tag_id, asset_id) VALUES (%s, %s) ON CONFLICT DO NOTHING",
            (parent, asset_id),
        )
