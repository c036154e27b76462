"""POST /api/shared-links/me/media-urls: a shared-link visitor's <img>, <video> and download
URLs. Signed S3 GETs of one object each, for the link's own assets only, originals only when
the link allows downloads; no visitor route takes a secret in its URL any more."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx

from tests.support.library import World
from tests.support.samples import make_clip, photo
from tests.support.stages import files, object_bytes, presigned_key, query

ME = "/api/shared-links/me"
ROUTE = f"{ME}/media-urls"


def _open(w: World, body: dict[str, Any]) -> dict[str, str]:
    """Alice's link, opened: the visitor's token header."""
    link = w.ok("POST", "/api/shared-links", body, "alice", status=201)
    me = w.call("GET", ME, headers={"x-shared-link-key": link["key"]})
    assert me.status_code == 200, me.body
    return {"x-shared-link-token": me.json["token"], "link": link["id"]}


def _album(w: World, **flags: Any) -> dict[str, str]:
    return _open(w, {"type": "ALBUM", "albumId": w.album, **flags})


def _sign(w: World, visitor: dict[str, str], ids: list[str], sizes: list[str]) -> Any:
    headers = {"x-shared-link-token": visitor["x-shared-link-token"]}
    return w.call("POST", ROUTE, {"assetIds": ids, "sizes": sizes}, headers=headers)


def _original(w: World, asset_id: str) -> dict[str, Any]:
    with w.h.container.pool.connection() as conn:
        row = conn.execute(
            "SELECT storage_key, original_file_name FROM assets WHERE id = %s", (asset_id,)
        ).fetchone()
    assert row is not None
    return dict(row)


def _one_object(url: str, key: str) -> dict[str, str]:
    """The URL is a presigned GET of exactly ``key``: the signature covers the host alone
    and nothing in it is a secret of the link."""
    assert presigned_key(url) == key
    params = query(url)
    assert params["X-Amz-SignedHeaders"] == "host" and params["X-Amz-Expires"] == "7200"
    assert not {"token", "key", "password"} & set(params)
    return params


def test_signs_the_links_assets_one_object_per_url(world: World) -> None:
    w, a = world, world.assets
    visitor = _album(w, allowDownload=True)

    r = _sign(w, visitor, [a["p2"], a["p1"], a["p2"]], ["thumbnail", "preview", "original"])

    assert r.status_code == 200, r.body
    items = r.json["items"]
    assert [i["assetId"] for i in items] == [a["p2"], a["p1"]]  # request order, once each
    for item, seed in zip(items, (2, 1), strict=True):
        stored = files(w.h, item["assetId"])
        for size in ("thumbnail", "preview"):
            key = stored[size]["storage_key"]
            _one_object(item[size], key)
            assert httpx.get(item[size]).content == object_bytes(w.h, key)
        original = _original(w, item["assetId"])
        params = _one_object(item["original"], original["storage_key"])
        assert params["response-content-disposition"] == (
            f'attachment; filename="{original["original_file_name"]}"'
        )
        assert httpx.get(item["original"]).content == photo(seed=seed)
        assert item["playback"] is None  # a photo has no video to play


def test_nothing_outside_the_link_is_signed_or_named(world: World) -> None:
    w, a = world, world.assets
    album_visitor = _album(w, allowDownload=True)
    p3_visitor = _open(w, {"type": "INDIVIDUAL", "assetIds": [a["p3"]], "allowDownload": True})
    unknown = "00000000-0000-0000-0000-000000000001"
    # Link B's asset, alice's other photos, strangers', a made-up id: left out, not named.
    outside = [a["p3"], a["e1"], a["b1"], a["d1"], unknown]
    sizes = ["thumbnail", "preview", "playback", "original"]

    r = _sign(w, album_visitor, [*outside, a["p1"]], sizes)

    assert r.status_code == 200, r.body
    assert [i["assetId"] for i in r.json["items"]] == [a["p1"]]
    text = r.body.decode()
    for other in outside:
        assert other not in text
    for other in ("p3", "e1", "b1", "d1"):
        for stored in files(w.h, a[other]).values():
            assert stored["storage_key"] not in text
        assert _original(w, a[other])["storage_key"] not in text
    # And the other way round: link B's visitor gets nothing of the album.
    r = _sign(w, p3_visitor, [a["p1"], a["p2"]], sizes)
    assert r.status_code == 200 and r.json["items"] == [] and a["p1"] not in r.body.decode()
    # A trashed asset leaves the link.
    w.ok("DELETE", "/api/assets", {"ids": [a["p3"]]}, "alice", status=204)
    assert _sign(w, p3_visitor, [a["p3"]], ["thumbnail"]).json["items"] == []


def test_originals_only_when_the_link_allows_downloads(world: World) -> None:
    w, a = world, world.assets
    visitor = _album(w, allowDownload=False)

    refused = _sign(w, visitor, [a["p1"]], ["thumbnail", "original"])

    assert refused.status_code == 403
    assert refused.json == {
        "statusCode": 403,
        "error": "Forbidden",
        "message": "Downloads are off for this link",
    }
    shown = _sign(w, visitor, [a["p1"]], ["thumbnail", "preview"]).json["items"]
    assert shown[0]["thumbnail"] and shown[0]["original"] is None
    # The owner turns downloads on: the same visitor may now ask.
    w.ok("PATCH", f"/api/shared-links/{visitor['link']}", {"allowDownload": True}, "alice")
    allowed = _sign(w, visitor, [a["p1"]], ["original"])
    assert allowed.status_code == 200
    key = _original(w, a["p1"])["storage_key"]
    assert presigned_key(allowed.json["items"][0]["original"]) == key


def test_a_video_plays_from_its_signed_url(world: World, tmp_path: Path) -> None:
    w = world
    clip = make_clip(tmp_path / "clip.mp4")
    uploaded = w.h.upload(w.tokens["alice"], "clip.mp4", clip.read_bytes(), "video/mp4")
    asset_id = str(uploaded["assetId"])
    w.h.drain()
    w.ok("PUT", f"/api/albums/{w.album}/assets", {"ids": [asset_id]}, "alice")
    visitor = _album(w)

    item = _sign(w, visitor, [asset_id], ["playback"]).json["items"][0]

    # h264 + aac in MP4 plays in browsers as uploaded: the original, as a stream.
    original = _original(w, asset_id)
    params = _one_object(item["playback"], original["storage_key"])
    assert params["response-content-type"] == "video/mp4"
    assert "response-content-disposition" not in params
    assert httpx.get(item["playback"]).content == clip.read_bytes()


def test_no_visitor_route_reads_a_secret_from_the_url(world: World) -> None:
    w, a = world, world.assets
    visitor = _album(w, allowDownload=True)
    token = visitor["x-shared-link-token"]
    header = {"x-shared-link-token": token}
    base = f"{ME}/assets/{a['p1']}"
    for path in (
        f"{base}/thumbnail?token={token}",
        f"{base}/thumbnail?size=preview&token={token}",
        f"{base}/playback?token={token}",
        f"{base}/original?token={token}",
    ):
        refused = w.call("GET", path)
        assert refused.status_code == 400, (path, refused.body)
        assert refused.json["error"] == "Bad Request"
        assert refused.json["message"].startswith("Invalid request: ")
        assert [d["field"] for d in refused.json["details"]] == ["token"]
        assert token not in refused.body.decode()
    # The same redirects answer with the token as a header.
    ok = w.call("GET", f"{ME}/assets/{a['p1']}/thumbnail", headers=header)
    assert ok.status_code == 302
    # The signing route itself: a query secret is refused, no header is a 401, and a user's
    # credentials are not a link's.
    body = {"assetIds": [a["p1"]]}
    assert w.call("POST", f"{ROUTE}?token={token}", body, headers=header).status_code == 400
    r = w.call("POST", ROUTE, body)
    assert r.status_code == 401 and r.json["message"] == "A shared link key is required"
    assert w.call("POST", ROUTE, body, who="alice").status_code == 401


def test_bad_requests_name_the_field(world: World) -> None:
    w = world
    visitor = _album(w)
    header = {"x-shared-link-token": visitor["x-shared-link-token"]}
    one = "00000000-0000-0000-0000-000000000001"
    cases = [
        ({"assetIds": []}, "assetIds"),
        ({"assetIds": ["not-a-uuid"]}, "assetIds.0"),
        ({"assetIds": [one] * 501}, "assetIds"),
        ({"assetIds": [one], "sizes": ["encoded"]}, "sizes.0"),
        ({"assetIds": [one], "sizes": []}, "sizes"),
    ]
    for body, field in cases:
        r = w.call("POST", ROUTE, body, headers=header)
        assert r.status_code == 400, body
        assert r.json["details"][0]["field"] == field, r.json
