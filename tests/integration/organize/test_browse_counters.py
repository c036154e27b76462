"""What the browse routes read instead of scanning the library (migration 0024): people's
face counts, the faces' and EXIF rows' copies of their asset's time and state, the
suggestions' value counts and the world map's grid. Each follows every change the app
makes (ingest, the edit route, trash, restore, deletes, empty trash, face reassignment,
merge, hiding, the faces stage, the delete-user job), equals a recount from the base tables
after each, and the routes answer what the queries over the base tables answered."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any
from uuid import UUID, uuid4

import psycopg
import pytest
from psycopg.rows import dict_row

from bench.common import insert_ready_assets
from bench.seed_library import seed_library
from chalicelib.db import migrate
from chalicelib.repositories.people import FaceRepository
from chalicelib.schemas import map as map_schema
from tests.support.bulk_jobs import finish
from tests.support.organize import NOTRE_DAME, TOKYO, Harness, add, photo

CITIES = [
    ("Paris", "Ile-de-France", "France", 48.86, 2.35),
    ("Lyon", "Auvergne-Rhone-Alpes", "France", 45.76, 4.84),
    ("Tokyo", "Tokyo", "Japan", 35.68, 139.69),
    ("Sydney", "New South Wales", "Australia", -33.87, 151.21),
]

# The routes' queries over the base tables, as they were before the counters.
OLD_PEOPLE = (
    "SELECT f.person_id, count(*) AS n FROM asset_faces f JOIN assets a ON a.id = f.asset_id"
    " WHERE f.owner_id = %s AND f.person_id IS NOT NULL AND a.trashed_at IS NULL"
    " GROUP BY f.person_id"
)
OLD_WORLD = (
    "SELECT (array_agg(id ORDER BY taken DESC, id))[1] AS id, avg(lat) AS lat,"
    " avg(lon) AS lon, (array_agg(city ORDER BY taken DESC, id))[1] AS city,"
    " (array_agg(state ORDER BY taken DESC, id))[1] AS state,"
    " (array_agg(country ORDER BY taken DESC, id))[1] AS country, count(*) AS count FROM ("
    " SELECT a.id, e.latitude AS lat, e.longitude AS lon, e.city, e.state, e.country,"
    " coalesce(a.taken_at, a.file_created_at) AS taken"
    " FROM assets a JOIN asset_exif e ON e.asset_id = a.id WHERE a.owner_id = %(owner)s"
    " AND a.trashed_at IS NULL AND a.visibility = 'timeline'"
    " AND a.status IN ('ready', 'processing') AND e.latitude IS NOT NULL"
    " AND e.longitude IS NOT NULL AND a.is_archived = %(archived)s"
    " AND e.longitude BETWEEN -180 AND 180 AND e.latitude BETWEEN -90 AND 90) m"
    " GROUP BY floor((lon - (-180)) / 9.0), floor((lat - (-90)) / 4.5)"
    " ORDER BY count(*) DESC, 1"
)
OLD_SUGGESTIONS = (
    "SELECT DISTINCT {column} AS value FROM assets a JOIN asset_exif e ON e.asset_id = a.id"
    " WHERE a.owner_id = %(owner)s AND a.trashed_at IS NULL AND {column} IS NOT NULL"
    " AND {column} <> '' AND (%(country)s::text IS NULL OR lower(e.country) = lower(%(country)s))"
    " ORDER BY 1"
)
OLD_PERSON_ASSETS = (
    "SELECT a.id FROM assets a WHERE a.owner_id = %s AND a.trashed_at IS NULL AND EXISTS"
    " (SELECT 1 FROM asset_faces f WHERE f.asset_id = a.id AND f.person_id = %s)"
    " ORDER BY coalesce(a.taken_at, a.file_created_at) DESC, a.id"
)
OLD_CITY_SEARCH = (
    "SELECT a.id FROM assets a LEFT JOIN asset_exif e ON e.asset_id = a.id"
    " WHERE a.owner_id = %s AND a.trashed_at IS NULL AND a.status = 'ready'"
    " AND a.visibility = 'timeline' AND NOT a.is_archived AND lower(e.city) = lower(%s)"
    " ORDER BY coalesce(a.taken_at, a.file_created_at) DESC, a.id"
)
# The copies the triggers keep, against the asset they copy (rows that differ).
STALE_FACES = (
    "SELECT count(*) AS n FROM asset_faces f JOIN assets a ON a.id = f.asset_id"
    " WHERE f.asset_time <> coalesce(a.taken_at, a.file_created_at)"
    " OR f.asset_trashed <> (a.trashed_at IS NOT NULL)"
)
STALE_EXIF = (
    "SELECT count(*) AS n FROM asset_exif e JOIN assets a ON a.id = e.asset_id"
    " WHERE (e.owner_id, e.asset_time, e.asset_status, e.asset_visibility, e.asset_archived,"
    " e.asset_trashed) IS DISTINCT FROM (a.owner_id, coalesce(a.taken_at, a.file_created_at),"
    " a.status, a.visibility, a.is_archived, a.trashed_at IS NOT NULL)"
)
VALUES_KEPT = (
    "SELECT make, model, lens_model, country, state, city, count FROM exif_values"
    " WHERE owner_id = %s AND count <> 0 ORDER BY 1, 2, 3, 4, 5, 6"
)
VALUES_COUNTED = (
    "SELECT e.make, e.model, e.lens_model, e.country, e.state, e.city, count(*) AS count"
    " FROM assets a JOIN asset_exif e ON e.asset_id = a.id"
    " WHERE a.owner_id = %s AND a.trashed_at IS NULL GROUP BY 1, 2, 3, 4, 5, 6"
    " ORDER BY 1, 2, 3, 4, 5, 6"
)


def _db(h: Harness) -> Any:
    return psycopg.connect(h.container.settings.database_url, row_factory=dict_row)


def _me(h: Harness, token: str) -> str:
    return str(h.call("GET", "/api/users/me", token=token).json["id"])


def _library(h: Harness, owner: str) -> tuple[list[UUID], list[UUID], list[UUID]]:
    """40 ready photos, 30 of them placed in four cities at different times, with faces of
    four people on 24 (two faces on some); returns (asset ids, people ids, face ids)."""
    with _db(h) as conn:
        ids = insert_ready_assets(conn, owner, 40, prefix=f"{owner}/")
        conn.execute(
            "UPDATE assets SET taken_at = file_created_at - (i %% 7) * interval '1 day'"
            " FROM unnest(%s::uuid[]) WITH ORDINALITY AS u(id, i) WHERE assets.id = u.id",
            (ids,),
        )
        for i, asset in enumerate(ids):
            city, state, country, lat, lon = CITIES[i % 4]
            placed = i < 30
            conn.execute(
                "INSERT INTO asset_exif (asset_id, make, model, latitude, longitude, city,"
                " state, country) VALUES (%s, %s, %s, %s, %s, %s, %s, %s)",
                (
                    asset,
                    ("Apple", "Canon")[i % 2],
                    ("iPhone", "EOS", "Pixel")[i % 3],
                    lat + i / 1000 if placed else None,
                    lon - i / 1000 if placed else None,
                    city if placed else None,
                    state if placed else None,
                    country if placed else None,
                ),
            )
        people = [
            r["id"]
            for r in conn.execute(
                "INSERT INTO people (owner_id, name) SELECT %s, 'P' || k"
                " FROM generate_series(1, 4) k RETURNING id",
                (owner,),
            ).fetchall()
        ]
        faces = [
            r["id"]
            for r in conn.execute(
                "INSERT INTO asset_faces (asset_id, owner_id, person_id, image_width,"
                " image_height, x1, y1, x2, y2, landmarks, score, model_id, embedding)"
                " SELECT a.id, %(owner)s, (%(people)s::uuid[])[1 + (a.i + f) %% 4], 100, 100,"
                " 10 * f, 10, 10 * f + 8, 18, ARRAY[0,0,0,0,0,0,0,0,0,0]::real[], 0.9, 't',"
                " array_fill(0.1 * f, ARRAY[128])::halfvec(128)"
                " FROM unnest(%(ids)s::uuid[]) WITH ORDINALITY AS a(id, i)"
                " CROSS JOIN generate_series(1, 2) f"
                " WHERE a.i <= 24 AND (f = 1 OR a.i %% 3 = 0) RETURNING id",
                {"owner": owner, "people": people, "ids": ids},
            ).fetchall()
        ]
        conn.execute(
            "UPDATE people p SET feature_face_id = (SELECT f.id FROM asset_faces f"
            " WHERE f.person_id = p.id ORDER BY f.id LIMIT 1) WHERE p.owner_id = %s",
            (owner,),
        )
    return ids, people, faces


def _check(h: Harness, token: str, owner: str) -> None:
    """Every counter and copy equals its recount, and every route answers what the old
    query answers."""
    with _db(h) as conn:
        assert conn.execute(STALE_FACES).fetchone()["n"] == 0
        assert conn.execute(STALE_EXIF).fetchone()["n"] == 0
        counted = {r["person_id"]: r["n"] for r in conn.execute(OLD_PEOPLE, (owner,))}
        kept = {
            r["id"]: r["face_count"]
            for r in conn.execute("SELECT id, face_count FROM people WHERE owner_id = %s", (owner,))
        }
        assert {p: n for p, n in kept.items() if n} == counted
        assert conn.execute(VALUES_KEPT, (owner,)).fetchall() == (
            conn.execute(VALUES_COUNTED, (owner,)).fetchall()
        )
        world = {
            archived: conn.execute(OLD_WORLD, {"owner": owner, "archived": archived}).fetchall()
            for archived in (False, True)
        }
        suggested = {
            (kind, country): [
                r["value"]
                for r in conn.execute(
                    OLD_SUGGESTIONS.format(column=column), {"owner": owner, "country": country}
                )
            ]
            for kind, column in (("city", "e.city"), ("country", "e.country"),
                                 ("camera-make", "e.make"))
            for country in (None, "france")
        }  # fmt: skip
        person_assets = {p: [r["id"] for r in conn.execute(OLD_PERSON_ASSETS, (owner, p))]
                         for p in kept}  # fmt: skip
        by_city = {c[0]: [r["id"] for r in conn.execute(OLD_CITY_SEARCH, (owner, c[0].lower()))]
                   for c in CITIES}  # fmt: skip

    people = h.call("GET", "/api/people?withHidden=true", token=token).json
    assert {UUID(p["id"]): p["faceCount"] for p in people["people"]} == counted
    assert people["total"] == len(counted)
    # Everyone is named: the biggest first, hidden people left out.
    shown = h.call("GET", "/api/people", token=token).json["people"]
    assert [p["faceCount"] for p in shown] == sorted(counted.values(), reverse=True)[
        : len(shown)
    ] or any(p["isHidden"] for p in people["people"])
    assert not any(p["isHidden"] for p in shown)
    for archived, expected in world.items():
        markers = h.call("GET", f"/api/map/markers?isArchived={str(archived).lower()}", token=token)
        got = markers.json
        assert [(UUID(m["id"]), m["count"], m["city"], m["state"], m["country"]) for m in got] == [
            (r["id"], r["count"], r["city"], r["state"], r["country"]) for r in expected
        ], archived
        for m, r in zip(got, expected, strict=True):
            assert (m["lat"], m["lon"]) == (pytest.approx(r["lat"]), pytest.approx(r["lon"]))
    for (kind, country), expected in suggested.items():
        path = f"/api/search/suggestions?type={kind}" + (f"&country={country}" if country else "")
        assert h.call("GET", path, token=token).json == expected, (kind, country)
    for person, expected in person_assets.items():
        r = h.call("GET", f"/api/people/{person}/assets?size=1000", token=token)
        assert r.status_code == 200, r.body
        assert [UUID(a["id"]) for a in r.json["items"]] == expected
    for city, expected in by_city.items():
        r = h.call("POST", "/api/search/metadata", {"city": city, "size": 1000}, token=token)
        assert [UUID(a["id"]) for a in r.json["items"]] == expected, city


def test_counters_follow_every_change_and_the_routes_answer_as_before(
    harness: Harness, monkeypatch: pytest.MonkeyPatch
) -> None:
    h = harness
    # Above two markers the map groups them: the world's markers then come from the grid.
    monkeypatch.setattr(map_schema, "MAP_MARKERS_MAX", 2)
    alice, bob = h.user("alice@example.com"), h.user("bob@example.com")
    alice_id = _me(h, alice)
    # Ingest: real photos with GPS, described by the ingest stage.
    paris = add(h, alice, "paris.jpg", photo(1, gps=NOTRE_DAME, taken="2021:03:01 10:00:00"))
    tokyo = add(h, alice, "tokyo.jpg", photo(2, gps=TOKYO, taken="2021:03:02 10:00:00"))
    bobs = add(h, bob, "bob.jpg", photo(3, gps=TOKYO))
    h.drain(("ingest",))
    ids, people, faces = _library(h, alice_id)
    _check(h, alice, alice_id)
    assert len(h.call("GET", "/api/map/markers", token=alice).json) > 2  # grouped

    def step(method: str, path: str, body: Any = None, status: int = 200) -> Any:
        r = h.call(method, path, body, token=alice)
        assert r.status_code == status, (path, r.body)
        _check(h, alice, alice_id)
        return r

    # The edit route: a position moved across the world, a capture time (the cell's newest).
    step("PUT", f"/api/assets/{paris}", {"latitude": TOKYO[0], "longitude": TOKYO[1]})
    step("PUT", f"/api/assets/{ids[4]}", {"dateTimeOriginal": "2030-01-01T00:00:00+00:00"})
    step("PUT", f"/api/assets/{ids[4]}", {"dateTimeOriginal": "2000-01-01T00:00:00+00:00"})
    step("PUT", f"/api/assets/{tokyo}", {"latitude": None, "longitude": None})
    step("PUT", "/api/assets", {"ids": [str(i) for i in ids[:6]], "isArchived": True}, 204)
    step("PUT", "/api/assets", {"ids": [str(i) for i in ids[:3]], "isArchived": False}, 204)
    # Trash, restore, delete for good, empty the trash.
    step("DELETE", "/api/assets", {"ids": [str(i) for i in ids[3:12]]}, 204)
    step("POST", "/api/trash/restore", {"ids": [str(i) for i in ids[3:6]]})
    step("DELETE", "/api/assets", {"ids": [str(i) for i in ids[12:15]], "force": True}, 204)
    finish(h, h.call("POST", "/api/trash/empty", token=alice), alice)
    _check(h, alice, alice_id)
    # Faces: given to another person, people merged, a person hidden.
    live = [f for f in faces if f in _faces_left(h)]
    step("PUT", f"/api/faces/{live[-1]}", {"personId": str(people[0])})
    step("POST", f"/api/people/{people[0]}/merge", {"ids": [str(people[1])]})
    step("PUT", f"/api/people/{people[2]}", {"isHidden": True})
    # The faces stage and recognition: an asset's faces replaced by none, faces unassigned.
    repo = FaceRepository(h.container.pool)
    assert repo.replace_faces(ids[17], UUID(alice_id), []) is not None
    with repo.locked(UUID(alice_id)) as conn:
        repo.assign(conn, live[:3], None)
    _check(h, alice, alice_id)
    # What no route does today but the counters follow anyway: status and visibility.
    with _db(h) as conn:
        conn.execute("UPDATE assets SET status = 'processing' WHERE id = ANY(%s)", (ids[20:23],))
        conn.execute("UPDATE assets SET visibility = 'hidden' WHERE id = ANY(%s)", (ids[23:25],))
        conn.execute("DELETE FROM asset_exif WHERE asset_id = %s", (ids[25],))
    _check(h, alice, alice_id)

    # Another user sees none of it, and their own library only.
    person = str(people[0])
    assert h.call("GET", f"/api/people/{person}/assets", token=bob).status_code == 404
    assert h.call("GET", "/api/people", token=bob).json["people"] == []
    assert [m["id"] for m in h.call("GET", "/api/map/markers", token=bob).json] == [bobs]
    assert h.call("GET", "/api/search/suggestions?type=city", token=bob).json == ["Tokyo"]
    found = h.call("POST", "/api/search/metadata", {"city": "Paris"}, token=bob).json
    assert found["items"] == []

    # The delete-user job: assets, faces, people and the counters go, bob's stay.
    admin = h.login("admin@example.com", "admin-password-1")
    job = finish(h, h.call("DELETE", f"/api/admin/users/{alice_id}", token=admin), admin)
    assert job["status"] == "succeeded", job
    with _db(h) as conn:
        for table in ("users", "people", "exif_values", "map_cells", "asset_faces"):
            column = "id" if table == "users" else "owner_id"
            sql = f"SELECT count(*) AS n FROM {table} WHERE {column} = %s"  # noqa: S608
            left = conn.execute(sql, (alice_id,)).fetchone()
            assert left["n"] == 0, table
        assert conn.execute(
            "SELECT count FROM map_cells m JOIN users u ON u.id = m.owner_id"
            " WHERE u.email = 'bob@example.com'"
        ).fetchall() == [{"count": 1}]


def _faces_left(h: Harness) -> set[UUID]:
    with _db(h) as conn:
        return {r["id"] for r in conn.execute("SELECT id FROM asset_faces")}


def test_a_user_row_deleted_with_its_library_in_one_statement(
    harness: Harness, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The owner's row goes in the same statement as their assets, EXIF, faces and people
    (the foreign keys' cascade): no counter's trigger writes a row for the owner being
    deleted, so the delete succeeds and leaves nothing of theirs; another owner's counters
    stay as they were."""
    h = harness
    monkeypatch.setattr(map_schema, "MAP_MARKERS_MAX", 2)
    carol_token, dave_token = h.user("carol@example.com"), h.user("dave@example.com")
    carol, dave = _me(h, carol_token), _me(h, dave_token)
    _library(h, carol)
    _library(h, dave)
    tables = ("map_cells", "exif_values", "people", "timeline_months", "user_asset_stats")
    count = "SELECT count(*) AS n FROM {} WHERE owner_id = %s"
    with _db(h) as conn:
        before = {t: conn.execute(count.format(t), (dave,)).fetchone()["n"] for t in tables}
        assert all(n > 0 for n in before.values()), before
        assert conn.execute("DELETE FROM users WHERE id = %s", (carol,)).rowcount == 1
        for table in tables:
            assert conn.execute(count.format(table), (carol,)).fetchone()["n"] == 0, table
        assert {t: conn.execute(count.format(t), (dave,)).fetchone()["n"] for t in tables} == (
            before
        )
    _check(h, dave_token, dave)


def test_the_migration_counts_a_library_already_there(postgres: Any, tmp_path: Path) -> None:
    """0024 on a database that already holds a library (seeded under 0023): the copies and
    counters it fills equal a recount, and the triggers take over from there."""
    name = f"t_{uuid4().hex[:12]}"
    with psycopg.connect(postgres.admin_dsn, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    dsn = f"postgresql://postgres@127.0.0.1:{postgres.port}/{name}"
    try:
        before = tmp_path / "migrations"
        before.mkdir()
        for path in sorted(migrate.MIGRATIONS_DIR.glob("*.sql")):
            if int(path.name[:4]) < 24:
                shutil.copy(path, before / path.name)
        migrate.apply(dsn, before)
        with psycopg.connect(dsn, row_factory=dict_row) as conn:
            owner = str(conn.execute(
                "INSERT INTO users (email, name, password_hash) VALUES ('s@e.com', 's', 'x')"
                " RETURNING id"
            ).fetchone()["id"])  # fmt: skip
            seed_library(conn, owner, 3000)
        assert migrate.apply(dsn)[0] == "0024_browse_counters.sql"
        with psycopg.connect(dsn, row_factory=dict_row) as conn:
            _assert_counted(conn, owner)
            # The triggers take over: a trash and a move.
            conn.execute(
                "UPDATE assets SET trashed_at = now() WHERE id IN (SELECT asset_id FROM"
                " asset_exif WHERE city = 'Paris' ORDER BY asset_time DESC LIMIT 40)"
            )
            conn.execute("UPDATE asset_exif SET latitude = -latitude WHERE city = 'Tokyo'")
            _assert_counted(conn, owner)
    finally:
        postgres.drop_database(name)


def _assert_counted(conn: Any, owner: str) -> None:
    """The counters and copies against a recount (routes aside: no app on this database)."""
    assert conn.execute(STALE_FACES).fetchone()["n"] == 0
    assert conn.execute(STALE_EXIF).fetchone()["n"] == 0
    counted = {r["person_id"]: r["n"] for r in conn.execute(OLD_PEOPLE, (owner,))}
    kept = conn.execute(
        "SELECT id, face_count FROM people WHERE owner_id = %s AND face_count > 0", (owner,)
    ).fetchall()
    assert {r["id"]: r["face_count"] for r in kept} == counted and counted
    assert conn.execute(VALUES_KEPT, (owner,)).fetchall() == (
        conn.execute(VALUES_COUNTED, (owner,)).fetchall()
    )
    repo_rows = conn.execute(
        "SELECT m.top_id AS id, m.count, (m.lat_sum / m.count)::float8 AS lat"
        " FROM map_cells m WHERE owner_id = %s AND NOT is_archived AND count > 0"
        " ORDER BY m.count DESC, m.top_id",
        (owner,),
    ).fetchall()
    old = conn.execute(OLD_WORLD, {"owner": owner, "archived": False}).fetchall()
    assert [(r["id"], r["count"]) for r in repo_rows] == [(r["id"], r["count"]) for r in old]
    assert [r["lat"] for r in repo_rows] == pytest.approx([r["lat"] for r in old])
    assert len(old) > 1
