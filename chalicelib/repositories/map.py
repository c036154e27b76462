"""Map markers: the owner's assets with a GPS position."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from chalicelib.db.pool import Pool
from chalicelib.repositories.sql import Row


class MapRepository:
    def __init__(self, pool: Pool) -> None:
        self._pool = pool

    def markers(self, owner_id: UUID, filters: dict[str, Any]) -> list[Row]:
        where = [
            "a.owner_id = %(owner)s",
            "a.trashed_at IS NULL",
            "a.visibility = 'timeline'",
            "a.status IN ('ready', 'processing')",
            "e.latitude IS NOT NULL",
            "e.longitude IS NOT NULL",
            "a.is_archived = %(is_archived)s",
        ]
        params: dict[str, Any] = {
            "owner": owner_id,
            **filters,
            "is_archived": bool(filters.get("is_archived")),
        }
        if filters.get("is_favorite") is not None:
            where.append("a.is_favorite = %(is_favorite)s")
        if filters.get("file_created_after"):
            where.append("a.file_created_at >= %(file_created_after)s")
        if filters.get("file_created_before"):
            where.append("a.file_created_at < %(file_created_before)s")
        with self._pool.connection() as conn:
            return conn.execute(
                "SELECT a.id, e.latitude AS lat, e.longitude AS lon, e.city, e.state, e.country"
                " FROM assets a JOIN asset_exif e ON e.asset_id = a.id"
                f" WHERE {' AND '.join(where)}"
                " ORDER BY coalesce(a.taken_at, a.file_created_at) DESC, a.id",
                params,
            ).fetchall()
