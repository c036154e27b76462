"""Album activity rows: likes and comments."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from chalicelib.db.pool import Pool, one

Row = dict[str, Any]
_SELECT = (
    "SELECT a.id, a.album_id, a.asset_id, a.user_id, a.is_liked, a.comment, a.created_at,"
    " u.name AS user_name, u.email AS user_email"
    " FROM activities a JOIN users u ON u.id = a.user_id"
)


class ActivityRepository:
    def __init__(self, pool: Pool) -> None:
        self._pool = pool

    def search(self, album_id: UUID, filters: dict[str, Any]) -> list[Row]:
        where = ["a.album_id = %(album_id)s"]
        if filters.get("asset_id"):
            where.append("a.asset_id = %(asset_id)s")
        if filters.get("type"):
            where.append("a.is_liked = %(liked)s")
        if filters.get("level") == "album":
            where.append("a.asset_id IS NULL")
        elif filters.get("level") == "asset":
            where.append("a.asset_id IS NOT NULL")
        if filters.get("user_id"):
            where.append("a.user_id = %(user_id)s")
        params = {**filters, "album_id": album_id, "liked": filters.get("type") == "like"}
        with self._pool.connection() as conn:
            return conn.execute(
                f"{_SELECT} WHERE {' AND '.join(where)} ORDER BY a.created_at, a.id", params
            ).fetchall()

    def asset_in_album(self, album_id: UUID, asset_id: UUID) -> bool:
        with self._pool.connection() as conn:
            return (
                conn.execute(
                    "SELECT 1 FROM album_assets WHERE album_id = %s AND asset_id = %s",
                    (album_id, asset_id),
                ).fetchone()
                is not None
            )

    def create(
        self, album_id: UUID, asset_id: UUID | None, user_id: UUID, comment: str | None
    ) -> tuple[Row, bool]:
        """(the row, whether it is new): liking twice answers the first like."""
        liked = comment is None
        with self._pool.connection() as conn:
            made = conn.execute(
                "INSERT INTO activities (album_id, asset_id, user_id, is_liked, comment)"
                " VALUES (%s, %s, %s, %s, %s) ON CONFLICT DO NOTHING RETURNING id",
                (album_id, asset_id, user_id, liked, comment),
            ).fetchone()
            if made is not None:
                found = conn.execute(f"{_SELECT} WHERE a.id = %s", (made["id"],)).fetchone()
                return one(found), True
            found = conn.execute(
                f"{_SELECT} WHERE a.album_id = %s AND a.asset_id IS NOT DISTINCT FROM %s"
                " AND a.user_id = %s AND a.is_liked",
                (album_id, asset_id, user_id),
            ).fetchone()
            return one(found), False

    def get(self, activity_id: UUID) -> Row | None:
        with self._pool.connection() as conn:
            return conn.execute(f"{_SELECT} WHERE a.id = %s", (activity_id,)).fetchone()

    def delete(self, activity_id: UUID) -> None:
        with self._pool.connection() as conn:
            conn.execute("DELETE FROM activities WHERE id = %s", (activity_id,))

    def statistics(self, album_id: UUID, asset_id: UUID | None) -> Row:
        with self._pool.connection() as conn:
            return one(
                conn.execute(
                    "SELECT count(*) FILTER (WHERE NOT is_liked) AS comments,"
                    " count(*) FILTER (WHERE is_liked) AS likes FROM activities"
                    " WHERE album_id = %s AND (%s::uuid IS NULL OR asset_id = %s)",
                    (album_id, asset_id, asset_id),
                ).fetchone()
            )
