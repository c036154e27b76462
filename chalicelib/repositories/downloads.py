"""Zip download archives and their parts. What a user reaches takes the owner id; the
archive stage's methods (``part_for_build`` ...) take ids the API itself planned."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

from chalicelib.db.pool import Pool
from chalicelib.repositories.sql import Row


class DownloadRepository:
    def __init__(self, pool: Pool) -> None:
        self._pool = pool

    def owned(self, owner_id: UUID, ids: list[UUID]) -> set[UUID]:
        with self._pool.connection() as conn:
            return {
                r["id"]
                for r in conn.execute(
                    "SELECT id FROM assets WHERE owner_id = %s AND id = ANY(%s)", (owner_id, ids)
                ).fetchall()
            }

    def downloadable(self, ids: list[UUID]) -> list[Row]:
        """Those of ``ids`` (access already checked) whose original is in the bucket, oldest
        first."""
        with self._pool.connection() as conn:
            return conn.execute(
                "SELECT id, file_size FROM assets WHERE id = ANY(%s) AND status <> 'pending'"
                " ORDER BY coalesce(taken_at, file_created_at), id",
                (ids,),
            ).fetchall()

    def create(self, archive: dict[str, Any], parts: list[dict[str, Any]]) -> None:
        with self._pool.connection() as conn:
            conn.execute(
                "INSERT INTO download_archives (id, owner_id, archive_size, asset_count,"
                " total_size, expires_at, shared_link_id) VALUES (%(id)s, %(owner_id)s,"
                " %(archive_size)s, %(asset_count)s, %(total_size)s, %(expires_at)s,"
                " %(shared_link_id)s)",
                {"shared_link_id": None, **archive},
            )
            for part in parts:
                conn.execute(
                    "INSERT INTO download_archive_parts (archive_id, part_number, asset_ids,"
                    " planned_size, storage_key) VALUES (%(archive_id)s, %(part_number)s,"
                    " %(asset_ids)s, %(planned_size)s, %(storage_key)s)",
                    part,
                )

    def get(self, owner_id: UUID, archive_id: UUID) -> Row | None:
        with self._pool.connection() as conn:
            return conn.execute(
                "SELECT * FROM download_archives WHERE id = %s AND owner_id = %s",
                (archive_id, owner_id),
            ).fetchone()

    def get_for_link(self, link_id: UUID, archive_id: UUID) -> Row | None:
        with self._pool.connection() as conn:
            return conn.execute(
                "SELECT * FROM download_archives WHERE id = %s AND shared_link_id = %s",
                (archive_id, link_id),
            ).fetchone()

    def parts(self, archive_id: UUID) -> list[Row]:
        with self._pool.connection() as conn:
            return conn.execute(
                "SELECT * FROM download_archive_parts WHERE archive_id = %s ORDER BY part_number",
                (archive_id,),
            ).fetchall()

    # --- the archive stage ------------------------------------------------------------
    def part_for_build(self, archive_id: UUID, part_number: int) -> Row | None:
        with self._pool.connection() as conn:
            return conn.execute(
                "SELECT p.*, d.owner_id FROM download_archive_parts p"
                " JOIN download_archives d ON d.id = p.archive_id"
                " WHERE p.archive_id = %s AND p.part_number = %s",
                (archive_id, part_number),
            ).fetchone()

    def part_assets(self, ids: list[UUID]) -> list[Row]:
        """The planned assets still there, in the planned order."""
        with self._pool.connection() as conn:
            return conn.execute(
                "SELECT a.id, a.storage_key, a.source_bucket, a.original_file_name, a.file_size,"
                " coalesce(a.local_date_time, a.file_created_at) AS taken"
                " FROM unnest(%s::uuid[]) WITH ORDINALITY AS i(id, n)"
                " JOIN assets a ON a.id = i.id ORDER BY i.n",
                (ids,),
            ).fetchall()

    def set_part(
        self,
        archive_id: UUID,
        part_number: int,
        status: str,
        *,
        byte_size: int | None = None,
        skipped: int = 0,
        error: str | None = None,
    ) -> None:
        with self._pool.connection() as conn:
            conn.execute(
                "UPDATE download_archive_parts SET status = %s, byte_size = %s, skipped = %s,"
                " error = %s, updated_at = now() WHERE archive_id = %s AND part_number = %s",
                (status, byte_size, skipped, error, archive_id, part_number),
            )

    def expired(self, now: datetime, limit: int = 200) -> list[Row]:
        with self._pool.connection() as conn:
            return conn.execute(
                "SELECT id, owner_id FROM download_archives WHERE expires_at < %s LIMIT %s",
                (now, limit),
            ).fetchall()

    def delete(self, archive_id: UUID) -> None:
        with self._pool.connection() as conn:
            conn.execute("DELETE FROM download_archives WHERE id = %s", (archive_id,))
