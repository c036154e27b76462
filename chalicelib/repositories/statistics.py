"""Usage per user and pipeline stage counts (server statistics and the jobs admin)."""

from __future__ import annotations

from uuid import UUID

from chalicelib.db.pool import Pool, one
from chalicelib.repositories.sql import Row


class StatsRepository:
    def __init__(self, pool: Pool) -> None:
        self._pool = pool

    # From the counters the assets' triggers keep (user_asset_stats): a row per user,
    # whatever the size of their library. Usage counts what the quota counts: every
    # original not failed, trash included.
    _USAGE = (
        "coalesce(c.photos_kept, 0) AS photos, coalesce(c.videos_kept, 0) AS videos,"
        " coalesce(c.bytes_photos + c.bytes_videos, 0) AS usage,"
        " coalesce(c.bytes_photos, 0) AS usage_photos, coalesce(c.bytes_videos, 0) AS usage_videos"
    )

    def usage_by_user(self) -> list[Row]:
        with self._pool.connection() as conn:
            return conn.execute(
                "SELECT u.id AS user_id, u.name AS user_name, u.quota_size_in_bytes,"
                f" {self._USAGE} FROM users u LEFT JOIN user_asset_stats c ON c.owner_id = u.id"
                " WHERE u.deleted_at IS NULL ORDER BY u.created_at, u.id"
            ).fetchall()

    def usage_of(self, owner_id: UUID) -> Row:
        with self._pool.connection() as conn:
            return one(
                conn.execute(
                    f"SELECT {self._USAGE} FROM (SELECT %s::uuid AS owner_id) o"
                    " LEFT JOIN user_asset_stats c ON c.owner_id = o.owner_id",
                    (owner_id,),
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
