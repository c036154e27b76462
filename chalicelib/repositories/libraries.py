"""External libraries (a user's bucket/prefix) and the assets their scans keep in step.

Every user-reachable read is scoped by owner (``owner_id=None`` only for admins and the
scan worker, which acts for the library's owner)."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from chalicelib.db.pool import Pool

Row = dict[str, Any]

_ASSET_COLS = (
    "id, owner_id, library_id, source_bucket, storage_key, source_etag, source_modified_at,"
    " original_file_name, original_mime_type, type, checksum, file_size, file_created_at,"
    " file_modified_at, seen_scan"
)


class LibraryRepository:
    def __init__(self, pool: Pool) -> None:
        self._pool = pool

    # --- libraries --------------------------------------------------------------------
    def create(self, owner_id: UUID, name: str, bucket: str, prefix: str) -> Row | None:
        """None when the owner already registered this bucket/prefix."""
        with self._pool.connection() as conn:
            return conn.execute(
                "INSERT INTO libraries (owner_id, name, bucket, prefix) VALUES (%s, %s, %s, %s)"
                " ON CONFLICT (owner_id, bucket, prefix) DO NOTHING RETURNING *",
                (owner_id, name, bucket, prefix),
            ).fetchone()

    def get(self, owner_id: UUID | None, library_id: UUID) -> Row | None:
        with self._pool.connection() as conn:
            return conn.execute(
                "SELECT * FROM libraries WHERE id = %s AND (%s::uuid IS NULL OR owner_id = %s)"
                " AND deleting_at IS NULL",
                (library_id, owner_id, owner_id),
            ).fetchone()

    def find(self, owner_id: UUID | None) -> list[Row]:
        with self._pool.connection() as conn:
            return conn.execute(
                "SELECT * FROM libraries WHERE (%s::uuid IS NULL OR owner_id = %s)"
                " AND deleting_at IS NULL ORDER BY created_at, id",
                (owner_id, owner_id),
            ).fetchall()

    def update(self, owner_id: UUID, library_id: UUID, changes: dict[str, Any]) -> Row | None:
        """Name, bucket, prefix; a new bucket or prefix needs an admin's approval again."""
        allowed = {k: v for k, v in changes.items() if k in ("name", "bucket", "prefix")}
        sets = [f"{column} = %({column})s" for column in allowed]
        if {"bucket", "prefix"} & set(allowed):
            sets += ["approved_at = NULL", "approved_by = NULL"]
        with self._pool.connection() as conn:
            return conn.execute(
                f"UPDATE libraries SET {', '.join([*sets, 'updated_at = now()'])}"  # noqa: S608
                " WHERE id = %(id)s AND owner_id = %(owner)s AND deleting_at IS NULL RETURNING *",
                {**allowed, "id": library_id, "owner": owner_id},
            ).fetchone()

    def approve(self, library_id: UUID, admin_id: UUID) -> Row | None:
        with self._pool.connection() as conn:
            return conn.execute(
                "UPDATE libraries SET approved_at = coalesce(approved_at, now()),"
                " approved_by = coalesce(approved_by, %s), updated_at = now()"
                " WHERE id = %s AND deleting_at IS NULL RETURNING *",
                (admin_id, library_id),
            ).fetchone()

    # --- deleting: the library goes from view at once, its assets batch by batch ------------
    def mark_deleting(self, owner_id: UUID, library_id: UUID) -> bool:
        """False when the owner has no such library. A library being deleted already is
        marked again (a second request, or one whose job could not be queued, starts over);
        a scan in progress stops (its next page finds no library)."""
        with self._pool.connection() as conn:
            return (
                conn.execute(
                    "UPDATE libraries SET deleting_at = coalesce(deleting_at, now()),"
                    " scan_id = NULL, scan_token = NULL, updated_at = now()"
                    " WHERE id = %s AND owner_id = %s",
                    (library_id, owner_id),
                ).rowcount
                == 1
            )

    def being_deleted(self, library_id: UUID) -> Row | None:
        with self._pool.connection() as conn:
            return conn.execute(
                "SELECT * FROM libraries WHERE id = %s AND deleting_at IS NOT NULL",
                (library_id,),
            ).fetchone()

    def count_assets(self, library_id: UUID) -> int:
        with self._pool.connection() as conn:
            row = conn.execute(
                "SELECT count(*) AS n FROM assets WHERE library_id = %s", (library_id,)
            ).fetchone()
        return int(row["n"]) if row else 0

    def asset_batch(self, library_id: UUID, limit: int) -> list[Row]:
        with self._pool.connection() as conn:
            return conn.execute(
                "SELECT id, owner_id FROM assets WHERE library_id = %s ORDER BY id LIMIT %s",
                (library_id, limit),
            ).fetchall()

    def delete_assets(self, library_id: UUID, ids: list[UUID]) -> int:
        """The asset rows (never the objects they point at)."""
        with self._pool.connection() as conn:
            return conn.execute(
                "DELETE FROM assets WHERE library_id = %s AND id = ANY(%s)", (library_id, ids)
            ).rowcount

    def remove(self, library_id: UUID) -> None:
        """The library row of a library being deleted (any asset a last scan page added
        goes with it: the foreign key cascades)."""
        with self._pool.connection() as conn:
            conn.execute(
                "DELETE FROM libraries WHERE id = %s AND deleting_at IS NOT NULL", (library_id,)
            )

    def statistics(self, library_id: UUID) -> Row:
        with self._pool.connection() as conn:
            row = conn.execute(
                "SELECT count(*) FILTER (WHERE type = 'IMAGE' AND NOT is_offline) AS photos,"
                " count(*) FILTER (WHERE type = 'VIDEO' AND NOT is_offline) AS videos,"
                " count(*) FILTER (WHERE is_offline) AS offline,"
                " coalesce(sum(file_size) FILTER (WHERE NOT is_offline), 0)::bigint AS usage"
                " FROM assets WHERE library_id = %s",
                (library_id,),
            ).fetchone()
            assert row is not None
            return row

    # --- scans ------------------------------------------------------------------------
    def start_scan(self, library_id: UUID, scan_id: UUID) -> Row:
        """Starts a scan, or returns the one in progress (its saved token resumes it)."""
        with self._pool.connection() as conn:
            row = conn.execute(
                "UPDATE libraries SET scan_id = coalesce(scan_id, %s),"
                " scan_token = CASE WHEN scan_id IS NULL THEN NULL ELSE scan_token END,"
                " scan_pages = CASE WHEN scan_id IS NULL THEN 0 ELSE scan_pages END,"
                " scan_started_at = CASE WHEN scan_id IS NULL THEN now() ELSE scan_started_at END,"
                " scan_error = NULL, updated_at = now() WHERE id = %s RETURNING *",
                (scan_id, library_id),
            ).fetchone()
            assert row is not None
            return row

    def save_page(self, library_id: UUID, scan_id: UUID, next_token: str | None) -> bool:
        """Progress after a page; False when that scan is no longer the library's."""
        with self._pool.connection() as conn:
            cur = conn.execute(
                "UPDATE libraries SET scan_token = %s, scan_pages = scan_pages + 1,"
                " updated_at = now() WHERE id = %s AND scan_id = %s",
                (next_token, library_id, scan_id),
            )
            return cur.rowcount > 0

    def finish_scan(self, library_id: UUID, scan_id: UUID) -> int:
        """Ends the scan; assets it did not list go offline (and to the trash, as Immich
        does). Returns how many went offline."""
        with self._pool.connection() as conn, conn.transaction():
            cur = conn.execute(
                "UPDATE assets SET is_offline = true, trashed_at = coalesce(trashed_at, now()),"
                " updated_at = now() WHERE library_id = %s AND NOT is_offline"
                " AND seen_scan IS DISTINCT FROM %s",
                (library_id, scan_id),
            )
            conn.execute(
                "UPDATE libraries SET scan_id = NULL, scan_token = NULL,"
                " scan_finished_at = now(), updated_at = now() WHERE id = %s AND scan_id = %s",
                (library_id, scan_id),
            )
            return cur.rowcount

    def fail_scan(self, library_id: UUID, scan_id: UUID, error: str) -> None:
        with self._pool.connection() as conn:
            conn.execute(
                "UPDATE libraries SET scan_error = %s, updated_at = now()"
                " WHERE id = %s AND scan_id = %s",
                (error[:500], library_id, scan_id),
            )

    # --- the assets of a page -----------------------------------------------------------
    def known(self, library_id: UUID, keys: list[str]) -> dict[str, Row]:
        with self._pool.connection() as conn:
            rows = conn.execute(
                f"SELECT {_ASSET_COLS}, is_offline FROM assets"  # noqa: S608
                " WHERE library_id = %s AND storage_key = ANY(%s)",
                (library_id, keys),
            ).fetchall()
            return {r["storage_key"]: r for r in rows}

    def insert_assets(self, rows: list[dict[str, Any]]) -> list[UUID]:
        """New objects as pending assets (a concurrent insert of the same key is skipped)."""
        inserted: list[UUID] = []
        with self._pool.connection() as conn, conn.transaction():
            for values in rows:
                row = conn.execute(
                    "INSERT INTO assets (owner_id, library_id, source_bucket, storage_key,"
                    " source_etag, source_modified_at, seen_scan, type, original_file_name,"
                    " original_mime_type, checksum, file_size, file_created_at,"
                    " file_modified_at) VALUES (%(owner_id)s, %(library_id)s,"
                    " %(source_bucket)s, %(storage_key)s, %(source_etag)s,"
                    " %(source_modified_at)s, %(seen_scan)s, %(type)s, %(original_file_name)s,"
                    " %(original_mime_type)s, %(checksum)s, %(file_size)s,"
                    " %(source_modified_at)s, %(source_modified_at)s)"
                    " ON CONFLICT (library_id, storage_key) WHERE library_id IS NOT NULL"
                    " DO NOTHING RETURNING id",
                    values,
                ).fetchone()
                if row is not None:
                    inserted.append(row["id"])
        return inserted

    def mark_seen(self, ids: list[UUID], scan_id: UUID) -> None:
        """Listed again, unchanged: back online (and out of the trash it went to offline)."""
        with self._pool.connection() as conn:
            conn.execute(
                "UPDATE assets SET seen_scan = %s,"
                " trashed_at = CASE WHEN is_offline THEN NULL ELSE trashed_at END,"
                " is_offline = false WHERE id = ANY(%s)",
                (scan_id, ids),
            )

    def mark_changed(self, changes: list[dict[str, Any]], scan_id: UUID) -> None:
        """Listed with another ETag: pending again, to be ingested anew."""
        with self._pool.connection() as conn, conn.transaction():
            for c in changes:
                conn.execute(
                    "UPDATE assets SET status = 'pending', failure_reason = NULL,"
                    " source_etag = %s, source_modified_at = %s, file_size = %s,"
                    " file_modified_at = %s, seen_scan = %s, is_offline = false,"
                    " trashed_at = CASE WHEN is_offline THEN NULL ELSE trashed_at END,"
                    " processing_started_at = NULL, updated_at = now() WHERE id = %s",
                    (c["etag"], c["modified"], c["size"], c["modified"], scan_id, c["id"]),
                )
                conn.execute("DELETE FROM asset_stages WHERE asset_id = %s", (c["id"],))

    def claim_for_ingest(self, asset_id: UUID, lease_seconds: int) -> Row | None:
        """A library asset's ingest claim (pending, or a dead worker's after the lease)."""
        with self._pool.connection() as conn:
            return conn.execute(
                "UPDATE assets SET status = 'processing', processing_started_at = now(),"
                " updated_at = now() WHERE id = %s AND library_id IS NOT NULL"
                " AND (status = 'pending' OR (status = 'processing' AND processing_started_at"
                "  < now() - make_interval(secs => %s))) RETURNING *",
                (asset_id, lease_seconds),
            ).fetchone()

    def set_content(self, asset_id: UUID, checksum: bytes, size: int) -> None:
        """What ingest measured: the SHA-256 and size of the bytes it read."""
        with self._pool.connection() as conn:
            conn.execute(
                "UPDATE assets SET checksum = %s, file_size = %s WHERE id = %s",
                (checksum, size, asset_id),
            )
