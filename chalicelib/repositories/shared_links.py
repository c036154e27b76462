"""Shared links and their assets. Keys and passwords arrive already hashed."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from chalicelib.db.pool import Connection, Pool
from chalicelib.repositories.sql import ASSET_SELECT, Row

_COLUMNS = (
    "description",
    "password_hash",
    "expires_at",
    "allow_download",
    "allow_upload",
    "show_metadata",
)


class SharedLinkRepository:
    def __init__(self, pool: Pool) -> None:
        self._pool = pool

    def create(self, values: dict[str, Any], asset_ids: list[UUID]) -> UUID:
        with self._pool.connection() as conn:
            row = conn.execute(
                "INSERT INTO shared_links (user_id, key_hash, type, album_id, description,"
                " password_hash, expires_at, allow_download, allow_upload, show_metadata)"
                " VALUES (%(user_id)s, %(key_hash)s, %(type)s, %(album_id)s, %(description)s,"
                " %(password_hash)s, %(expires_at)s, %(allow_download)s, %(allow_upload)s,"
                " %(show_metadata)s) RETURNING id",
                values,
            ).fetchone()
            assert row is not None  # INSERT … RETURNING always returns its row
            self._add(conn, row["id"], asset_ids)
        link_id: UUID = row["id"]
        return link_id

    @staticmethod
    def _add(conn: Connection, link_id: UUID, asset_ids: list[UUID]) -> set[UUID]:
        if not asset_ids:
            return set()
        rows = conn.execute(
            "INSERT INTO shared_link_assets (shared_link_id, asset_id)"
            " SELECT %s, x FROM unnest(%s::uuid[]) AS x ON CONFLICT DO NOTHING"
            " RETURNING asset_id",
            (link_id, asset_ids),
        ).fetchall()
        return {r["asset_id"] for r in rows}

    def get(self, user_id: UUID, link_id: UUID) -> Row | None:
        with self._pool.connection() as conn:
            return conn.execute(
                "SELECT * FROM shared_links WHERE id = %s AND user_id = %s", (link_id, user_id)
            ).fetchone()

    def get_by_id(self, link_id: UUID) -> Row | None:
        with self._pool.connection() as conn:
            return conn.execute("SELECT * FROM shared_links WHERE id = %s", (link_id,)).fetchone()

    def list_for(self, user_id: UUID, album_id: UUID | None = None) -> list[Row]:
        with self._pool.connection() as conn:
            return conn.execute(
                "SELECT * FROM shared_links WHERE user_id = %s"
                " AND (%s::uuid IS NULL OR album_id = %s) ORDER BY created_at DESC, id",
                (user_id, album_id, album_id),
            ).fetchall()

    def update(self, link_id: UUID, changes: dict[str, Any]) -> None:
        cols = [c for c in _COLUMNS if c in changes]
        if not cols:
            return
        sets = ", ".join(f"{c} = %({c})s" for c in cols)
        with self._pool.connection() as conn:
            conn.execute(
                f"UPDATE shared_links SET {sets} WHERE id = %(id)s",
                {**{c: changes[c] for c in cols}, "id": link_id},
            )
            if "password_hash" in changes:
                # Whoever knew the old password loses their visitor tokens.
                conn.execute("DELETE FROM shared_link_tokens WHERE shared_link_id = %s", (link_id,))

    def delete(self, link_id: UUID) -> None:
        with self._pool.connection() as conn:
            conn.execute("DELETE FROM shared_links WHERE id = %s", (link_id,))

    def add_assets(self, link_id: UUID, asset_ids: list[UUID]) -> set[UUID]:
        with self._pool.connection() as conn:
            return self._add(conn, link_id, asset_ids)

    def remove_assets(self, link_id: UUID, asset_ids: list[UUID]) -> set[UUID]:
        with self._pool.connection() as conn:
            rows = conn.execute(
                "DELETE FROM shared_link_assets WHERE shared_link_id = %s"
                " AND asset_id = ANY(%s) RETURNING asset_id",
                (link_id, asset_ids),
            ).fetchall()
        return {r["asset_id"] for r in rows}

    def assets(self, link: Row) -> list[Row]:
        """What the link shows: its album's assets, or its own; never trashed ones."""
        if link["album_id"] is not None:
            join = "JOIN album_assets x ON x.asset_id = a.id AND x.album_id = %s"
            param = link["album_id"]
        else:
            join = "JOIN shared_link_assets x ON x.asset_id = a.id AND x.shared_link_id = %s"
            param = link["id"]
        with self._pool.connection() as conn:
            return conn.execute(
                f"{ASSET_SELECT} {join} WHERE a.trashed_at IS NULL"
                " ORDER BY coalesce(a.local_date_time, a.file_created_at) DESC, a.id",
                (param,),
            ).fetchall()

    def file_key(self, asset_id: UUID, kind: str) -> Row | None:
        """A derivative (thumbnail, preview, encoded) of an asset, if the pipeline made it."""
        with self._pool.connection() as conn:
            return conn.execute(
                "SELECT storage_key, mime_type FROM asset_files WHERE asset_id = %s AND kind = %s",
                (asset_id, kind),
            ).fetchone()

    def asset(self, asset_id: UUID) -> Row | None:
        with self._pool.connection() as conn:
            return conn.execute(f"{ASSET_SELECT} WHERE a.id = %s", (asset_id,)).fetchone()
