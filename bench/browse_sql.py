"""The browse routes' SQL before and after the counters kept by triggers (migration 0024),
back to back on one seeded library.

Run: ``python bench/browse_sql.py [OUTPUT.md] [--assets N] [--calls C]``.

One user's library of N assets (bench/seed_library.py), seeded once; each route's query as
it was before 0024 (copied here) and the repository method the route calls now, called C
times each, alternating, on the same connection pool; p50 and p99 of each call (SQL and
fetching the rows, not the API's DTOs and JSON), and whether both return the same rows.
"""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Callable
from typing import Any

REPO = __import__("pathlib").Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from bench.common import emit, int_options, local_services, percentiles  # noqa: E402
from chalicelib.repositories.sql import ASSET_LIST_SELECT  # noqa: E402

_MARKER = (
    "SELECT a.id, e.latitude AS lat, e.longitude AS lon, e.city, e.state, e.country,"
    " coalesce(a.taken_at, a.file_created_at) AS taken"
    " FROM assets a JOIN asset_exif e ON e.asset_id = a.id WHERE a.owner_id = %(owner)s"
    " AND a.trashed_at IS NULL AND a.visibility = 'timeline'"
    " AND a.status IN ('ready', 'processing') AND e.latitude IS NOT NULL"
    " AND e.longitude IS NOT NULL AND a.is_archived = false"
    " AND e.longitude BETWEEN %(west)s AND %(east)s AND e.latitude BETWEEN %(south)s AND %(north)s"
)
OLD = {
    "people": (
        "WITH counted AS (SELECT f.person_id, count(*) AS face_count FROM asset_faces f"
        " JOIN assets a ON a.id = f.asset_id WHERE f.owner_id = %(owner)s"
        " AND f.person_id IS NOT NULL AND a.trashed_at IS NULL GROUP BY f.person_id),"
        # The person's own columns as they were (people.face_count is the new counter).
        " listed AS (SELECT p.id, p.owner_id, p.name, p.birth_date, p.is_hidden,"
        " p.feature_face_id, p.created_at, p.updated_at, c.face_count,"
        " fa.asset_id AS feature_asset_id,"
        " fa.thumbnail_key, count(*) OVER () AS total,"
        " count(*) FILTER (WHERE p.is_hidden) OVER () AS hidden"
        " FROM people p JOIN counted c ON c.person_id = p.id"
        " LEFT JOIN asset_faces fa ON fa.id = p.feature_face_id WHERE p.owner_id = %(owner)s)"
        " SELECT * FROM listed WHERE NOT is_hidden"
        " ORDER BY (name = ''), is_hidden, face_count DESC, created_at, id LIMIT 500"
    ),
    # The map's old path counted up to 2,001 rows first, then listed or grouped them.
    "map markers, world": (
        f"SELECT count(*) AS n FROM ({_MARKER} LIMIT 2001) m;"  # noqa: S608 - constants
        "SELECT (array_agg(id ORDER BY taken DESC, id))[1] AS id, avg(lat) AS lat,"
        " avg(lon) AS lon, (array_agg(city ORDER BY taken DESC, id))[1] AS city,"
        " (array_agg(state ORDER BY taken DESC, id))[1] AS state,"
        " (array_agg(country ORDER BY taken DESC, id))[1] AS country, count(*) AS count"
        f" FROM ({_MARKER}) m GROUP BY floor((lon - %(west)s) / 9.0),"
        " floor((lat - %(south)s) / 4.5) ORDER BY count(*) DESC, 1"
    ),
    "map markers, one city's box": (
        f"SELECT count(*) AS n FROM ({_MARKER} LIMIT 2001) m;"  # noqa: S608 - constants
        f"SELECT *, 1 AS count FROM ({_MARKER}) m ORDER BY taken DESC, id"
    ),
    "a person's assets (100)": (
        f"{ASSET_LIST_SELECT} WHERE a.owner_id = %(owner)s"  # noqa: S608 - constants
        " AND a.trashed_at IS NULL AND EXISTS"
        " (SELECT 1 FROM asset_faces f WHERE f.asset_id = a.id AND f.person_id = %(person)s)"
        " ORDER BY coalesce(a.taken_at, a.file_created_at) DESC, a.id LIMIT 101"
    ),
    "metadata search, city (100)": (
        f"{ASSET_LIST_SELECT} WHERE a.owner_id = %(owner)s"  # noqa: S608 - constants
        " AND a.trashed_at IS NULL AND a.status = 'ready'"
        " AND a.visibility = 'timeline' AND NOT a.is_archived"
        " AND lower(e.city) = lower('Tokyo')"
        " ORDER BY coalesce(a.taken_at, a.file_created_at) DESC, a.id LIMIT 101"
    ),
    "suggestions (cities)": (
        "SELECT DISTINCT e.city AS value FROM assets a JOIN asset_exif e ON e.asset_id = a.id"
        " WHERE a.owner_id = %(owner)s AND a.trashed_at IS NULL AND e.city IS NOT NULL"
        " AND e.city <> '' ORDER BY 1 LIMIT 500"
    ),
}
WORLD = {"west": -180, "south": -90, "east": 180, "north": 90}
BOX = {"west": 2.3, "south": 48.8, "east": 2.5, "north": 48.95}


def new_calls(container: Any, owner: Any, person: Any) -> dict[str, Callable[[], list[Any]]]:
    from chalicelib.repositories.map import MapRepository
    from chalicelib.repositories.people import FaceRepository
    from chalicelib.repositories.search import MetadataSearchRepository
    from chalicelib.schemas.map import MAP_GRID, MAP_MARKERS_MAX

    pool = container.pool
    faces, search, markers = (
        FaceRepository(pool),
        MetadataSearchRepository(pool),
        MapRepository(pool),
    )
    city = {"owner": owner, "city": "Tokyo"}
    return {
        "people": lambda: faces.people(owner, False, 500, 0)[0],
        "map markers, world": lambda: markers.markers(owner, WORLD, MAP_MARKERS_MAX, MAP_GRID),
        "map markers, one city's box": lambda: markers.markers(
            owner, BOX, MAP_MARKERS_MAX, MAP_GRID
        ),
        "a person's assets (100)": lambda: faces.person_assets(owner, person, 101, 0),
        "metadata search, city (100)": lambda: search.search(city, 101, 0),
        "suggestions (cities)": lambda: search.suggestions(
            owner, "city", {"make": None, "model": None, "country": None, "state": None}
        ),
    }


def same(label: str, old: list[Any], new: list[Any]) -> bool:
    """Whether the new call returns what the old query returned (ids, or values; positions
    to 1e-9)."""
    if label == "suggestions (cities)":
        return [r["value"] for r in old] == new
    if label == "people":
        return [(r["id"], r["face_count"]) for r in old] == [
            (r["id"], r["face_count"]) for r in new
        ]
    if label.startswith("map"):
        return len(old) == len(new) and all(
            (o["id"], o["count"], o["city"]) == (n["id"], n["count"], n["city"])
            and abs(o["lat"] - n["lat"]) < 1e-9
            and abs(o["lon"] - n["lon"]) < 1e-9
            for o, n in zip(old, new, strict=True)
        )
    return [r["id"] for r in old] == [r["id"] for r in new]


def main(out: str | None, assets: int, calls: int) -> None:
    import psycopg
    from psycopg.rows import dict_row

    from bench.seed_library import seed_library
    from chalicelib.container import Container
    from chalicelib.settings import Settings

    with local_services() as (dsn, _):
        settings = Settings(database_url=dsn, admin_email="a@example.com", admin_password="x" * 12)
        container = Container(settings)
        with psycopg.connect(dsn, row_factory=dict_row) as conn:
            owner = conn.execute(
                "INSERT INTO users (email, name, password_hash) VALUES ('b@e.com', 'b', 'x')"
                " RETURNING id"
            ).fetchone()["id"]
            started = time.perf_counter()
            person = seed_library(conn, owner, assets)["person"]
            conn.commit()
            seed_s = time.perf_counter() - started
        print("seeded", seed_s, file=sys.stderr, flush=True)
        new = new_calls(container, owner, person)
        load = [os.getloadavg()[0]]
        rows = []
        for label, sql in OLD.items():
            params = {"owner": owner, "person": person, **(BOX if "box" in label else WORLD)}

            def old(sql: str = sql, params: dict[str, Any] = params) -> list[Any]:
                with container.pool.connection() as c:
                    *first, last = sql.split(";")
                    for statement in first:
                        c.execute(statement, params).fetchall()
                    return c.execute(last, params).fetchall()

            ok = same(label, old(), new[label]())
            times: dict[str, list[float]] = {"old": [], "new": []}
            for _ in range(calls):
                for name, fn in (("old", old), ("new", new[label])):
                    t = time.perf_counter()
                    fn()
                    times[name].append(time.perf_counter() - t)
            b, a = percentiles(times["old"]), percentiles(times["new"])
            rows.append(
                f"| {label} | {b['p50_ms']:.1f} / {b['p99_ms']:.1f} |"
                f" {a['p50_ms']:.1f} / {a['p99_ms']:.1f} | {len(new[label]())} |"
                f" {'yes' if ok else 'NO'} |"
            )
            print(rows[-1], file=sys.stderr, flush=True)
        load.append(os.getloadavg()[0])
        container.close()
    emit(
        "\n".join(
            [
                f"### Browse SQL before and after the counters ({assets:,} assets)",
                "",
                f"Seeded in {seed_s:.1f} s (triggers included); {calls} calls each, old and new"
                f" alternating; load average {load[0]:.1f} before, {load[1]:.1f} after.",
                "",
                "| route | SQL before p50 / p99 ms | SQL after p50 / p99 ms | rows | same rows |",
                "|---|---|---|---|---|",
                *rows,
            ]
        ),
        out,
    )


if __name__ == "__main__":
    output, opts = int_options(sys.argv[1:], {"--assets": 100_000, "--calls": 30})
    main(output, opts["--assets"], opts["--calls"])
