"""Memories ("on this day"): generated per user and year, shown, saved, dismissed."""

from __future__ import annotations

from datetime import date
from typing import Any
from uuid import UUID

from chalicelib.db.pool import Pool
from chalicelib.repositories.sql import ASSET_SELECT, Row


class MemoryRepository:
    def __init__(self, pool: Pool) -> None:
        self._pool = pool

    def generate(self, show_on: date) -> dict[str, int]:
        """ "On this day" for every user: one memory per earlier year that has photos taken
        (wall-clock date) on this month and day. Re-running adds late assets and never
        brings back a dismissed memory (its row stays, deleted)."""
        params = {"month": show_on.month, "day": show_on.day, "show_on": show_on}
        picked = (
            "SELECT owner_id, id AS asset_id, day FROM (SELECT a.owner_id, a.id,"
            " (coalesce(a.local_date_time, a.file_created_at) AT TIME ZONE 'UTC')::date AS day"
            " FROM assets a WHERE a.status = 'ready' AND a.trashed_at IS NULL"
            " AND a.visibility = 'timeline'"
            " AND NOT a.is_archived) d WHERE extract(month FROM day) = %(month)s"
            " AND extract(day FROM day) = %(day)s AND day < %(show_on)s"
        )
        with self._pool.connection() as conn:
            made = conn.execute(
                "INSERT INTO memories (owner_id, memory_at, show_on)"
                f" SELECT DISTINCT owner_id, day, %(show_on)s FROM ({picked}) p"
                " ON CONFLICT DO NOTHING",
                params,
            ).rowcount
            linked = conn.execute(
                "INSERT INTO memory_assets (memory_id, asset_id) SELECT m.id, p.asset_id"
                f" FROM ({picked}) p JOIN memories m ON m.owner_id = p.owner_id"
                " AND m.memory_at = p.day AND m.show_on = %(show_on)s"
                " AND m.type = 'on_this_day' ON CONFLICT DO NOTHING",
                params,
            ).rowcount
        return {"memories": made, "assets": linked}

    def shown(self, owner_id: UUID, show_on: date | None, saved_only: bool) -> list[Row]:
        with self._pool.connection() as conn:
            return conn.execute(
                "SELECT * FROM memories WHERE owner_id = %s AND deleted_at IS NULL"
                " AND (%s::date IS NULL OR show_on = %s) AND (NOT %s OR is_saved)"
                " ORDER BY show_on DESC, memory_at DESC",
                (owner_id, show_on, show_on, saved_only),
            ).fetchall()

    def get(self, owner_id: UUID, memory_id: UUID) -> Row | None:
        with self._pool.connection() as conn:
            return conn.execute(
                "SELECT * FROM memories WHERE id = %s AND owner_id = %s AND deleted_at IS NULL",
                (memory_id, owner_id),
            ).fetchone()

    def assets_of(self, memory_ids: list[UUID]) -> list[Row]:
        """Asset rows (AssetRepository's shape) plus ``memory_id``; trashed ones left out."""
        with self._pool.connection() as conn:
            return conn.execute(
                f"SELECT ma.memory_id, q.* FROM memory_assets ma JOIN LATERAL ({ASSET_SELECT}"
                " WHERE a.id = ma.asset_id) q ON true WHERE ma.memory_id = ANY(%s)"
                " AND NOT q.is_trashed"
                " ORDER BY coalesce(q.taken_at, q.file_created_at), q.id",
                (memory_ids,),
            ).fetchall()

    def update(self, owner_id: UUID, memory_id: UUID, changes: dict[str, Any]) -> None:
        sets = [f"{c} = %({c})s" for c in ("is_saved", "seen_at") if c in changes]
        with self._pool.connection() as conn:
            conn.execute(
                f"UPDATE memories SET {', '.join(sets + ['updated_at = now()'])}"
                " WHERE id = %(id)s AND owner_id = %(owner)s",
                {**changes, "id": memory_id, "owner": owner_id},
            )

    def dismiss(self, owner_id: UUID, memory_id: UUID) -> bool:
        with self._pool.connection() as conn:
            return (
                conn.execute(
                    "UPDATE memories SET deleted_at = now(), updated_at = now() WHERE id = %s"
                    " AND owner_id = %s AND deleted_at IS NULL",
                    (memory_id, owner_id),
                ).rowcount
                == 1
            )
