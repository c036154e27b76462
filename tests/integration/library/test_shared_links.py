"""Shared links over the API: the owner's management, and visitors with and without a
password, with an expired link, and with downloads / metadata / uploads on and off."""

from __future__ import annotations

import uuid
from typing import Any

import httpx

from tests.support.harness import b64sha
from tests.support.library import World
from tests.support.samples import photo

ME = "/api/shared-links/me"


def _k(key: str, password: str | None = None) -> dict[str, str]:
    """A visitor's secrets travel as headers, never in the URL."""
    headers = {"x-shared-link-key": key}
    if password is not None:
        headers["x-shared-link-password"] = password
    return headers


def _visit(w: World, path: str, headers: dict[str, str], body: Any = None) -> Any:
    r = w.call("POST" if body is not None else "GET", path, body, headers=headers)
    assert r.status_code in (200, 201), (r.status_code, r.body)
    return r.json


def _link(w: World, body: dict[str, Any], who: str = "alice") -> dict[str, Any]:
    return w.ok("POST", "/api/shared-links", body, who, status=201)


def _album_link(w: World, **flags: Any) -> dict[str, Any]:
    return _link(w, {"type": "ALBUM", "albumId": w.album, **flags})


def test_album_link_visitor_sees_exactly_the_album(world: World) -> None:
    w, a = world, world.assets
    link = _album_link(w, allowDownload=False, showMetadata=False, description="for grandma")
    key = link["key"]
    assert link["url"] == f"http://testserver/share/{key}" and link["hasPassword"] is False
    assert "password" not in link and link["album"]["id"] == w.album
    # Listed later without the key: only its hash is stored.
    listed = w.ok("GET", "/api/shared-links", who="alice")
    assert [x["id"] for x in listed] == [link["id"]] and listed[0]["key"] is None
    assert w.ok("GET", f"/api/albums/{w.album}", who="alice")["hasSharedLink"] is True

    me = _visit(w, f"{ME}", _k(key))
    assert [x["id"] for x in me["assets"]] == [a["p2"], a["p1"]]
    assert me["albumName"] == "Trip" and me["description"] == "for grandma"
    assert me["allowDownload"] is False and me["token"]
    hidden = me["assets"][0]
    assert hidden["originalFileName"] is None and hidden["exifInfo"] is None
    assert hidden["thumbhash"] and hidden["localDateTime"].startswith("2024-03-20T09:00")

    thumb = w.call("GET", f"{ME}/assets/{a['p1']}/thumbnail", headers=_k(key))
    assert thumb.status_code == 302 and f"/{a['p1']}/thumbnail.webp" in thumb.headers["Location"]
    preview = w.call("GET", f"{ME}/assets/{a['p1']}/thumbnail?size=preview", headers=_k(key))
    assert preview.status_code == 302 and "/preview.jpeg" in preview.headers["Location"]
    # Nothing outside the album: alice's other photo, eve's photo, a made-up id.
    for other in (a["p3"], a["e1"], str(uuid.uuid4())):
        assert w.call("GET", f"{ME}/assets/{other}/thumbnail", headers=_k(key)).status_code == 404
        assert w.call("GET", f"{ME}/assets/{other}", headers=_k(key)).status_code == 404
    # Downloads are off: 403 for an asset the visitor can see.
    r = w.call("GET", f"{ME}/assets/{a['p1']}/original", headers=_k(key))
    assert r.status_code == 403 and r.json["error"] == "Forbidden"
    # The token stands in for the key, as a header; no secret rides in a URL (<img> tags
    # get signed URLs: test_visitor_media_urls.py).
    hdr = w.call("GET", f"{ME}/assets/{a['p2']}", headers={"x-shared-link-token": me["token"]})
    assert hdr.status_code == 200 and hdr.json["id"] == a["p2"]
    for path in (
        f"{ME}?key={key}",
        f"{ME}/assets/{a['p1']}?token={me['token']}",
        f"{ME}/assets/{a['p1']}/thumbnail?token={me['token']}",
    ):
        refused = w.call("GET", path)
        assert refused.status_code == 400 and refused.json["message"].startswith(
            "Invalid request: "
        ), path


def test_flags_change_what_visitors_get(world: World) -> None:
    w, a = world, world.assets
    link = _album_link(w, allowDownload=False, showMetadata=False)
    w.ok(
        "PATCH",
        f"/api/shared-links/{link['id']}",
        {"allowDownload": True, "showMetadata": True},
        "alice",
    )
    got = _visit(w, f"{ME}/assets/{a['p1']}", _k(link["key"]))
    assert got["originalFileName"] == "p1.jpg" and got["originalMimeType"] == "image/jpeg"
    assert got["exifInfo"]["dateTimeOriginal"].startswith("2024-03-10")
    r = w.call("GET", f"{ME}/assets/{a['p1']}/original", headers=_k(link["key"]))
    assert r.status_code == 302
    body = httpx.get(r.headers["Location"]).content
    assert body == photo(seed=1)  # the original's bytes


def test_anonymous_and_bad_keys(world: World) -> None:
    w = world
    _album_link(w)
    r = w.call("GET", ME)
    assert r.status_code == 401 and r.json["message"] == "A shared link key is required"
    r = w.call("GET", ME, headers=_k("not-a-real-key"))
    assert r.status_code == 401 and r.json["message"] == "Invalid shared link key"
    assert w.call("GET", ME, headers={"x-shared-link-token": "forged"}).status_code == 401
    # Session tokens are not link tokens, and the management routes need a user.
    alice = {"x-shared-link-token": w.tokens["alice"]}
    assert w.call("GET", ME, headers=alice).status_code == 401
    assert w.call("GET", "/api/shared-links").status_code == 401


def test_password_protected_link(world: World) -> None:
    w, a = world, world.assets
    link = _link(w, {"type": "INDIVIDUAL", "assetIds": [a["p3"]], "password": "s3cret"})
    assert link["hasPassword"] is True and "s3cret" not in str(link)
    key = link["key"]
    r = w.call("GET", f"{ME}", headers=_k(key))
    assert r.status_code == 401 and r.json["message"] == "This shared link needs a password"
    r = w.call("GET", f"{ME}", headers=_k(key, "guess"))
    assert r.status_code == 401 and r.json["message"] == "Incorrect shared link password"
    assert w.call("GET", f"{ME}/assets/{a['p3']}/thumbnail", headers=_k(key)).status_code == 401
    me = _visit(w, f"{ME}", _k(key, "s3cret"))
    assert [x["id"] for x in me["assets"]] == [a["p3"]]
    via_header = w.call("GET", f"{ME}", headers=_k(key, "s3cret"))
    assert via_header.status_code == 200
    # The token carries the password check to the other visitor routes.
    thumb = w.call(
        "GET", f"{ME}/assets/{a['p3']}/thumbnail", headers={"x-shared-link-token": me["token"]}
    )
    assert thumb.status_code == 302
    # A token of one link does not open another.
    other = _album_link(w)
    r = w.call("GET", ME, headers={**_k(other["key"]), "x-shared-link-token": me["token"]})
    assert r.status_code == 401
    # Changing the password ends the old visitors' tokens.
    w.ok("PATCH", f"/api/shared-links/{link['id']}", {"password": "n3w-secret"}, "alice")
    stale = {"x-shared-link-token": me["token"]}
    assert w.call("GET", f"{ME}/assets/{a['p3']}", headers=stale).status_code == 401
    assert w.call("GET", f"{ME}", headers=_k(key, "s3cret")).status_code == 401
    assert w.call("GET", f"{ME}", headers=_k(key, "n3w-secret")).status_code == 200
    # Removing it opens the link to the key alone.
    w.ok("PATCH", f"/api/shared-links/{link['id']}", {"password": None}, "alice")
    assert w.ok("GET", f"/api/shared-links/{link['id']}", who="alice")["hasPassword"] is False
    assert w.call("GET", f"{ME}", headers=_k(key)).status_code == 200


def test_expired_link_is_gone(world: World) -> None:
    w, a = world, world.assets
    link = _album_link(w, expiresAt="2999-01-01T00:00:00Z")
    token = _visit(w, f"{ME}", _k(link["key"]))["token"]
    past = w.call(
        "POST",
        "/api/shared-links",
        {"type": "ALBUM", "albumId": w.album, "expiresAt": "2001-01-01T00:00:00Z"},
        "alice",
    )
    assert past.status_code == 400 and past.json["details"][0]["field"] == "expiresAt"
    # The owner ends it now.
    w.ok("PATCH", f"/api/shared-links/{link['id']}", {"expiresAt": "2001-01-01T00:00:00Z"}, "alice")
    for path, headers in (
        (ME, _k(link["key"])),
        (f"{ME}/assets/{a['p1']}", {"x-shared-link-token": token}),
        (f"{ME}/assets/{a['p1']}/thumbnail", _k(link["key"])),
    ):
        r = w.call("GET", path, headers=headers)
        assert r.status_code == 410 and r.json["message"] == "This shared link has expired"


def test_who_may_create_and_manage_links(world: World) -> None:
    w, a = world, world.assets
    # Only the album's owner shares it by link; outsiders do not learn it exists.
    album = {"type": "ALBUM", "albumId": w.album}
    assert w.call("POST", "/api/shared-links", album, "bob").status_code == 403
    assert w.call("POST", "/api/shared-links", album, "carol").status_code == 403
    assert w.call("POST", "/api/shared-links", album, "eve").status_code == 404
    # Assets: your own only; never a stranger's, nor a partner's (partners only read).
    r = w.call("POST", "/api/shared-links", {"type": "INDIVIDUAL", "assetIds": [a["e1"]]}, "alice")
    assert r.status_code == 400 and r.json["details"] == [{"field": "assetIds", "message": a["e1"]}]
    r = w.call("POST", "/api/shared-links", {"type": "INDIVIDUAL", "assetIds": [a["p3"]]}, "dave")
    assert r.status_code == 400 and r.json["details"] == [{"field": "assetIds", "message": a["p3"]}]
    upload_individual = w.call(
        "POST",
        "/api/shared-links",
        {"type": "INDIVIDUAL", "assetIds": [a["p1"]], "allowUpload": True},
        "alice",
    )
    assert upload_individual.status_code == 400
    # Someone else's link is not found, for reading, editing or deleting.
    link = _album_link(w)
    for who in ("bob", "dave", "eve"):
        assert w.call("GET", f"/api/shared-links/{link['id']}", who=who).status_code == 404
        assert (
            w.call(
                "PATCH", f"/api/shared-links/{link['id']}", {"allowUpload": True}, who
            ).status_code
            == 404
        )
        assert w.call("DELETE", f"/api/shared-links/{link['id']}", who=who).status_code == 404
    assert w.ok("GET", "/api/shared-links", who="bob") == []
    w.ok("DELETE", f"/api/shared-links/{link['id']}", who="alice", status=204)
    assert w.call("GET", f"{ME}", headers=_k(link["key"])).status_code == 401


def test_individual_link_assets_can_change(world: World) -> None:
    w, a = world, world.assets
    link = _link(w, {"type": "INDIVIDUAL", "assetIds": [a["p3"]]})
    got = w.ok(
        "PUT",
        f"/api/shared-links/{link['id']}/assets",
        {"assetIds": [a["p1"], a["p3"], a["e1"]]},
        "alice",
    )
    assert got == [
        {"id": a["p1"], "success": True, "error": None},
        {"id": a["p3"], "success": False, "error": "duplicate"},
        {"id": a["e1"], "success": False, "error": "no_permission"},
    ]
    got = w.ok(
        "DELETE",
        f"/api/shared-links/{link['id']}/assets",
        {"assetIds": [a["p3"], a["p2"]]},
        "alice",
    )
    assert [x["success"] for x in got] == [True, False] and got[1]["error"] == "not_found"
    me = _visit(w, f"{ME}", _k(link["key"]))
    assert [x["id"] for x in me["assets"]] == [a["p1"]]
    assert w.call("GET", f"{ME}/assets/{a['p3']}", headers=_k(link["key"])).status_code == 404
    album_link = _album_link(w)
    r = w.call(
        "PUT", f"/api/shared-links/{album_link['id']}/assets", {"assetIds": [a["p3"]]}, "alice"
    )
    assert r.status_code == 400


def test_visitor_uploads_into_the_album_when_allowed(world: World) -> None:
    w = world
    data = photo(seed=77)
    upload = {
        "filename": "from-grandma.jpg",
        "size": len(data),
        "checksum": b64sha(data),
        "contentType": "image/jpeg",
        "fileCreatedAt": "2024-03-21T10:00:00Z",
        "fileModifiedAt": "2024-03-21T10:00:00Z",
    }
    closed = _album_link(w)
    r = w.call("POST", f"{ME}/uploads", upload, headers=_k(closed["key"]))
    assert r.status_code == 403
    individual = _link(w, {"type": "INDIVIDUAL", "assetIds": [w.assets["p1"]]})
    assert w.call("POST", f"{ME}/uploads", upload, headers=_k(individual["key"])).status_code == 403
    assert w.call("POST", f"{ME}/uploads", upload).status_code == 401

    link = _album_link(w, allowUpload=True)
    r = w.call("POST", f"{ME}/uploads", upload, headers=_k(link["key"]))
    assert r.status_code == 201, r.body
    put = httpx.put(r.json["url"], content=data, headers=r.json["headers"])
    assert put.status_code == 200
    asset_id = r.json["assetId"]
    # It is the album owner's asset (her library, her quota), and in the album at once.
    assert w.ok("GET", f"/api/assets/{asset_id}", who="alice")["originalFileName"] == (
        "from-grandma.jpg"
    )
    album = w.ok("GET", f"/api/albums/{w.album}", who="carol")
    assert asset_id in [x["id"] for x in album["assets"]]
    # Uploading the same bytes again is a duplicate that stays in the album.
    again = w.call("POST", f"{ME}/uploads", upload, headers=_k(link["key"]))
    assert again.status_code == 200 and again.json["assetId"] == asset_id


def test_album_members_and_partners_reach_media_through_the_seam(world: World) -> None:
    w, a = world, world.assets
    for who in ("alice", "bob", "carol", "dave"):
        r = w.call("GET", f"/api/assets/{a['p1']}/thumbnail", who=who)
        assert r.status_code == 302, who
    # p3 is in no album: the album members don't see it; the partner does.
    assert w.call("GET", f"/api/assets/{a['p3']}/thumbnail", who="carol").status_code == 404
    assert w.call("GET", f"/api/assets/{a['p3']}/thumbnail", who="dave").status_code == 302
    assert w.call("GET", f"/api/assets/{a['p1']}/thumbnail", who="eve").status_code == 404
    assert w.call("GET", f"/api/assets/{a['p1']}/thumbnail").status_code == 401
