"""Map markers: the owner's assets with a GPS position, one marker each while they are few,
grouped into a grid over the requested box when they are many."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from chalicelib.db.pool import Pool
from chalicelib.repositories.sql import Row

_MARKER = (
    "SELECT a.id, e.latitude AS lat, e.longitude AS lon, e.city, e.state, e.country,"
    " coalesce(a.taken_at, a.file_created_at) AS taken"
    " FROM assets a JOIN asset_exif e ON e.asset_id = a.id"
)


def _where(filters: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    where = [
        "a.owner_id = %(owner)s",
        "a.trashed_at IS NULL",
        "a.visibility = 'timeline'",
        "a.status IN ('ready', 'processing')",
        "e.latitude IS NOT NULL",
        "e.longitude IS NOT NULL",
        "a.is_archived = %(is_archived)s",
        "e.longitude BETWEEN %(west)s AND %(east)s",
        "e.latitude BETWEEN %(south)s AND %(north)s",
    ]
    params = {**filters, "is_archived": bool(filters.get("is_archived"))}
    if filters.get("is_favorite") is not None:
        where.append("a.is_favorite = %(is_favorite)s")
    if filters.get("file_created_after"):
        where.append("a.file_created_at >= %(file_created_after)s")
    if filters.get("file_created_before"):
        where.append("a.file_created_at < %(file_created_before)s")
    return " AND ".join(where), params


class MapRepository:
    def __init__(self, pool: Pool) -> None:
        self._pool = pool

    def markers(self, owner_id: UUID, filters: dict[str, Any], most: int, grid: int) -> list[Row]:
        """Up to ``most`` assets in the box (``west``..``north`` in ``filters``), one marker
        each with ``count`` 1, newest first. More than that: one marker per occupied cell of
        a ``grid`` × ``grid`` split of the box (at most (grid + 1)², the east and north edges
        being cells of their own), at the cell's mean position, named after and pointing at
        its newest asset, with how many assets it stands for; biggest first."""
        where, params = _where({**filters, "owner": owner_id})
        params.update(
            most=most,
            cell_w=(params["east"] - params["west"]) / grid or 1.0,
            cell_h=(params["north"] - params["south"]) / grid or 1.0,
        )
        with self._pool.connection() as conn:
            # Counting stops at most + 1 rows, unsorted: a big library is not sorted twice.
            found = conn.execute(
                f"SELECT count(*) AS n FROM ({_MARKER} WHERE {where} LIMIT %(most)s + 1) m",
                params,
            ).fetchone()
            if found is not None and found["n"] <= most:
                return conn.execute(
                    f"SELECT id, lat, lon, city, state, country, 1 AS count FROM ({_MARKER}"
                    f" WHERE {where}) m ORDER BY taken DESC, id",
                    params,
                ).fetchall()
            return conn.execute(
                "SELECT (array_agg(id ORDER BY taken DESC, id))[1] AS id, avg(lat) AS lat,"
                " avg(lon) AS lon, (array_agg(city ORDER BY taken DESC, id))[1] AS city,"
                " (array_agg(state ORDER BY taken DESC, id))[1] AS state,"
                " (array_agg(country ORDER BY taken DESC, id))[1] AS country, count(*) AS count"
                f" FROM ({_MARKER} WHERE {where}) m"
                " GROUP BY floor((lon - %(west)s) / %(cell_w)s),"
                " floor((lat - %(south)s) / %(cell_h)s)"
                " ORDER BY count(*) DESC, 1",
                params,
            ).fetchall()
