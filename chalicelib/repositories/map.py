"""Map markers: the owner's assets with a GPS position, one marker each while they are few,
grouped into a grid over the requested box when they are many."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from chalicelib.db.pool import Pool
from chalicelib.repositories.sql import Row

# The EXIF rows carry their asset's owner, time and state (migration 0024): a box is read
# from the owner's positions alone; the asset is joined only for the filters it alone has.
_MARKER = (
    "SELECT e.asset_id AS id, e.latitude AS lat, e.longitude AS lon, e.city, e.state,"
    " e.country, e.asset_time AS taken FROM asset_exif e"
)
_ASSET = " JOIN assets a ON a.id = e.asset_id"


def _where(filters: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    """The FROM's joins and the WHERE clause of the markers in the box."""
    where = [
        "e.owner_id = %(owner)s",
        "NOT e.asset_trashed",
        "e.asset_visibility = 'timeline'",
        "e.asset_status IN ('ready', 'processing')",
        "e.latitude IS NOT NULL",
        "e.longitude IS NOT NULL",
        "e.asset_archived = %(is_archived)s",
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
    joins = _ASSET if any(c.startswith("a.") for c in where) else ""
    return f"{joins} WHERE {' AND '.join(where)}", params


# The world's grid that map_cells keeps (migration 0024's map_world_cell, where 40 is
# written into the SQL): the default box in WORLD_GRID x WORLD_GRID cells. Another size
# takes a new migration redefining the function and refilling map_cells;
# tests/integration/organize/test_map.py fails while the two (or MAP_GRID) disagree.
WORLD_GRID = 40
WORLD = {"west": -180, "south": -90, "east": 180, "north": 90}
# Filters the grid does not keep apart: with any of them the markers are grouped per call.
_NOT_IN_GRID = ("is_favorite", "file_created_after", "file_created_before")


class MapRepository:
    def __init__(self, pool: Pool) -> None:
        self._pool = pool

    def markers(self, owner_id: UUID, filters: dict[str, Any], most: int, grid: int) -> list[Row]:
        """Up to ``most`` assets in the box (``west``..``north`` in ``filters``), one marker
        each with ``count`` 1, newest first. More than that: one marker per occupied cell of
        a ``grid`` × ``grid`` split of the box (at most (grid + 1)², the east and north edges
        being cells of their own), at the cell's mean position, named after and pointing at
        its newest asset, with how many assets it stands for; biggest first."""
        if grid == WORLD_GRID and _whole_world(filters):
            cells = self._world(owner_id, bool(filters.get("is_archived")))
            if sum(c["count"] for c in cells) > most:
                return cells
        where, params = _where({**filters, "owner": owner_id})
        params.update(
            most=most,
            cell_w=(params["east"] - params["west"]) / grid or 1.0,
            cell_h=(params["north"] - params["south"]) / grid or 1.0,
        )
        with self._pool.connection() as conn:
            # Counting stops at most + 1 rows, unsorted: a big library is not sorted twice.
            found = conn.execute(
                f"SELECT count(*) AS n FROM ({_MARKER}{where} LIMIT %(most)s + 1) m",
                params,
            ).fetchone()
            if found is not None and found["n"] <= most:
                return conn.execute(
                    f"SELECT id, lat, lon, city, state, country, 1 AS count FROM ({_MARKER}"
                    f"{where}) m ORDER BY taken DESC, id",
                    params,
                ).fetchall()
            return conn.execute(
                "SELECT (array_agg(id ORDER BY taken DESC, id))[1] AS id, avg(lat) AS lat,"
                " avg(lon) AS lon, (array_agg(city ORDER BY taken DESC, id))[1] AS city,"
                " (array_agg(state ORDER BY taken DESC, id))[1] AS state,"
                " (array_agg(country ORDER BY taken DESC, id))[1] AS country, count(*) AS count"
                f" FROM ({_MARKER}{where}) m"
                " GROUP BY floor((lon - %(west)s) / %(cell_w)s),"
                " floor((lat - %(south)s) / %(cell_h)s)"
                " ORDER BY count(*) DESC, 1",
                params,
            ).fetchall()

    def _world(self, owner_id: UUID, is_archived: bool) -> list[Row]:
        """The world's markers from the owner's grid (map_cells, kept by triggers): what the
        grouping query gives for the default box, read in proportion to the cells."""
        with self._pool.connection() as conn:
            return conn.execute(
                "SELECT m.top_id AS id, (m.lat_sum / m.count)::float8 AS lat,"
                " (m.lon_sum / m.count)::float8 AS lon, e.city, e.state, e.country, m.count"
                " FROM map_cells m JOIN asset_exif e ON e.asset_id = m.top_id"
                " WHERE m.owner_id = %s AND m.is_archived = %s AND m.count > 0"
                " ORDER BY m.count DESC, m.top_id",
                (owner_id, is_archived),
            ).fetchall()


def _whole_world(filters: dict[str, Any]) -> bool:
    return all(filters.get(k) == v for k, v in WORLD.items()) and not any(
        filters.get(k) is not None for k in _NOT_IN_GRID
    )
