"""Whoever may see a Live Photo's still may play (and, when allowed, download) its motion
part: partners, album members and link visitors, through services/access.py. The motion part
is never in the album or the link itself; strangers still get 404."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.support.harness import Harness
from tests.support.samples import CAMERA_SAMPLES
from tests.support.stages import presigned_key

LIVE = Path(__file__).parents[2] / "fixtures" / "live"
STAGES = ("ingest", "thumbnail", "transcode")


def _live_photo(h: Harness, token: str) -> tuple[str, str]:
    heic = CAMERA_SAMPLES / "iphone11pro-irot.heic"
    still = str(h.upload(token, "IMG_0001.HEIC", heic.read_bytes(), "image/heic")["assetId"])
    mov = (LIVE / "IMG_0001.MOV").read_bytes()
    h.upload(token, "IMG_0001.MOV", mov, "video/quicktime")
    h.drain(STAGES)
    video = h.asset(token, still)["livePhotoVideoId"]
    assert video is not None
    return still, video


def _visit(h: Harness, path: str, key: str) -> Any:
    r = h.client.http.get(path, headers={"x-shared-link-key": key})
    r.json = json.loads(r.body) if r.body else None
    return r


def _plays(r: Any, video: str) -> None:
    """A redirect to the motion part's own stream (its MP4/MOV bytes)."""
    assert r.status_code == 302, r.body
    assert f"/{video}/" in presigned_key(r.headers["Location"])
    assert httpx.get(r.headers["Location"]).content[4:8] == b"ftyp"


def _original_is_the_mov(h: Harness, r: Any, video: str) -> None:
    assert r.status_code == 302, r.body
    key = presigned_key(r.headers["Location"])
    assert key.endswith(f"/{video}/original.mov")
    assert httpx.get(r.headers["Location"]).content == (LIVE / "IMG_0001.MOV").read_bytes()


@pytest.fixture
def family(harness: Harness) -> dict[str, Any]:
    owner = harness.user("lp-owner@example.com")
    still, video = _live_photo(harness, owner)
    people = {n: harness.user(f"lp-{n}@example.com") for n in ("partner", "member", "stranger")}
    ids = {n: harness.call("GET", "/api/users/me", token=t).json["id"] for n, t in people.items()}
    r = harness.call("POST", f"/api/partners/{ids['partner']}", token=owner)
    assert r.status_code == 201, r.body
    album = harness.call(
        "POST",
        "/api/albums",
        {
            "albumName": "Live",
            "assetIds": [still],
            "albumUsers": [{"userId": ids["member"], "role": "viewer"}],
        },
        token=owner,
    )
    assert album.status_code == 201, album.body
    return {"owner": owner, "still": still, "video": video, **people}


@pytest.mark.parametrize("who", ["partner", "member"])
def test_partner_and_album_member_play_and_download_the_motion_part(
    harness: Harness, family: dict[str, Any], who: str
) -> None:
    token, video = family[who], family["video"]
    _plays(harness.call("GET", f"/api/assets/{video}/playback", token=token), video)
    r = harness.call("GET", f"/api/assets/{video}/original", token=token)
    _original_is_the_mov(harness, r, video)
    got = harness.asset(token, video)
    assert (got["id"], got["type"], got["visibility"]) == (video, "VIDEO", "hidden")
    # Read-only: they cannot share it onwards (an album of theirs leaves it out) or change it.
    r = harness.call("POST", "/api/albums", {"albumName": "mine", "assetIds": [video]}, token=token)
    assert r.status_code == 201 and (r.json["assetCount"], r.json["assets"]) == (0, []), r.body
    r = harness.call(
        "POST", "/api/shared-links", {"type": "INDIVIDUAL", "assetIds": [video]}, token=token
    )
    assert r.status_code == 400, r.body
    r = harness.call("PUT", f"/api/assets/{video}", {"isFavorite": True}, token=token)
    assert r.status_code == 404, r.body


def test_a_stranger_still_gets_404_for_the_motion_part(
    harness: Harness, family: dict[str, Any]
) -> None:
    token, video = family["stranger"], family["video"]
    for path in (f"/api/assets/{video}/playback", f"/api/assets/{video}/original"):
        r = harness.call("GET", path, token=token)
        assert (r.status_code, r.json["message"]) == (404, "Asset not found"), path
    assert harness.call("GET", f"/api/assets/{video}", token=token).status_code == 404


def test_the_partner_loses_the_motion_part_with_the_partnership(
    harness: Harness, family: dict[str, Any]
) -> None:
    partner_id = harness.call("GET", "/api/users/me", token=family["partner"]).json["id"]
    r = harness.call("DELETE", f"/api/partners/{partner_id}", token=family["owner"])
    assert r.status_code in (200, 204), r.body
    r = harness.call("GET", f"/api/assets/{family['video']}/playback", token=family["partner"])
    assert r.status_code == 404


@pytest.mark.parametrize("allow_download", [True, False])
def test_a_link_visitor_plays_the_motion_part_and_downloads_it_only_if_allowed(
    harness: Harness, family: dict[str, Any], allow_download: bool
) -> None:
    still, video = family["still"], family["video"]
    link = harness.call(
        "POST",
        "/api/shared-links",
        {"type": "INDIVIDUAL", "assetIds": [still], "allowDownload": allow_download},
        token=family["owner"],
    )
    assert link.status_code == 201, link.body
    key = link.json["key"]
    me = _visit(harness, "/api/shared-links/me", key)
    assert [a["id"] for a in me.json["assets"]] == [still]  # the link lists only the still
    _plays(_visit(harness, f"/api/shared-links/me/assets/{video}/playback", key), video)
    r = _visit(harness, f"/api/shared-links/me/assets/{video}/original", key)
    if allow_download:
        _original_is_the_mov(harness, r, video)
    else:
        assert r.status_code == 403, r.body
    # Another link (of another asset) does not open this motion part.
    other = harness.upload(
        family["owner"], "other.jpg", (CAMERA_SAMPLES / "nikon-coolpix-gps.jpg").read_bytes()
    )
    harness.drain(STAGES)
    link2 = harness.call(
        "POST",
        "/api/shared-links",
        {"type": "INDIVIDUAL", "assetIds": [str(other["assetId"])], "allowDownload": True},
        token=family["owner"],
    )
    assert link2.status_code == 201, link2.body
    r = _visit(harness, f"/api/shared-links/me/assets/{video}/playback", link2.json["key"])
    assert r.status_code == 404, r.body
