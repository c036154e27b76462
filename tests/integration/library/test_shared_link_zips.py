"""Zip downloads for shared-link visitors: the link's assets only, byte for byte, when the
link allows downloads (403 when it does not); the zip is reachable through that link alone."""

from __future__ import annotations

import hashlib
import io
import zipfile
from dataclasses import replace
from typing import Any

import httpx

from chalicelib.local.runner import EventSourceRunner
from chalicelib.pipeline import STAGES
from tests.support.library import World

ME = "/api/shared-links/me"


def _link(w: World, body: dict[str, Any]) -> dict[str, Any]:
    return w.ok("POST", "/api/shared-links", body, "alice", status=201)


def _build(w: World) -> None:
    c = w.h.container
    stages = tuple(replace(s, batching_window_seconds=0) for s in STAGES)
    EventSourceRunner(stages, c.sqs, c.settings).run_once("archive", wait_seconds=0)


def _originals(w: World, names: list[str]) -> set[str]:
    c = w.h.container
    out = set()
    for name in names:
        key = c.asset_repo.get(w.ids["alice"], w.assets[name])["storage_key"]
        out.add(hashlib.sha256(c.store.open(key).read()).hexdigest())
    return out


def _zipped(body: dict[str, Any]) -> set[str]:
    out = set()
    for part in body["parts"]:
        got = httpx.get(part["url"])
        assert got.status_code == 200
        with zipfile.ZipFile(io.BytesIO(got.content)) as zf:
            out |= {hashlib.sha256(zf.read(n)).hexdigest() for n in zf.namelist()}
    return out


def test_an_album_link_visitor_zips_the_album(world: World) -> None:
    w = world
    key = _link(w, {"type": "ALBUM", "albumId": w.album, "allowDownload": True})["key"]
    r = w.call("POST", f"{ME}/download/archive?key={key}", {"albumId": w.album})
    assert r.status_code == 202, r.body
    started = r.json
    assert started["assetCount"] == 2 and started["status"] == "queued"
    _build(w)
    body = w.ok("GET", f"{ME}/download/archive/{started['id']}?key={key}")
    assert body["status"] == "done"
    assert _zipped(body) == _originals(w, ["p1", "p2"])

    # The zip is the link's: not alice's list, not another link's, not a stranger's.
    other = _link(w, {"type": "ALBUM", "albumId": w.album, "allowDownload": True})["key"]
    assert w.call("GET", f"{ME}/download/archive/{started['id']}?key={other}").status_code == 404
    assert w.call("GET", f"/api/download/archive/{started['id']}", who="eve").status_code == 404
    assert w.call("GET", f"{ME}/download/archive/{started['id']}").status_code == 401


def test_an_asset_link_zips_only_its_assets(world: World) -> None:
    w, a = world, world.assets
    key = _link(w, {"type": "INDIVIDUAL", "assetIds": [a["p3"]], "allowDownload": True})["key"]
    outside = w.call("POST", f"{ME}/download/archive?key={key}", {"assetIds": [a["p3"], a["p1"]]})
    assert outside.status_code == 404 and outside.json["message"] == "One or more assets not found"
    album = w.call("POST", f"{ME}/download/archive?key={key}", {"albumId": w.album})
    assert album.status_code == 404
    r = w.call("POST", f"{ME}/download/archive?key={key}", {"assetIds": [a["p3"]]})
    assert r.status_code == 202, r.body
    _build(w)
    body = w.ok("GET", f"{ME}/download/archive/{r.json['id']}?key={key}")
    assert _zipped(body) == _originals(w, ["p3"])


def test_a_link_without_downloads_gets_403(world: World) -> None:
    w, a = world, world.assets
    key = _link(w, {"type": "ALBUM", "albumId": w.album, "allowDownload": False})["key"]
    r = w.call("POST", f"{ME}/download/archive?key={key}", {"albumId": w.album})
    assert r.status_code == 403
    assert r.json["message"] == "Downloads are off for this shared link"
    r = w.call("POST", f"{ME}/download/archive?key={key}", {"assetIds": [a["p1"]]})
    assert r.status_code == 403
    with w.h.container.pool.connection() as conn:
        assert conn.execute("SELECT count(*) AS n FROM download_archives").fetchone()["n"] == 0
