"""The authorization matrix: every route of the route table that names something by id,
against every kind of caller, with the expected answer written per cell in ``MATRIX``.

A route added to the table without its row fails ``test_every_id_route_has_a_row``; a
row for a route that no longer exists fails too. Cells run against the real stack (the
family library of tests.support.library: PostgreSQL, moto, the pipeline), and every
refusal must be the one error shape and carry nothing of the target (no id, name, email,
checksum or file name in the body).

Callers: ``owner`` (alice; the first admin on admin routes), ``stranger`` (eve),
``anon`` (no credentials), ``revoked`` (an API key of alice's, deleted), ``logout`` (a
session of alice's, logged out), ``visitor`` (the visitor token of a link to alice's
album), ``partner`` (dave, who sees alice's library), ``viewer`` (carol) and ``editor``
(bob) of that album, ``admin`` (the first admin).

A cell is the status expected. Rows run in table order, callers in ``CALLERS`` order
(owner last), so what an allowed call changes comes after every refusal of that row; rows
that remove something come last, the album itself at the very end.
"""

from __future__ import annotations

import json
import re
import uuid
from dataclasses import dataclass
from typing import Any

import app  # noqa: F401 - fills ROUTES
from chalicelib.api.http import ROUTES
from chalicelib.repositories.users import CredentialRepository
from chalicelib.services import secrets
from tests.support.harness import b64sha
from tests.support.library import World

CALLERS = (
    "anon",
    "revoked",
    "logout",
    "visitor",
    "stranger",
    "partner",
    "viewer",
    "editor",
    "admin",
    "owner",
)
# Callers that must never see anything of alice's on a user route.
NEVER = ("anon", "revoked", "logout", "visitor")


@dataclass(frozen=True)
class Row:
    target: dict[str, str]  # path parameter -> the fixture it names
    expect: dict[str, int]  # caller -> status
    body: Any = None
    query: str = ""
    answers: dict[str, Any] | None = None  # caller -> the exact JSON answered, where it matters


def cells(
    owner: int,
    *,
    stranger: int = 404,
    partner: int | None = None,
    viewer: int | None = None,
    editor: int | None = None,
    admin: int | None = None,
    visitor: int = 401,
) -> dict[str, int]:
    """A row's cells: the credentials that are no credentials are 401; the others default
    to what a stranger gets."""
    return {
        "anon": 401,
        "revoked": 401,
        "logout": 401,
        "visitor": visitor,
        "stranger": stranger,
        "partner": stranger if partner is None else partner,
        "viewer": stranger if viewer is None else viewer,
        "editor": stranger if editor is None else editor,
        "admin": stranger if admin is None else admin,
        "owner": owner,
    }


def admin_only(ok: int) -> dict[str, int]:
    return cells(ok, stranger=403, admin=ok)


def visitor_only(ok: int) -> dict[str, int]:
    # Visitor routes take no user credentials: a user's token alone is no link.
    return {caller: 401 for caller in CALLERS} | {"visitor": ok}


ALBUM = {"album_id": "album"}
ASSET = {"asset_id": "p1"}
UPLOAD = {"upload_id": "upload"}
LINK = {"link_id": "link"}
TAG = {"tag_id": "tag"}
LIBRARY = {"library_id": "library"}
STACK = {"stack_id": "stack"}
XMP = b'<x:xmpmeta xmlns:x="adobe:ns:meta/"/>'
MISSING = "nothing"  # a well-formed id of nothing: 404 for everyone who may ask

MATRIX: dict[tuple[str, str], Row] = {
    # ---- reads and updates --------------------------------------------------------
    ("GET", "/api/assets/{asset_id}"): Row(ASSET, cells(200, partner=200, viewer=200, editor=200)),
    ("PUT", "/api/assets/{asset_id}"): Row(ASSET, cells(200), {"isFavorite": True}),
    ("GET", "/api/assets/{asset_id}/original"): Row(
        ASSET, cells(302, partner=302, viewer=302, editor=302)
    ),
    ("GET", "/api/assets/{asset_id}/thumbnail"): Row(
        ASSET, cells(302, partner=302, viewer=302, editor=302)
    ),
    ("GET", "/api/assets/{asset_id}/playback"): Row(
        ASSET, cells(404, partner=404, viewer=404, editor=404)
    ),
    ("GET", "/api/shared-links/me/assets/{asset_id}"): Row(ASSET, visitor_only(200)),
    ("GET", "/api/shared-links/me/assets/{asset_id}/thumbnail"): Row(ASSET, visitor_only(302)),
    ("GET", "/api/shared-links/me/assets/{asset_id}/original"): Row(ASSET, visitor_only(302)),
    ("GET", "/api/shared-links/me/assets/{asset_id}/playback"): Row(ASSET, visitor_only(404)),
    ("GET", "/api/shared-links/me/download/archive/{archive_id}"): Row(
        {"archive_id": "visitor-archive"}, visitor_only(200)
    ),
    # Ids in the body: the album's p1 is signed, alice's p3 outside it is left out
    # (test_visitor_media_urls.py has the content); only a link's visitor may ask.
    ("POST", "/api/shared-links/me/media-urls"): Row(
        {}, visitor_only(200), {"assetIds": ["p1", "p3"], "sizes": ["thumbnail", "preview"]}
    ),
    # The XMP sidecar goes next to the original: the owner's alone.
    ("PUT", "/api/assets/{asset_id}/sidecar"): Row(
        ASSET,
        cells(200),
        {"size": len(XMP), "checksum": b64sha(XMP), "contentType": "application/xml"},
    ),
    ("GET", "/api/albums/{album_id}"): Row(ALBUM, cells(200, viewer=200, editor=200)),
    # Editors update the album (services/access.py); viewers only read.
    ("PATCH", "/api/albums/{album_id}"): Row(
        ALBUM, cells(200, viewer=403, editor=200), {"description": "the trip"}
    ),
    ("PUT", "/api/albums/{album_id}"): Row(
        ALBUM, cells(200, viewer=403, editor=200), {"albumName": "Trip"}
    ),
    # Only an asset's owner puts it in an album: the editor may add (200) but p3 is alice's,
    # so it is refused per id; alice's own call adds it.
    ("PUT", "/api/albums/{album_id}/assets"): Row(
        ALBUM,
        cells(200, viewer=403, editor=200),
        {"ids": ["p3"]},
        answers={
            "editor": [{"id": "p3", "success": False, "error": "no_permission"}],
            "owner": [{"id": "p3", "success": True, "error": None}],
        },
    ),
    ("PUT", "/api/albums/{album_id}/users"): Row(
        ALBUM,
        cells(200, viewer=403, editor=403),
        {"albumUsers": [{"userId": "zed", "role": "viewer"}]},
    ),
    ("PUT", "/api/albums/{album_id}/user/{user_id}"): Row(
        {**ALBUM, "user_id": "zed"}, cells(204, viewer=403, editor=403), {"role": "editor"}
    ),
    ("GET", "/api/assets/uploads/{upload_id}/parts"): Row(UPLOAD, cells(200)),
    ("POST", "/api/assets/uploads/{upload_id}/parts"): Row(
        UPLOAD, cells(200), {"parts": [{"partNumber": 1, "checksum": "part"}]}
    ),
    ("POST", "/api/assets/uploads/{upload_id}/complete"): Row(UPLOAD, cells(400), {}),
    ("GET", "/api/download/archive/{archive_id}"): Row({"archive_id": "archive"}, cells(200)),
    # Faces, people, duplicates and memories are their owner's alone, even for a partner
    # or an album member who sees the photos (real rows of alice's: _ml_rows).
    ("POST", "/api/duplicates/{duplicate_id}/resolve"): Row(
        {"duplicate_id": "duplicate"},
        cells(200),
        {"keepAssetIds": ["p1", "p2"]},  # the owner keeps both: nothing goes to the trash
    ),
    ("GET", "/api/memories/{memory_id}"): Row({"memory_id": "memory"}, cells(200)),
    ("PUT", "/api/memories/{memory_id}"): Row(
        {"memory_id": "memory"}, cells(200), {"isSaved": True}
    ),
    ("GET", "/api/people/{person_id}"): Row({"person_id": "person"}, cells(200)),
    ("PUT", "/api/people/{person_id}"): Row({"person_id": "person"}, cells(200), {"name": "Ada"}),
    ("POST", "/api/people/{person_id}/merge"): Row(
        {"person_id": "person"},
        cells(200),
        {"ids": ["person2"]},
        answers={"owner": [{"id": "person2", "success": True, "error": None}]},
    ),
    ("GET", "/api/people/{person_id}/assets"): Row({"person_id": "person"}, cells(200)),
    ("GET", "/api/people/{person_id}/thumbnail"): Row({"person_id": "person"}, cells(302)),
    ("PUT", "/api/faces/{face_id}"): Row({"face_id": "face"}, cells(200), {"personId": "person"}),
    ("GET", "/api/shared-links/{link_id}"): Row(LINK, cells(200)),
    ("PATCH", "/api/shared-links/{link_id}"): Row(LINK, cells(200), {"description": "ours"}),
    ("PUT", "/api/shared-links/{link_id}/assets"): Row(LINK, cells(400), {"assetIds": ["p3"]}),
    ("DELETE", "/api/shared-links/{link_id}/assets"): Row(LINK, cells(400), {"assetIds": ["p3"]}),
    ("GET", "/api/tags/{tag_id}"): Row(TAG, cells(200)),
    ("PUT", "/api/tags/{tag_id}"): Row(TAG, cells(200), {"color": "#112233"}),
    ("PUT", "/api/tags/{tag_id}/assets"): Row(TAG, cells(200), {"ids": ["p1"]}),
    ("DELETE", "/api/tags/{tag_id}/assets"): Row(TAG, cells(200), {"ids": ["p1"]}),
    # Libraries: an admin reads everyone's (to approve them), only the owner changes one.
    ("GET", "/api/libraries/{library_id}"): Row(LIBRARY, cells(200, admin=200)),
    ("GET", "/api/libraries/{library_id}/statistics"): Row(LIBRARY, cells(200, admin=200)),
    ("PUT", "/api/libraries/{library_id}"): Row(LIBRARY, cells(200), {"name": "Shoebox 2"}),
    # Stacks are their owner's alone, even for a partner who sees the assets.
    ("GET", "/api/stacks/{stack_id}"): Row(STACK, cells(200)),
    ("PUT", "/api/stacks/{stack_id}"): Row(STACK, cells(200), {"primaryAssetId": "p3"}),
    # The owner's answer is the 400 for a primary (p3 after the row above), so the stack stays.
    ("DELETE", "/api/stacks/{stack_id}/assets/{asset_id}"): Row(
        {**STACK, "asset_id": "p3"}, cells(400)
    ),
    # A bulk job is its starter's: an admin does not see a user's job.
    ("GET", "/api/bulk-jobs/{job_id}"): Row({"job_id": "job"}, cells(200)),
    ("POST", "/api/partners/{user_id}"): Row(
        {"user_id": "zed"}, cells(201, stranger=201, admin=201)
    ),
    # Whether alice's library shows in my timeline: only dave, whom she shares it with.
    ("PUT", "/api/partners/{user_id}"): Row(
        {"user_id": "alice"}, cells(404, partner=200), {"inTimeline": True}
    ),
    # ---- admin ----------------------------------------------------------------------
    ("PUT", "/api/admin/users/{user_id}"): Row({"user_id": "zed"}, admin_only(200), {"name": "Z"}),
    ("POST", "/api/admin/jobs/{name}/run"): Row({"name": "purge-trash"}, admin_only(200)),
    ("POST", "/api/admin/stages/{stage}/requeue"): Row(
        {"stage": "thumbnail"}, admin_only(202), {"mode": "missing"}
    ),
    ("GET", "/api/jobs/{stage}/dlq"): Row({"stage": "thumbnail"}, admin_only(200)),
    ("POST", "/api/jobs/{stage}/dlq/redrive"): Row({"stage": "thumbnail"}, admin_only(200)),
    ("POST", "/api/jobs/{stage}/run"): Row({"stage": "thumbnail"}, admin_only(202), {}),
    ("GET", "/api/admin/backups/{name}"): Row({"name": "backup"}, admin_only(404)),
    # The owner cell here is alice herself (not an admin route's path): nobody approves
    # their own library.
    ("POST", "/api/libraries/{library_id}/approve"): Row(LIBRARY, admin_only(200) | {"owner": 403}),
    # After the approval: a scan of an unapproved library is a 409.
    ("POST", "/api/libraries/{library_id}/scan"): Row(LIBRARY, cells(202)),
    # ---- removals (last: each takes away something an earlier row used) ---------------
    ("DELETE", "/api/memories/{memory_id}"): Row({"memory_id": "memory"}, cells(204)),
    # Members read the album's comments but delete only their own (403); the album's owner
    # deletes anyone's.
    ("DELETE", "/api/activities/{activity_id}"): Row(
        {"activity_id": "activity"}, cells(204, viewer=403, editor=403)
    ),
    ("DELETE", "/api/stacks/{stack_id}"): Row(STACK, cells(204)),
    ("DELETE", "/api/libraries/{library_id}"): Row(LIBRARY, cells(202)),
    ("DELETE", "/api/tags/{tag_id}"): Row(TAG, cells(204)),
    ("DELETE", "/api/shared-links/{link_id}"): Row({"link_id": "link2"}, cells(204)),
    ("DELETE", "/api/assets/uploads/{upload_id}"): Row(UPLOAD, cells(204)),
    ("DELETE", "/api/api-keys/{key_id}"): Row({"key_id": "key"}, cells(204)),
    ("DELETE", "/api/admin/invitations/{invitation_id}"): Row(
        {"invitation_id": "invitation"}, admin_only(204)
    ),
    ("DELETE", "/api/partners/{user_id}"): Row({"user_id": "dave"}, cells(204)),
    ("DELETE", "/api/albums/{album_id}/assets"): Row(
        ALBUM, cells(200, viewer=403, editor=200), {"ids": ["p3"]}
    ),
    ("DELETE", "/api/albums/{album_id}/user/{user_id}"): Row(
        {**ALBUM, "user_id": "zed"}, cells(204, viewer=403, editor=403)
    ),
    # The admin cell removed zed (202: the removal of his files is a bulk job): the owner
    # cell (the admin again) finds nobody.
    ("DELETE", "/api/admin/users/{user_id}"): Row(
        {"user_id": "zed"}, cells(404, stranger=403, admin=202)
    ),
    ("DELETE", "/api/albums/{album_id}"): Row(ALBUM, cells(204, viewer=403, editor=403)),
}

ERROR_KEYS = {"statusCode", "error", "message", "details"}
_PARAM = re.compile(r"{(\w+)}")
# Routes naming ids in their body, not their path, that have rows all the same.
BODY_ID_ROUTES = {("POST", "/api/shared-links/me/media-urls")}


def _id_routes() -> set[tuple[str, str]]:
    return {(r.method, r.path) for r in ROUTES if _PARAM.search(r.path)}


def test_every_id_route_has_a_row() -> None:
    routes = _id_routes()
    assert routes - MATRIX.keys() == set(), "id-taking routes without a row in MATRIX"
    every = {(r.method, r.path) for r in ROUTES}
    assert BODY_ID_ROUTES - every == set(), "body-id rows for routes that no longer exist"
    assert MATRIX.keys() - routes - BODY_ID_ROUTES == set(), "rows for routes that no longer exist"
    for key, row in MATRIX.items():
        assert set(row.target) == set(_PARAM.findall(key[1])), key
        assert tuple(row.expect) == CALLERS, key


def test_no_row_lets_a_non_credential_in() -> None:
    """The table itself: whatever a row says, these callers are refused on user routes."""
    for (_, path), row in MATRIX.items():
        if path.startswith("/api/shared-links/me/"):
            continue
        for caller in NEVER:
            assert row.expect[caller] == 401, (path, caller)
        assert row.expect["stranger"] in (401, 403, 404) or path.startswith("/api/partners/")


@dataclass
class Cast:
    """The world plus what the matrix targets and the callers' credentials."""

    w: World
    names: dict[str, str]  # fixture name -> id
    headers: dict[str, dict[str, str]]  # caller -> request headers
    secrets: list[str]  # strings no refusal may contain

    def resolve(self, value: Any) -> Any:
        if isinstance(value, str):
            return self.names.get(value, value)
        if isinstance(value, list):
            return [self.resolve(v) for v in value]
        if isinstance(value, dict):
            return {k: self.resolve(v) for k, v in value.items()}
        return value


def _session(w: World, email: str) -> str:
    c = w.h.container
    with c.pool.connection() as conn:
        row = conn.execute("SELECT id FROM users WHERE email = %s", (email,)).fetchone()
    token = secrets.new_token()
    from datetime import UTC, datetime, timedelta

    CredentialRepository(c.pool).create_session(
        row["id"], secrets.token_hash(token), datetime.now(UTC) + timedelta(hours=1)
    )
    return token


PERSON_NAME = "Grandma Ada"


def _ml_rows(w: World) -> dict[str, str]:
    """What the ML stages would have made of alice's photos, written directly (the models
    are not this test's topic): two people, a face of the first on p1 (its picture), a
    near-duplicate group of p1 and p2, and a memory of p1."""
    alice, p1, p2 = w.ids["alice"], w.assets["p1"], w.assets["p2"]
    embedding = "[" + ",".join(["1"] + ["0"] * 127) + "]"
    with w.h.container.pool.connection() as conn:
        person, person2 = (
            conn.execute(
                "INSERT INTO people (owner_id, name) VALUES (%s, %s) RETURNING id", (alice, name)
            ).fetchone()["id"]
            for name in (PERSON_NAME, "")
        )
        face = conn.execute(
            "INSERT INTO asset_faces (asset_id, owner_id, person_id, image_width,"
            " image_height, x1, y1, x2, y2, landmarks, score, model_id, embedding,"
            " thumbnail_key) VALUES (%s, %s, %s, 64, 48, 1, 1, 30, 30,"
            " '{5,5,20,5,12,12,6,20,18,20}', 0.9, 'test', %s, %s) RETURNING id",
            (p1, alice, person, embedding, f"derived/{alice}/{p1}/faces/f.jpeg"),
        ).fetchone()["id"]
        conn.execute("UPDATE people SET feature_face_id = %s WHERE id = %s", (face, person))
        duplicate = uuid.uuid4()
        for asset_id, bits in ((p1, "0" * 64), (p2, "0" * 63 + "1")):
            conn.execute(
                "INSERT INTO asset_phash (asset_id, owner_id, phash, duplicate_id)"
                " VALUES (%s, %s, %s::bit(64), %s)",
                (asset_id, alice, bits, duplicate),
            )
        memory = conn.execute(
            "INSERT INTO memories (owner_id, memory_at, show_on) VALUES"
            " (%s, '2024-03-10', current_date) RETURNING id",
            (alice,),
        ).fetchone()["id"]
        conn.execute("INSERT INTO memory_assets VALUES (%s, %s)", (memory, p1))
    return {
        "person": str(person),
        "person2": str(person2),
        "face": str(face),
        "duplicate": str(duplicate),
        "memory": str(memory),
    }


def _cast(w: World) -> Cast:
    w.add_user("zed")
    admin = _session(w, "admin@example.com")
    w.tokens["admin"] = admin
    key = w.ok("POST", "/api/api-keys", {"name": "laptop"}, "alice", status=201)
    revoked = w.ok("POST", "/api/api-keys", {"name": "old"}, "alice", status=201)
    w.ok("DELETE", f"/api/api-keys/{revoked['apiKey']['id']}", who="alice", status=204)
    w.tokens["gone"] = _session(w, "alice@example.com")
    w.ok("POST", "/api/auth/logout", who="gone", status=204)
    link = w.ok("POST", "/api/shared-links", {"type": "ALBUM", "albumId": w.album}, "alice", 201)
    link2 = w.ok("POST", "/api/shared-links", {"type": "ALBUM", "albumId": w.album}, "alice", 201)
    opened = w.call("GET", "/api/shared-links/me", headers={"x-shared-link-key": link["key"]})
    assert opened.status_code == 200, opened.body
    visitor = opened.json
    tag = w.ok("POST", "/api/tags", {"name": "Trip"}, "alice", status=201)
    size = 7 * 1024 * 1024  # over the tests' multipart threshold (6 MiB)
    ticket = w.ok(
        "POST",
        "/api/assets/uploads",
        {
            "filename": "big.jpg",
            "size": size,
            "checksum": b64sha(b"big"),
            "contentType": "image/jpeg",
            "fileCreatedAt": "2024-01-01T00:00:00Z",
            "fileModifiedAt": "2024-01-01T00:00:00Z",
        },
        "alice",
        status=201,
    )
    archive = w.ok("POST", "/api/download/archive", {"assetIds": [w.assets["p1"]]}, "alice", 202)
    visitor_archive = w.call(
        "POST",
        "/api/shared-links/me/download/archive",
        {"albumId": w.album},
        headers={"x-shared-link-token": visitor["token"]},
    )
    assert visitor_archive.status_code == 202, visitor_archive.body
    activity = w.ok(
        "POST",
        "/api/activities",
        {"albumId": w.album, "type": "comment", "comment": "Lovely"},
        "alice",
        status=201,
    )
    # Registering a bucket reads nothing of it: the approved scan only queues a message.
    library = w.ok(
        "POST",
        "/api/libraries",
        {"name": "Shoebox", "bucket": "alice-shoebox", "prefix": "scans/"},
        "alice",
        status=201,
    )
    stack = w.ok(
        "POST", "/api/stacks", {"assetIds": [w.assets["p2"], w.assets["p3"]]}, "alice", 201
    )
    job = w.ok("POST", "/api/trash/empty", who="alice", status=202)
    ml = _ml_rows(w)
    invitation = w.ok("POST", "/api/admin/invitations", {"maxUses": 1}, "admin", status=201)
    names = {
        **w.assets,
        "album": w.album,
        "zed": w.ids["zed"],
        "dave": w.ids["dave"],
        "alice": w.ids["alice"],
        "key": key["apiKey"]["id"],
        "link": link["id"],
        "link2": link2["id"],
        "tag": tag["id"],
        "upload": ticket["uploadId"],
        "archive": archive["id"],
        "invitation": invitation["invitation"]["id"],
        "visitor-archive": visitor_archive.json["id"],
        "activity": activity["id"],
        "library": library["id"],
        "stack": stack["id"],
        "job": job["id"],
        "backup": "skyroll-20000101T000000Z.dump",
        MISSING: str(uuid.uuid4()),
        "part": b64sha(b"part one"),
        "purge-trash": "purge-trash",
        **ml,
    }

    def bearer(who: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {w.tokens[who]}"}

    headers = {
        "anon": {},
        "revoked": {"x-api-key": revoked["secret"]},
        "logout": bearer("gone"),
        "visitor": {"x-shared-link-token": visitor["token"]},
        "stranger": bearer("eve"),
        "partner": bearer("dave"),
        "viewer": bearer("carol"),
        "editor": bearer("bob"),
        "admin": bearer("admin"),
        "owner": bearer("alice"),
    }
    # What a refusal must never carry: alice's ids, names, email and file names.
    leaks = [w.ids["alice"], "alice@example.com", "Trip", "p1.jpg", "big.jpg", *w.assets.values()]
    leaks += ["Shoebox", "alice-shoebox", "Lovely", library["id"], stack["id"], job["id"]]
    leaks += [PERSON_NAME, *ml.values()]
    return Cast(w, names, headers, leaks)


def _send(cast: Cast, method: str, path: str, row: Row, caller: str) -> Any:
    url = _PARAM.sub(lambda m: cast.resolve(row.target[m.group(1)]), path) + row.query
    hdrs = {"Content-Type": "application/json", **cast.headers[caller]}
    if caller == "owner" and path.startswith(("/api/admin/", "/api/jobs/")):
        hdrs = {**hdrs, **cast.headers["admin"]}
    body = json.dumps(cast.resolve(row.body)) if row.body is not None else b""
    r = cast.w.h.client.http.request(method, url, headers=hdrs, body=body)
    r.json = json.loads(r.body) if r.body else None
    return r


def _problem(cast: Cast, key: tuple[str, str], row: Row, caller: str, r: Any) -> str | None:
    expected = row.expect[caller]
    where = f"{key[0]} {key[1]} as {caller}"
    if r.status_code != expected:
        return f"{where}: {r.status_code} (expected {expected}) {r.body[:200]!r}"
    answer = (row.answers or {}).get(caller)
    if answer is not None and r.json != cast.resolve(answer):
        return f"{where}: answered {r.body[:300]!r}"
    if expected < 400:
        return None
    body = r.json if isinstance(r.json, dict) else {}
    if not (set(body) <= ERROR_KEYS and body.get("statusCode") == expected):
        return f"{where}: not the error shape: {r.body[:200]!r}"
    text = r.body.decode() if isinstance(r.body, bytes) else str(r.body)
    leaked = [s for s in cast.secrets if s and s in text]
    return f"{where}: the refusal carries {leaked}" if leaked else None


def test_the_matrix(world: World) -> None:
    cast = _cast(world)
    before = world.ok("GET", f"/api/albums/{world.album}", who="alice")
    problems: list[str] = []
    for key, row in MATRIX.items():
        for caller in CALLERS:
            r = _send(cast, *key, row, caller)
            problem = _problem(cast, key, row, caller, r)
            if problem:
                problems.append(problem)
    assert problems == [], "\n".join(problems)
    # Every refusal wrote nothing: what alice shared is alice's, as the owner left it.
    assert before["ownerId"] == world.ids["alice"]
    # The ML rows came through the refusals to the owner's own calls, which did their
    # work: the person renamed and merged, the group resolved keeping both, the memory
    # deleted.
    alice = "alice"
    person = world.ok("GET", f"/api/people/{cast.names['person']}", who=alice)
    assert person["name"] == "Ada"
    assert world.call("GET", f"/api/people/{cast.names['person2']}", who=alice).status_code == 404
    assert world.ok("GET", "/api/duplicates", who=alice) == []
    for name in ("p1", "p2"):
        assert world.ok("GET", f"/api/assets/{world.assets[name]}", who=alice)["isTrashed"] is False
    memory = world.call("GET", f"/api/memories/{cast.names['memory']}", who=alice)
    assert memory.status_code == 404
