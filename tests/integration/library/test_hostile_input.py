"""The hostile-input corpus: inputs that once stored rows nobody could read back, or answered
500, each refused with a 4xx in the one documented error shape naming the field at fault;
afterwards the library reads exactly as before (the owner's assets, albums, links, timeline
and a member's shared albums).

Cases run as tables inside a few tests, over one library each: building the library runs
the pipeline, and one per case would cost minutes.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote

import chalicelib.db
from tests.support.harness import b64sha
from tests.support.library import World

ME = "/api/shared-links/me"
MIGRATION = Path(chalicelib.db.__file__).parent / "migrations" / "0009_readable_timestamps.sql"
FAR_FUTURE = "9999-12-31T23:59:59-14:00"  # year 10000 in UTC
FAR_PAST = "0001-01-01T00:00:00+14:00"  # year 0 in UTC
NAIVE = "2024-05-01T10:00:00"
ERROR_KEYS = {"statusCode", "error", "message", "details"}
VISITOR_KEY = {"x-shared-link-key": "{key}"}  # filled in per test, as the path is


@dataclass(frozen=True)
class Case:
    name: str
    method: str
    path: str
    body: Any = None
    who: str | None = "alice"
    field: str | None = None  # the field the error details must name
    status: int = 400
    raw: str | bytes | None = None  # a body sent as is, not JSON-encoded
    headers: dict[str, str] | None = None


def _send(w: World, case: Case, path: str, **fmt: str) -> Any:
    headers = {k: v.format(**fmt) for k, v in (case.headers or {}).items()}
    if case.raw is None:
        return w.call(case.method, path, case.body, case.who, headers)
    hdrs = {"Content-Type": "application/json", **headers}
    if case.who:
        hdrs["Authorization"] = f"Bearer {w.tokens[case.who]}"
    r = w.h.client.http.request(case.method, path, headers=hdrs, body=case.raw)
    r.json = json.loads(r.body) if r.body else None
    return r


def _problems(w: World, cases: list[Case], **fmt: str) -> list[str]:
    """Sends every case; returns what was wrong with each answer (empty: all refused well)."""
    problems = []
    for case in cases:
        r = _send(w, case, case.path.format(**fmt), **fmt)
        body = r.json if isinstance(r.json, dict) else {}
        fields = [d.get("field") for d in body.get("details") or []]
        if r.status_code != case.status:
            problems.append(f"{case.name}: {r.status_code} {r.body[:300]!r}")
        elif not (set(body) <= ERROR_KEYS and body.get("statusCode") == case.status):
            problems.append(f"{case.name}: not the error shape: {body}")
        elif not isinstance(body.get("error"), str) or not isinstance(body.get("message"), str):
            problems.append(f"{case.name}: error/message missing: {body}")
        elif case.field and not (
            any(f == case.field or f.endswith("." + case.field) for f in fields)
            and case.field in body["message"]
        ):
            problems.append(f"{case.name}: {case.field} not named: {body}")
    return problems


def _ticket(**overrides: Any) -> dict[str, Any]:
    data = b"hostile " + uuid.uuid4().bytes
    return {
        "filename": "x.jpg",
        "size": len(data),
        "checksum": b64sha(data),
        "contentType": "image/jpeg",
        "fileCreatedAt": "2024-05-01T10:00:00Z",
        "fileModifiedAt": "2024-05-01T10:00:00Z",
        **overrides,
    }


def _snapshot(w: World) -> dict[str, Any]:
    """What the owner and a member read; compared whole before and after the corpus."""
    return {
        "assets": w.ok("GET", "/api/assets", who="alice"),
        "albums": w.ok("GET", "/api/albums", who="alice"),
        "album": w.ok("GET", f"/api/albums/{w.album}", who="alice"),
        "links": w.ok("GET", "/api/shared-links", who="alice"),
        "buckets": w.ok("GET", "/api/timeline/buckets", who="alice"),
        "march": w.ok("GET", "/api/timeline/bucket?timeBucket=2024-03-01", who="alice"),
        "bob_shared": w.ok("GET", "/api/albums?shared=true", who="bob"),
    }


def _assert_library_intact(w: World, before: dict[str, Any]) -> None:
    after = _snapshot(w)
    assert after == before
    # And it is the library the fixture built, not two equal empty answers.
    names = {a["originalFileName"] for a in after["assets"]["items"]}
    assert names == {"p1.jpg", "p2.jpg", "p3.jpg"}
    assert [x["id"] for x in after["album"]["assets"]] == [w.assets["p2"], w.assets["p1"]]
    assert [a["id"] for a in after["bob_shared"]] == [w.album]
    assert {b["timeBucket"][:7]: b["count"] for b in after["buckets"]} == {
        "2024-03": 2,
        "2023-12": 1,
    }


DATE_CASES = [
    *(
        Case(
            f"upload {field} {value}",
            "POST",
            "/api/assets/uploads",
            _ticket(**{field: value}),
            field=field,
        )
        for field in ("fileCreatedAt", "fileModifiedAt")
        for value in (FAR_FUTURE, FAR_PAST, NAIVE, "10000-01-01T00:00:00Z", "not a date")
    ),
    Case(
        "bulk upload item date",
        "POST",
        "/api/assets/bulk-uploads",
        {"uploads": [{"id": "1", **_ticket(fileCreatedAt=FAR_FUTURE)}]},
        field="fileCreatedAt",
    ),
    Case(
        "visitor ticket far future",
        "POST",
        ME + "/uploads",
        _ticket(fileCreatedAt=FAR_FUTURE),
        who=None,
        headers=VISITOR_KEY,
        field="fileCreatedAt",
    ),
    Case(
        "visitor ticket far past",
        "POST",
        ME + "/uploads",
        _ticket(fileCreatedAt=FAR_PAST),
        who=None,
        headers=VISITOR_KEY,
        field="fileCreatedAt",
    ),
    Case(
        "visitor ticket naive",
        "POST",
        ME + "/uploads",
        _ticket(fileModifiedAt=NAIVE),
        who=None,
        headers=VISITOR_KEY,
        field="fileModifiedAt",
    ),
    Case(
        "owner dateTimeOriginal",
        "PUT",
        "/api/assets/{p1}",
        {"dateTimeOriginal": FAR_FUTURE},
        field="dateTimeOriginal",
    ),
    Case(
        "editor dateTimeOriginal",
        "PUT",
        "/api/assets/{p1}",
        {"dateTimeOriginal": FAR_PAST},
        who="bob",
        field="dateTimeOriginal",
    ),
    Case(
        "naive dateTimeOriginal",
        "PUT",
        "/api/assets/{p1}",
        {"dateTimeOriginal": NAIVE},
        field="dateTimeOriginal",
    ),
    Case(
        "link expiresAt far future",
        "POST",
        "/api/shared-links",
        {"type": "ALBUM", "albumId": "{album}", "expiresAt": FAR_FUTURE},
        field="expiresAt",
    ),
    Case(
        "link expiresAt naive",
        "POST",
        "/api/shared-links",
        {"type": "ALBUM", "albumId": "{album}", "expiresAt": NAIVE},
        field="expiresAt",
    ),
    Case(
        "link edit expiresAt",
        "PATCH",
        "/api/shared-links/{link}",
        {"expiresAt": FAR_PAST},
        field="expiresAt",
    ),
    Case(
        "memory seenAt",
        "PUT",
        f"/api/memories/{uuid.uuid4()}",
        {"seenAt": FAR_FUTURE},
        field="seenAt",
    ),
    Case(
        "search takenAfter",
        "POST",
        "/api/search/metadata",
        {"takenAfter": FAR_FUTURE},
        field="takenAfter",
    ),
    Case(
        "search takenBefore naive",
        "POST",
        "/api/search/metadata",
        {"takenBefore": NAIVE},
        field="takenBefore",
    ),
    Case(
        "smart search takenAfter",
        "POST",
        "/api/search/smart",
        {"query": "beach", "takenAfter": FAR_PAST},
        field="takenAfter",
    ),
    Case(
        "asset list takenAfter",
        "GET",
        f"/api/assets?takenAfter={quote(FAR_FUTURE)}",
        field="takenAfter",
    ),
    Case(
        "asset list takenBefore",
        "GET",
        f"/api/assets?takenBefore={quote(FAR_PAST)}",
        field="takenBefore",
    ),
    Case(
        "map fileCreatedAfter",
        "GET",
        f"/api/map/markers?fileCreatedAfter={quote(FAR_PAST)}",
        field="fileCreatedAfter",
    ),
    Case(
        "timeBucket last month",
        "GET",
        "/api/timeline/bucket?timeBucket=9999-12-01",
        field="timeBucket",
    ),
    Case(
        "timeBucket as datetime",
        "GET",
        "/api/timeline/bucket?timeBucket=9999-12-01T00:00:00.000Z",
        field="timeBucket",
    ),
    Case(
        "timeBucket year 10000",
        "GET",
        "/api/timeline/bucket?timeBucket=10000-01-01",
        field="timeBucket",
    ),
]

NUL = "a\x00b"
TEXT_CASES = [
    Case(
        "login email NUL",
        "POST",
        "/api/auth/login",
        {"email": "alice@example.com\x00", "password": "x"},
        who=None,
        field="email",
    ),
    Case("album name NUL", "POST", "/api/albums", {"albumName": NUL}, field="albumName"),
    Case("album name newline", "POST", "/api/albums", {"albumName": "a\nb"}, field="albumName"),
    Case(
        "album name lone surrogate",
        "POST",
        "/api/albums",
        {"albumName": "a\ud800"},
        field="albumName",
    ),
    Case(
        "album name line separator",
        "POST",
        "/api/albums",
        {"albumName": "a\u2028b"},
        field="albumName",
    ),
    Case(
        "album description NUL",
        "PATCH",
        "/api/albums/{album}",
        {"description": NUL},
        field="description",
    ),
    Case(
        "album description bell",
        "PATCH",
        "/api/albums/{album}",
        {"description": "a\x07"},
        field="description",
    ),
    Case(
        "asset description NUL",
        "PUT",
        "/api/assets/{p1}",
        {"description": NUL},
        field="description",
    ),
    Case(
        "filename CR LF",
        "POST",
        "/api/assets/uploads",
        _ticket(filename="a\r\nContent-Type: text/html.jpg"),
        field="filename",
    ),
    Case(
        "filename escape",
        "POST",
        "/api/assets/uploads",
        _ticket(filename="a\x1b[31m.jpg"),
        field="filename",
    ),
    Case(
        "visitor filename LF",
        "POST",
        ME + "/uploads",
        _ticket(filename="a\n.jpg"),
        who=None,
        headers=VISITOR_KEY,
        field="filename",
    ),
    Case("device id NUL", "POST", "/api/assets/uploads", _ticket(deviceId=NUL), field="deviceId"),
    Case("tag name NUL", "POST", "/api/tags", {"name": NUL}, field="name"),
    Case("person name NUL", "PUT", f"/api/people/{uuid.uuid4()}", {"name": NUL}, field="name"),
    Case("user name NUL", "PUT", "/api/users/me", {"name": NUL}, field="name"),
    Case("smart search NUL", "POST", "/api/search/smart", {"query": NUL}, field="query"),
    Case("metadata search NUL", "POST", "/api/search/metadata", {"make": NUL}, field="make"),
    Case(
        "link description NUL",
        "POST",
        "/api/shared-links",
        {"type": "ALBUM", "albumId": "{album}", "description": NUL},
        field="description",
    ),
    Case(
        "query string NUL",
        "GET",
        "/api/search/suggestions?type=camera-model&make=a%00b",
        field="make",
    ),
    Case("visitor key NUL", "GET", ME + "?key=a%00b", who=None, field="key"),
]

NUMBER_NULL_CASES = [
    Case("page beyond bigint", "GET", f"/api/assets?page={2**63}", field="page"),
    Case("page huge", "GET", f"/api/assets?page={10**40}", field="page"),
    Case(
        "people page beyond bigint",
        "GET",
        f"/api/people/{uuid.uuid4()}/assets?page={2**63}",
        field="page",
    ),
    Case(
        "search page beyond bigint", "POST", "/api/search/metadata", {"page": 2**64}, field="page"
    ),
    Case(
        "upload size beyond bigint",
        "POST",
        "/api/assets/uploads",
        _ticket(size=2**70),
        field="size",
    ),
    Case(
        "latitude infinite",
        "PUT",
        "/api/assets/{p1}",
        raw='{"latitude": 1e999, "longitude": 1}',
        field="latitude",
    ),
    Case("NaN", "PUT", "/api/assets/{p1}", raw='{"latitude": NaN, "longitude": 1}'),
    Case("isFavorite null", "PUT", "/api/assets/{p1}", {"isFavorite": None}, field="isFavorite"),
    Case("isArchived null", "PUT", "/api/assets/{p1}", {"isArchived": None}, field="isArchived"),
    Case(
        "allowDownload null",
        "PATCH",
        "/api/shared-links/{link}",
        {"allowDownload": None},
        field="allowDownload",
    ),
    Case(
        "isHidden null", "PUT", f"/api/people/{uuid.uuid4()}", {"isHidden": None}, field="isHidden"
    ),
    Case(
        "isSaved null", "PUT", f"/api/memories/{uuid.uuid4()}", {"isSaved": None}, field="isSaved"
    ),
    Case(
        "inTimeline null",
        "PUT",
        f"/api/partners/{uuid.uuid4()}",
        {"inTimeline": None},
        field="inTimeline",
    ),
]

STRUCTURE_CASES = [
    Case("deep nesting", "PUT", "/api/assets/{p1}", raw="[" * 100_000 + "]" * 100_000),
    Case(
        "nesting just too deep",
        "POST",
        "/api/albums",
        raw='{"albumName": ' + "[" * 40 + "]" * 40 + "}",
    ),
    Case(
        "body over 1 MiB",
        "POST",
        "/api/albums",
        {"albumName": "a", "description": "x" * (1024 * 1024)},
        status=413,
    ),
    Case("not JSON", "POST", "/api/albums", raw="{albumName: 1"),
    Case("not UTF-8", "POST", "/api/albums", raw=b'{"albumName": "\xff"}'),
    Case("JSON array body", "POST", "/api/albums", raw="[]"),
    Case("unknown field", "POST", "/api/albums", {"albumName": "a", "owner": "eve"}, field="owner"),
    Case(
        "wrong content type",
        "POST",
        "/api/albums",
        raw='{"albumName": "a"}',
        headers={"Content-Type": "text/plain"},
        status=415,
    ),
    Case("wrong method", "PATCH", "/api/assets", {"x": 1}, status=405),
    Case("wrong method anonymous", "DELETE", "/api/server/ping", who=None, status=405),
]


def _fmt(w: World, key: str, link: str) -> dict[str, str]:
    return {"key": key, "link": link, "album": w.album, **w.assets}


def _with_fmt(cases: list[Case], fmt: dict[str, str]) -> list[Case]:
    """Fills {album} inside bodies too (paths are filled when sent)."""
    out = []
    for c in cases:
        if isinstance(c.body, dict) and c.body.get("albumId") == "{album}":
            c = Case(**{**c.__dict__, "body": {**c.body, "albumId": fmt["album"]}})
        out.append(c)
    return out


def _upload_link(w: World) -> dict[str, Any]:
    return w.ok(
        "POST",
        "/api/shared-links",
        {"type": "ALBUM", "albumId": w.album, "allowUpload": True},
        "alice",
        status=201,
    )


def _run(w: World, cases: list[Case]) -> None:
    link = _upload_link(w)
    before = _snapshot(w)
    fmt = _fmt(w, link["key"], link["id"])
    assert _problems(w, _with_fmt(cases, fmt), **fmt) == []
    _assert_library_intact(w, before)


def test_dates_outside_what_the_database_reads_back_are_refused(world: World) -> None:
    _run(world, DATE_CASES)


def test_control_characters_are_refused_in_text(world: World) -> None:
    _run(world, TEXT_CASES)


def test_numbers_nulls_and_body_structure_are_bounded(world: World) -> None:
    _run(world, NUMBER_NULL_CASES + STRUCTURE_CASES)


def test_the_edges_of_the_ranges_are_accepted(world: World) -> None:
    """The bounds are not off by one: the first and last instants that read back are
    stored and listed; descriptions keep their line breaks."""
    w, p1 = world, world.assets["p1"]
    last = w.ok("PUT", f"/api/assets/{p1}", {"dateTimeOriginal": "9999-12-31T23:59:59Z"}, "alice")
    assert last["exifInfo"]["dateTimeOriginal"].startswith("9999-12-31T23:59:59")
    first = w.ok("PUT", f"/api/assets/{p1}", {"dateTimeOriginal": "0001-01-01T00:00:00Z"}, "alice")
    assert first["exifInfo"]["dateTimeOriginal"].startswith("0001-01-01T00:00:00")
    listed = w.ok("GET", "/api/assets", who="alice")["items"]
    assert {a["id"] for a in listed} == {w.assets[n] for n in ("p1", "p2", "p3")}
    text = "line one\n\tline two"
    album = w.ok("PATCH", f"/api/albums/{w.album}", {"description": text}, "alice")
    assert album["description"] == text
    asset = w.ok("PUT", f"/api/assets/{p1}", {"description": text}, "alice")
    assert asset["exifInfo"]["description"] == text
    w.ok("GET", "/api/timeline/bucket?timeBucket=9999-11-01", who="alice")


def test_a_refused_update_saves_nothing(world: World) -> None:
    w, p1 = world, world.assets["p1"]
    before = w.ok("GET", f"/api/assets/{p1}", who="alice")
    for body, field in (
        ({"isFavorite": True, "latitude": 10}, "longitude"),
        ({"isArchived": True, "description": "new", "longitude": 10}, "latitude"),
        ({"isFavorite": True, "latitude": None, "longitude": 10}, "latitude"),
        ({"isFavorite": True, "dateTimeOriginal": FAR_FUTURE}, "dateTimeOriginal"),
        ({"isFavorite": True, "description": NUL}, "description"),
    ):
        r = w.call("PUT", f"/api/assets/{p1}", body, "alice")
        assert r.status_code == 400, (body, r.body)
        assert field in [d["field"] for d in r.json["details"]], r.json
        assert w.ok("GET", f"/api/assets/{p1}", who="alice") == before
    # A whole correction is still taken.
    fixed = w.ok(
        "PUT", f"/api/assets/{p1}", {"isFavorite": True, "latitude": 10, "longitude": 20}, "alice"
    )
    assert fixed["isFavorite"] is True and fixed["exifInfo"]["latitude"] == 10

    # A tag rename that clashes (409) does not change the colour either.
    tags = w.ok("POST", "/api/tags", {"name": "a"}, "alice", status=201)
    w.ok("POST", "/api/tags", {"name": "b"}, "alice", status=201)
    r = w.call("PUT", f"/api/tags/{tags['id']}", {"name": "b", "color": "#ff0000"}, "alice")
    assert r.status_code == 409, r.body
    again = w.ok("GET", f"/api/tags/{tags['id']}", who="alice")
    assert again["name"] == "a" and again["color"] == tags["color"]


def test_the_anonymous_upload_visitor_cannot_poison_the_album(world: World) -> None:
    """The attack of record: no bytes, one ticket with a date psycopg cannot read back."""
    w = world
    link = _upload_link(w)
    key = {"x-shared-link-key": link["key"]}
    before = _snapshot(w)
    for date in (FAR_FUTURE, FAR_PAST):
        r = w.call("POST", f"{ME}/uploads", _ticket(fileCreatedAt=date), headers=key)
        assert r.status_code == 400, r.body
        assert r.json["details"][0]["field"] == "fileCreatedAt"
    # A well-formed ticket still works for the same visitor.
    ok = w.call("POST", f"{ME}/uploads", _ticket(), headers=key)
    assert ok.status_code == 201, ok.body
    # The pending ticket is in the album now (as any visitor upload); the rest reads as before.
    after = _snapshot(w)
    assert ok.json["assetId"] in [x["id"] for x in after["album"]["assets"]]
    assert [x["id"] for x in after["links"]] == [x["id"] for x in before["links"]]
    assert after["buckets"] == before["buckets"]
    for name in ("march", "bob_shared"):
        assert [x["id"] for x in after[name]] == [x["id"] for x in before[name]], name
    assert {a["id"] for a in after["assets"]["items"]} >= {w.assets[n] for n in ("p1", "p2", "p3")}


def test_rows_stored_before_the_bounds_are_repaired_by_the_migration(world: World) -> None:
    """A row poisoned before the API refused such dates: listings fail until migration 0009
    clamps it to the last instant that reads back."""
    w, p3 = world, world.assets["p3"]
    with w.h.container.pool.connection() as conn:
        conn.execute(
            "UPDATE assets SET file_created_at = %s, taken_at = %s WHERE id = %s",
            (FAR_FUTURE, FAR_PAST, p3),
        )
    assert w.call("GET", "/api/assets", who="alice").status_code == 500
    with w.h.container.pool.connection() as conn:
        conn.execute(MIGRATION.read_text())
    listed = {a["id"]: a for a in w.ok("GET", "/api/assets", who="alice")["items"]}
    assert set(listed) == {w.assets[n] for n in ("p1", "p2", "p3")}
    assert listed[p3]["fileCreatedAt"].startswith("9999-12-31T23:59:59")
    assert w.ok("GET", f"/api/assets/{p3}", who="alice")["id"] == p3
