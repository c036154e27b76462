"""Who may re-share what (docs/security.md, "Access rules"): only an asset's owner puts it
in an album or a shared link. Partners and album members read and download; every path
that adds assets refuses theirs, so revoking the grant leaves nothing behind. Also: an
upload-link visitor who knows the checksum of a private photo gets neither it nor its id."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import psycopg

from chalicelib.db import migrate
from tests.support.harness import b64sha
from tests.support.library import World
from tests.support.samples import photo

ME = "/api/shared-links/me"
MIGRATION = "0012_throttle_and_owner_shares.sql"


def _album(w: World, who: str, asset_ids: list[str]) -> dict[str, Any]:
    return w.ok("POST", "/api/albums", {"albumName": f"{who}'s", "assetIds": asset_ids}, who, 201)


def _ids(items: list[dict[str, Any]]) -> list[str]:
    return [x["id"] for x in items]


def test_a_partner_reads_but_adds_nothing_anywhere(world: World) -> None:
    w, a = world, world.assets
    # He reads and downloads alice's photos...
    assert w.ok("GET", f"/api/assets/{a['p3']}", who="dave")["id"] == a["p3"]
    assert w.call("GET", f"/api/assets/{a['p3']}/original", who="dave").status_code == 302
    # ...but cannot put them in his album: at creation, or added later.
    mine = _album(w, "dave", [a["p3"], a["d1"]])
    assert _ids(mine["assets"]) == [a["d1"]]
    added = w.ok("PUT", f"/api/albums/{mine['id']}/assets", {"ids": [a["p1"], a["p3"]]}, "dave")
    assert added == [
        {"id": a["p1"], "success": False, "error": "no_permission"},
        {"id": a["p3"], "success": False, "error": "no_permission"},
    ]
    # Nor in a shared link: at creation, or added to one of his own links later.
    r = w.call("POST", "/api/shared-links", {"type": "INDIVIDUAL", "assetIds": [a["p3"]]}, "dave")
    assert r.status_code == 400
    assert r.json["details"] == [{"field": "assetIds", "message": a["p3"]}]
    link = w.ok(
        "POST", "/api/shared-links", {"type": "INDIVIDUAL", "assetIds": [a["d1"]]}, "dave", 201
    )
    got = w.ok("PUT", f"/api/shared-links/{link['id']}/assets", {"assetIds": [a["p3"]]}, "dave")
    assert got == [{"id": a["p3"], "success": False, "error": "no_permission"}]
    visitor = w.call("GET", ME, headers={"x-shared-link-key": link["key"]})
    assert _ids(visitor.json["assets"]) == [a["d1"]]
    # Nor tag them (tags are the tagger's own; another owner's asset is "not found").
    tag = w.ok("POST", "/api/tags", {"name": "fav"}, "dave", 201)
    tagged = w.ok("PUT", f"/api/tags/{tag['id']}/assets", {"ids": [a["p3"]]}, "dave")
    assert tagged == [{"id": a["p3"], "success": False, "error": "not_found"}]


def test_album_members_add_their_own_assets_only(world: World) -> None:
    w, a = world, world.assets
    # bob (editor of alice's Trip) may add his own photo, not alice's others...
    got = w.ok("PUT", f"/api/albums/{w.album}/assets", {"ids": [a["b1"], a["p3"]]}, "bob")
    assert got == [
        {"id": a["b1"], "success": True, "error": None},
        {"id": a["p3"], "success": False, "error": "no_permission"},
    ]
    # ...nor copy the album's photos he can read into his own album or link.
    assert _ids(_album(w, "bob", [a["p1"], a["b1"]])["assets"]) == [a["b1"]]
    r = w.call("POST", "/api/shared-links", {"type": "INDIVIDUAL", "assetIds": [a["p1"]]}, "bob")
    assert r.status_code == 400
    # A viewer cannot add even their own.
    r = w.call("PUT", f"/api/albums/{w.album}/assets", {"ids": [a["c1"]]}, "carol")
    assert r.status_code == 403
    album = w.ok("GET", f"/api/albums/{w.album}", who="alice")
    assert sorted(_ids(album["assets"])) == sorted([a["p1"], a["p2"], a["b1"]])


def test_revoking_a_partnership_leaves_no_copy_behind(world: World) -> None:
    w, a = world, world.assets
    dave_album = _album(w, "dave", [a["p1"], a["p3"], a["d1"]])
    w.ok("DELETE", f"/api/partners/{w.ids['dave']}", who="alice", status=204)
    # The grant is gone, and nothing reached through it outlives it.
    for asset in ("p1", "p3"):
        assert w.call("GET", f"/api/assets/{a[asset]}", who="dave").status_code == 404
        assert w.call("GET", f"/api/assets/{a[asset]}/thumbnail", who="dave").status_code == 404
    assert _ids(w.ok("GET", f"/api/albums/{dave_album['id']}", who="dave")["assets"]) == [a["d1"]]
    assert all(x["assets"] == [] for x in w.ok("GET", "/api/shared-links", who="dave"))


def test_leaving_an_album_ends_what_the_member_could_reach(world: World) -> None:
    w, a = world, world.assets
    assert w.call("GET", f"/api/assets/{a['p1']}", who="carol").status_code == 200
    w.ok("DELETE", f"/api/albums/{w.album}/user/{w.ids['carol']}", who="alice", status=204)
    assert w.call("GET", f"/api/assets/{a['p1']}", who="carol").status_code == 404
    assert w.call("GET", f"/api/albums/{w.album}", who="carol").status_code == 404


def test_the_migration_takes_out_shares_made_through_a_grant(world: World) -> None:
    """Rows an older server let a partner make are removed; members' own additions and
    visitor uploads stay."""
    w, a = world, world.assets
    dave_album = _album(w, "dave", [a["d1"]])
    link = w.ok(
        "POST", "/api/shared-links", {"type": "INDIVIDUAL", "assetIds": [a["d1"]]}, "dave", 201
    )
    w.ok("PUT", f"/api/albums/{w.album}/assets", {"ids": [a["b1"]]}, "bob")
    dsn = w.h.container.settings.database_url
    with psycopg.connect(dsn) as conn:  # what the old rule allowed
        conn.execute(
            "INSERT INTO album_assets (album_id, asset_id, added_by) VALUES (%s, %s, %s)",
            (dave_album["id"], a["p3"], w.ids["dave"]),
        )
        conn.execute(
            "INSERT INTO shared_link_assets (shared_link_id, asset_id) VALUES (%s, %s)",
            (link["id"], a["p3"]),
        )
    sql = (Path(migrate.__file__).parent / "migrations" / MIGRATION).read_text()
    with psycopg.connect(dsn) as conn:
        conn.execute(sql)
    assert _ids(w.ok("GET", f"/api/albums/{dave_album['id']}", who="dave")["assets"]) == [a["d1"]]
    assert _ids(w.ok("GET", f"/api/shared-links/{link['id']}", who="dave")["assets"]) == [a["d1"]]
    trip = w.ok("GET", f"/api/albums/{w.album}", who="alice")
    assert sorted(_ids(trip["assets"])) == sorted([a["p1"], a["p2"], a["b1"]])


def test_an_upload_visitor_cannot_fish_a_private_photo_by_checksum(world: World) -> None:
    w, a = world, world.assets
    link = w.ok(
        "POST",
        "/api/shared-links",
        {"type": "ALBUM", "albumId": w.album, "allowUpload": True, "showMetadata": True},
        "alice",
        201,
    )
    key = {"x-shared-link-key": link["key"]}

    def ticket(data: bytes) -> dict[str, Any]:
        return {
            "filename": "guess.jpg",
            "size": len(data),
            "checksum": b64sha(data),
            "contentType": "image/jpeg",
            "fileCreatedAt": "2024-03-21T10:00:00Z",
            "fileModifiedAt": "2024-03-21T10:00:00Z",
        }

    # p3 is alice's, in no album: the visitor knows its bytes' checksum.
    r = w.call("POST", f"{ME}/uploads", ticket(photo(seed=3)), headers=key)
    assert r.status_code == 409, r.body
    assert r.json["message"].startswith("This file is already in the owner's library")
    assert a["p3"] not in r.body.decode()
    album = w.ok("GET", f"/api/albums/{w.album}", who="alice")
    assert sorted(_ids(album["assets"])) == sorted([a["p1"], a["p2"]])
    me = w.call("GET", ME, headers=key).json
    assert a["p3"] not in _ids(me["assets"])
    assert w.call("GET", f"{ME}/assets/{a['p3']}", headers=key).status_code == 404
    # Bytes already in the album are a plain duplicate: the visitor sees that photo anyway.
    again = w.call("POST", f"{ME}/uploads", ticket(photo(seed=1)), headers=key)
    assert again.status_code == 200 and again.json["assetId"] == a["p1"]
