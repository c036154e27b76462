"""Every list route a client uses answers a bounded body on a library of tens of thousands of
assets (inserted directly: bench/seed_library.py), and paging through it loses nothing.

The bounds (docs/api.md, "Bounded lists"): assets, metadata search and a person's assets at
most ``size`` (≤ 1,000) items; a timeline bucket at most ``limit`` (≤ 1,000) assets per page;
map markers at most 2,000; people at most ``size`` (default 500); an album embeds at most
``ALBUM_ASSETS_MAX`` (200) assets; suggestions at most 500; statistics and usage one object.
And no body above 2 MB (Lambda's limit is 6 MB).
"""

from __future__ import annotations

import json
from typing import Any

import psycopg
import pytest
from psycopg.rows import dict_row

from bench.seed_library import seed_library
from chalicelib.container import Container
from chalicelib.schemas.albums import ALBUM_ASSETS_MAX
from chalicelib.services.assets import encode_cursor
from tests.support.api import Api

N = 20_000
MAX_BODY = 2_000_000
ZERO = "00000000-0000-0000-0000-000000000000"


@pytest.fixture
def owner(api: Api, admin_token: str) -> tuple[str, str]:
    """(user id, token) of a user whose library is seeded straight into the database."""
    r = api.call(
        "POST",
        "/api/admin/users",
        {"email": "big@example.com", "password": "big-password-1", "name": "Big"},
        token=admin_token,
    )
    assert r.status_code == 201, r.body
    return r.json["id"], api.login("big@example.com", "big-password-1")


def _get(api: Api, token: str, path: str, body: Any = None, method: str = "GET") -> Any:
    r = api.call(method, path, body, token=token)
    assert r.status_code == 200, (path, r.status_code, r.body[:500])
    assert len(r.body) < MAX_BODY, (path, len(r.body))
    return r.json


def _sql(container: Container, query: str, *args: Any) -> list[dict[str, Any]]:
    with psycopg.connect(container.settings.database_url, row_factory=dict_row) as conn:
        return conn.execute(query, args).fetchall()


def test_every_list_route_is_bounded_on_a_big_library(
    api: Api, container: Container, owner: tuple[str, str], user_token: str
) -> None:
    user_id, token = owner
    with psycopg.connect(container.settings.database_url, row_factory=dict_row) as conn:
        seeded = seed_library(conn, user_id, N)

    # Assets: pages of at most `size`; the cursor walks on in order without gaps, and a
    # cursor deep in the library starts exactly there.
    live = [
        r["id"]
        for r in _sql(
            container,
            "SELECT id::text, coalesce(taken_at, file_created_at) AS sort_key FROM assets"
            " WHERE owner_id = %s AND trashed_at IS NULL"
            " ORDER BY coalesce(taken_at, file_created_at) DESC, id",
            user_id,
        )
    ]
    first = _get(api, token, "/api/assets?size=1000")
    assert len(first["items"]) == 1000 and first["nextPage"] == 2 and first["nextCursor"]
    assert "stages" not in first["items"][0]  # lists leave the stages to GET /assets/{id}
    seen, cursor = [a["id"] for a in first["items"]], first["nextCursor"]
    for _ in range(2):
        page = _get(api, token, f"/api/assets?size=1000&cursor={cursor}")
        assert len(page["items"]) == 1000 and page["nextPage"] is None
        seen += [a["id"] for a in page["items"]]
        cursor = page["nextCursor"]
    assert seen == live[:3000]
    deep = _sql(
        container,
        "SELECT id, coalesce(taken_at, file_created_at) AS k FROM assets WHERE id = %s",
        live[-1501],
    )[0]
    tail = _get(api, token, f"/api/assets?size=1000&cursor={encode_cursor(deep['k'], deep['id'])}")
    assert [a["id"] for a in tail["items"]] == live[-1500:-500] and tail["nextCursor"]
    last = _get(api, token, f"/api/assets?size=1000&cursor={tail['nextCursor']}")
    assert [a["id"] for a in last["items"]] == live[-500:] and last["nextCursor"] is None
    # The page parameter still answers the same rows as the cursor.
    assert _get(api, token, "/api/assets?size=1000&page=2")["items"][0]["id"] == seen[1000]

    # Timeline: a month with more assets than a page comes in pages whose union is the month.
    buckets = _get(api, token, "/api/timeline/buckets")
    assert len(buckets) <= 15 * 12
    huge = next(b for b in buckets if b["timeBucket"].startswith(seeded["huge_month"]))
    assert huge["count"] > 1000 and huge["count"] == max(b["count"] for b in buckets)
    got: list[dict[str, Any]] = []
    while True:
        last = got[-1] if got else None
        after = f"&afterLocalDateTime={last['localDateTime']}Z&afterId={last['id']}" if last else ""
        page = _get(api, token, f"/api/timeline/bucket?timeBucket={huge['timeBucket']}{after}")
        assert len(page) <= 1000
        got += page
        if len(page) < 1000:
            break
    assert len(got) == huge["count"] == len({a["id"] for a in got})
    times = [a["localDateTime"] for a in got]
    assert times == sorted(times, reverse=True)

    # Map: more geotagged assets than markers, so grid cells that account for every one.
    markers = _get(api, token, "/api/map/markers")
    geotagged = _sql(
        container,
        "SELECT count(*) AS n FROM assets a JOIN asset_exif e ON e.asset_id = a.id"
        " WHERE a.owner_id = %s AND a.trashed_at IS NULL AND NOT a.is_archived"
        " AND e.latitude IS NOT NULL",
        user_id,
    )[0]["n"]
    assert geotagged > 2000 and len(markers) <= 2000
    assert sum(m["count"] for m in markers) == geotagged
    # A small box holds few enough for one marker per asset.
    paris = _get(api, token, "/api/map/markers?west=2.3&south=48.8&east=2.5&north=48.95")
    assert 0 < len(paris) <= 2000 and {m["count"] for m in paris} == {1}
    assert {m["city"] for m in paris} == {"Paris"}

    # People: a page, with totals over everyone.
    people = _get(api, token, "/api/people?size=50")
    assert len(people["people"]) == 50 and people["hasNextPage"] and people["total"] > 50
    faces = _get(api, token, f"/api/people/{seeded['person']}/assets?size=1000")
    assert len(faces["items"]) <= 1000

    # Albums: the big one embeds the newest ALBUM_ASSETS_MAX and counts them all.
    album = _get(api, token, f"/api/albums/{seeded['big_album']}")
    assert album["assetCount"] > 1000 and len(album["assets"]) == ALBUM_ASSETS_MAX
    assert len(_get(api, token, "/api/albums")) <= N // 2000 + 1

    # Search and suggestions.
    found = _get(api, token, "/api/search/metadata", {"city": "Tokyo", "size": 100}, "POST")
    assert len(found["items"]) == 100 and found["nextPage"] == 2
    assert {a["exifInfo"]["city"] for a in found["items"]} == {"Tokyo"}
    cities = _get(api, token, "/api/search/suggestions?type=city")
    assert 0 < len(cities) <= 500 and "Tokyo" in cities

    # Statistics and usage come from the counters; they equal a count over the rows.
    truth = _sql(
        container,
        "SELECT count(*) FILTER (WHERE trashed_at IS NULL AND type = 'IMAGE') AS images,"
        " count(*) FILTER (WHERE trashed_at IS NOT NULL) AS trashed,"
        " sum(file_size) AS bytes FROM assets WHERE owner_id = %s",
        user_id,
    )[0]
    stats = _get(api, token, "/api/assets/statistics")
    assert (stats["images"], stats["trashed"], stats["usageBytes"]) == (
        truth["images"],
        truth["trashed"],
        truth["bytes"],
    )
    assert _get(api, token, "/api/users/me/usage")["usage"] == truth["bytes"]

    # Nothing of it reaches another user: her lists are empty, the cursor names no row of hers.
    assert _get(api, user_token, "/api/assets")["items"] == []
    assert _get(api, user_token, f"/api/assets?cursor={first['nextCursor']}")["items"] == []
    assert _get(api, user_token, "/api/map/markers") == []
    assert _get(api, user_token, "/api/people")["total"] == 0
    r = api.call("GET", f"/api/albums/{seeded['big_album']}", token=user_token)
    assert r.status_code in (403, 404), r.body


@pytest.mark.parametrize(
    ("path", "field"),
    [
        ("/api/assets?cursor=not-a-cursor", "cursor"),
        ("/api/assets?cursor=" + "MjAyNA", "cursor"),
        (f"/api/timeline/bucket?timeBucket=2024-01-01&afterId={ZERO}", "afterLocalDateTime"),
        (f"/api/timeline/bucket?timeBucket=2024-01-01&afterId={ZERO}"
         "&afterLocalDateTime=2024-01-05T10:00:00", "afterLocalDateTime"),
        ("/api/timeline/bucket?timeBucket=2024-01-01&limit=1001", "limit"),
        ("/api/map/markers?west=10&east=5", "east"),
        ("/api/map/markers?north=91", "north"),
        ("/api/people?size=1001", "size"),
    ],
)  # fmt: skip
def test_bad_paging_input_is_a_400_naming_the_field(
    api: Api, user_token: str, path: str, field: str
) -> None:
    r = api.call("GET", path, token=user_token)
    assert r.status_code == 400, r.body
    assert field in json.dumps(r.json), r.json
