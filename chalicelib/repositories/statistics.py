"""Usage per user and pipeline stage counts (server statistics and the jobs admin)."""

from __future__ import annotations

from uuid import UUID

from chalicelib.db.pool import Pool, one
from chalicelib.repositories.sql import Row


class StatsRepository:
    def __init__(self, pool: Pool) -> None:
        self._pool = pool

    _USAGE = (
        "count(a.id) FILTER (WHERE a.type = 'IMAGE' AND a.status IN ('ready', 'processing'))"
        " AS photos,"
        " count(a.id) FILTER (WHERE a.type = 'VIDEO' AND a.status IN ('ready', 'processing'))"
        " AS videos,"
        # Usage counts what the quota counts: every original not failed (trash included).
        " coalesce(sum(a.file_size) FILTER (WHERE a.status <> 'failed'), 0)::bigint AS usage,"
        " coalesce(sum(a.file_size) FILTER (WHERE a.status <> 'failed' AND a.type = 'IMAGE'),"
        " 0)::bigint AS usage_photos,"
        " coalesce(sum(a.file_size) FILTER (WHERE a.status <> 'failed' AND a.type = 'VIDEO'),"
        " 0)::bigint AS usage_videos"
    )

    def usage_by_user(self) -> list[Row]:
        with self._pool.connection() as conn:
            return conn.execute(
                "SELECT u.id AS user_id, u.name AS user_name, u.quota_size_in_bytes,"
                f" {self._USAGE} FROM users u LEFT JOIN assets a ON a.owner_id = u.id"
                " WHERE u.deleted_at IS NULL GROUP BY u.id ORDER BY u.created_at, u.id"
            ).fetchall()

    def usage_of(self, owner_id: UUID) -> Row:
        with self._pool.connection() as conn:
            return one(
                conn.execute(
                    f"SELECT {self._USAGE} FROM assets a WHERE a.owner_id = %s", (owner_id,)
                ).fetchone()
            )

    def stage_counts(self) -> dict[str, dict[str, int]]:
        with self._pool.connection() as conn:
            rows = conn.execute(
                "SELECT stage, status, count(*) AS n FROM asset_stages GROUP BY stage, status"
            ).fetchall()
        counts: dict[str, dict[str, int]] = {}
        for r in rows:
            counts.setdefault(r["stage"], {})[r["status"]] = r["n"]
        return counts

    def stage_errors(self, stage: str, asset_ids: list[UUID]) -> dict[UUID, str | None]:
        with self._pool.connection() as conn:
            rows = conn.execute(
                "SELECT asset_id, error FROM asset_stages WHERE stage = %s AND asset_id = ANY(%s)",
                (stage, asset_ids),
            ).fetchall()
        return {r["asset_id"]: r["error"] for r in rows}
