"""Work per request is bounded, and link passwords are throttled: bulk routes cost the same
number of queries for 1,000 ids as for 3; pending uploads per user have a ceiling with a
clear 409; wrong link passwords get a growing delay and, once throttled, no argon2."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import psycopg
import pytest

from chalicelib.schemas.media import MAX_SIGNED_IDS
from chalicelib.services import secrets
from tests.support.harness import b64sha
from tests.support.library import World
from tests.support.samples import photo

ME = "/api/shared-links/me"


@contextmanager
def _queries() -> Iterator[list[str]]:
    """Every statement psycopg sends while the block runs (the real cursor still runs it)."""
    seen: list[str] = []
    real = psycopg.Cursor.execute

    def counting(self: psycopg.Cursor[Any], query: Any, *args: Any, **kwargs: Any) -> Any:
        seen.append(str(query)[:80])
        return real(self, query, *args, **kwargs)

    psycopg.Cursor.execute = counting  # type: ignore[method-assign]
    try:
        yield seen
    finally:
        psycopg.Cursor.execute = real  # type: ignore[method-assign]


def _bulk_routes(w: World) -> dict[str, Callable[[list[str]], Any]]:
    a = w.assets
    link = w.ok(
        "POST", "/api/shared-links", {"type": "INDIVIDUAL", "assetIds": [a["p3"]]}, "alice", 201
    )
    dave_album = w.ok("POST", "/api/albums", {"albumName": "d"}, "dave", 201)
    return {
        "album add (editor)": lambda ids: w.call(
            "PUT", f"/api/albums/{w.album}/assets", {"ids": ids}, "bob"
        ),
        "album add (partner)": lambda ids: w.call(
            "PUT", f"/api/albums/{dave_album['id']}/assets", {"ids": ids}, "dave"
        ),
        "album create": lambda ids: w.call(
            "POST", "/api/albums", {"albumName": "x", "assetIds": ids}, "dave"
        ),
        "link create": lambda ids: w.call(
            "POST", "/api/shared-links", {"type": "INDIVIDUAL", "assetIds": ids}, "alice"
        ),
        "link add": lambda ids: w.call(
            "PUT", f"/api/shared-links/{link['id']}/assets", {"assetIds": ids}, "alice"
        ),
        "media urls": lambda ids: w.call(
            "POST", "/api/assets/media-urls", {"assetIds": ids}, "dave"
        ),
    }


def test_bulk_routes_cost_the_same_for_1000_ids_as_for_3(world: World) -> None:
    w, a = world, world.assets
    # Both calls name alice's p1 and p3 and ids of nothing, so each route answers alike.
    real = [a["p1"], a["p3"], str(uuid.uuid4())]
    many = real + [str(uuid.uuid4()) for _ in range(997)]
    for name, send in _bulk_routes(w).items():
        with _queries() as few_q:
            few = send(real)
        with _queries() as many_q:
            lots = send(many[:MAX_SIGNED_IDS] if name == "media urls" else many)
        assert few.status_code == lots.status_code and few.status_code < 500, (name, few.body)
        assert len(many_q) == len(few_q), (name, len(few_q), len(many_q), many_q)
        assert len(many_q) <= 12, (name, many_q)


def test_pending_uploads_per_user_have_a_ceiling(world: World) -> None:
    w = world
    w.h.container.settings.max_pending_uploads = 2

    def ticket(seed: int) -> dict[str, Any]:
        data = photo(seed=seed)
        return {
            "filename": f"{seed}.jpg",
            "size": len(data),
            "checksum": b64sha(data),
            "contentType": "image/jpeg",
            "fileCreatedAt": "2024-03-21T10:00:00Z",
            "fileModifiedAt": "2024-03-21T10:00:00Z",
        }

    bulk = w.ok(
        "POST",
        "/api/assets/bulk-uploads",
        {"uploads": [{"id": str(i), **ticket(100 + i)} for i in range(3)]},
        "alice",
    )
    statuses = [r["status"] for r in bulk["results"]]
    assert statuses == ["created", "created", "error"]
    refused = bulk["results"][2]["error"]
    assert refused["statusCode"] == 409
    assert refused["message"].startswith("You have 2 uploads waiting for their bytes")
    r = w.call("POST", "/api/assets/uploads", ticket(200), "alice")
    assert r.status_code == 409 and r.json["error"] == "Conflict"
    # Announcing the same bytes again is not a new pending upload; another user is not held.
    again = w.call("POST", "/api/assets/uploads", ticket(100), "alice")
    assert again.status_code == 201 and again.json["assetId"] == bulk["results"][0]["assetId"]
    assert w.call("POST", "/api/assets/uploads", ticket(201), "eve").status_code == 201
    # Cancelling one makes room.
    upload_id = bulk["results"][1]["uploadId"]
    w.ok("DELETE", f"/api/assets/uploads/{upload_id}", who="alice", status=204)
    assert w.call("POST", "/api/assets/uploads", ticket(200), "alice").status_code == 201


def test_wrong_link_passwords_are_throttled_before_hashing(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    w, a = world, world.assets
    link = w.ok(
        "POST",
        "/api/shared-links",
        {"type": "INDIVIDUAL", "assetIds": [a["p3"]], "password": "s3cret"},
        "alice",
        201,
    )
    other = w.ok(
        "POST",
        "/api/shared-links",
        {"type": "INDIVIDUAL", "assetIds": [a["p1"]], "password": "0ther"},
        "alice",
        201,
    )
    hashed: list[int] = []
    real = secrets.verify_password
    monkeypatch.setattr(secrets, "verify_password", lambda *args: hashed.append(1) or real(*args))

    def visit(key: str, password: str) -> Any:
        headers = {"x-shared-link-key": key, "x-shared-link-password": password}
        return w.call("GET", ME, headers=headers)

    wrong = [visit(link["key"], f"guess-{i}") for i in range(3)]  # settings: 3 free
    assert [(r.status_code, r.json["message"]) for r in wrong] == [
        (401, "Incorrect shared link password")
    ] * 3
    for _ in range(3):
        r = visit(link["key"], "s3cret")  # even the right one waits now, at this client
        assert r.status_code == 429 and 1 <= int(r.headers["Retry-After"]) <= 60
        assert r.json["message"].startswith("Too many wrong passwords")
    assert len(hashed) == 3  # the throttled ones cost no argon2
    # Another link's visitors are not held back by guesses at this one.
    opened = visit(other["key"], "0ther")
    assert opened.status_code == 200 and [x["id"] for x in opened.json["assets"]] == [a["p1"]]
