"""Stacks: made on ingest for a RAW and the JPEG of the same shot (either order), and by hand
through /api/stacks, owner-only; the timeline shows a stack as its primary with a count."""

from __future__ import annotations

import pyexiv2

from tests.support.harness import Harness
from tests.support.samples import CAMERA_SAMPLES, photo

# Shot 2005:08:03 18:59:18. A real DNG's metadata with its pixel data cut out (exiftool's test
# file): it ingests, then its thumbnail fails with a reason; no decodable RAW small enough to
# commit was found. Stacking happens at ingest, so it is what this exercises.
RAW = CAMERA_SAMPLES / "exiftool-DNG.dng"
NO_PIXELS = "the DNG file is cut off (its pixel data is missing) and has no usable embedded preview"


def _jpeg_taken_at(stamp: str) -> bytes:
    """A real Canon JPEG whose capture time is set to ``stamp`` (the camera's own JPEG of a
    RAW+JPEG pair carries the RAW's time)."""
    with pyexiv2.ImageData((CAMERA_SAMPLES / "Canon_40D.jpg").read_bytes()) as image:
        image.modify_exif(
            {
                "Exif.Photo.DateTimeOriginal": stamp,
                "Exif.Image.DateTime": stamp,
                "Exif.Photo.SubSecTimeOriginal": None,
            }
        )
        return bytes(image.get_bytes())


def _timeline(h: Harness, token: str) -> list[dict]:
    """Every tile of the timeline; each month's count (kept by counters) is its tiles."""
    out: list[dict] = []
    for b in h.call("GET", "/api/timeline/buckets", token=token).json:
        tiles = h.call("GET", f"/api/timeline/bucket?timeBucket={b['timeBucket']}", token=token)
        assert b["count"] == len(tiles.json), (b, [t["id"] for t in tiles.json])
        out += tiles.json
    return out


def _upload_raw(h: Harness, token: str, name: str) -> str:
    r = h.upload(token, name, RAW.read_bytes(), content_type="image/x-adobe-dng")
    return str(r["assetId"])


def _upload_jpeg(h: Harness, token: str, name: str, stamp: str) -> str:
    return str(h.upload(token, name, _jpeg_taken_at(stamp))["assetId"])


def _assert_raw_pair(h: Harness, token: str, jpeg: str, raw: str) -> None:
    j, r = h.asset(token, jpeg), h.asset(token, raw)
    assert (j["status"], r["status"], r["failureReason"]) == ("ready", "failed", NO_PIXELS)
    # Same wall clock; the DNG's GPS gives it an offset the JPEG lacks.
    assert j["localDateTime"] == r["localDateTime"] == "2005-08-03T18:59:18Z"
    assert j["stack"] is not None and j["stack"] == r["stack"]
    assert j["stack"]["primaryAssetId"] == jpeg  # the JPEG is what a browser shows
    assert j["stack"]["assetCount"] == 2
    tiles = _timeline(h, token)
    assert [t["id"] for t in tiles] == [jpeg]
    assert tiles[0]["stack"] == {"id": j["stack"]["id"], "assetCount": 2}


def test_raw_then_jpeg_of_the_same_shot_are_stacked(harness: Harness) -> None:
    token = harness.user("rj1@example.com")
    raw = _upload_raw(harness, token, "IMG_0042.DNG")
    harness.drain()
    assert harness.asset(token, raw)["stack"] is None
    jpeg = _upload_jpeg(harness, token, "IMG_0042.JPG", "2005:08:03 18:59:18")
    harness.drain()
    _assert_raw_pair(harness, token, jpeg, raw)


def test_jpeg_then_raw_both_at_once_are_stacked(harness: Harness) -> None:
    token = harness.user("rj2@example.com")
    jpeg = _upload_jpeg(harness, token, "img_0042.jpg", "2005:08:03 18:59:18")
    raw = _upload_raw(harness, token, "IMG_0042.DNG")
    harness.drain()
    _assert_raw_pair(harness, token, jpeg, raw)


def test_same_name_at_another_time_is_not_stacked(harness: Harness) -> None:
    token = harness.user("rj3@example.com")
    raw = _upload_raw(harness, token, "IMG_0042.DNG")
    jpeg = _upload_jpeg(harness, token, "IMG_0042.JPG", "2005:08:03 19:00:00")
    harness.drain()
    assert harness.asset(token, raw)["stack"] is None
    assert harness.asset(token, jpeg)["stack"] is None
    assert [t["id"] for t in _timeline(harness, token)] == [jpeg]  # the RAW has no pixels


def _three(h: Harness, token: str) -> list[str]:
    ids = [str(h.upload(token, f"burst{i}.jpg", photo(seed=40 + i))["assetId"]) for i in range(3)]
    h.drain()
    return ids


def test_stack_by_hand_search_get_update_delete(harness: Harness) -> None:
    token = harness.user("st1@example.com")
    a, b, c = _three(harness, token)
    r = harness.call("POST", "/api/stacks", {"assetIds": [b, a, c]}, token=token)
    assert r.status_code == 201, r.body
    stack = r.json
    assert stack["primaryAssetId"] == b
    assert [x["id"] for x in stack["assets"]][0] == b
    assert sorted(x["id"] for x in stack["assets"]) == sorted([a, b, c])
    sid = stack["id"]
    # Every member says which stack it is in; the timeline shows only the primary.
    for x in (a, b, c):
        assert harness.asset(token, x)["stack"] == {"id": sid, "primaryAssetId": b, "assetCount": 3}
    tiles = _timeline(harness, token)
    assert [(t["id"], t["stack"]) for t in tiles] == [(b, {"id": sid, "assetCount": 3})]
    # Search: all mine, or the one with this primary.
    assert [s["id"] for s in harness.call("GET", "/api/stacks", token=token).json] == [sid]
    found = harness.call("GET", f"/api/stacks?primaryAssetId={a}", token=token).json
    assert found == []
    assert harness.call("GET", f"/api/stacks/{sid}", token=token).json["id"] == sid
    # A new primary.
    r = harness.call("PUT", f"/api/stacks/{sid}", {"primaryAssetId": c}, token=token)
    assert r.status_code == 200 and r.json["primaryAssetId"] == c
    assert [t["id"] for t in _timeline(harness, token)] == [c]
    # With its primary in the trash, a stack's other assets show one by one; the trash
    # shows the primary.
    assert harness.call("DELETE", "/api/assets", {"ids": [c]}, token=token).status_code == 204
    assert sorted(t["id"] for t in _timeline(harness, token)) == sorted([a, b])
    trash = harness.call("GET", "/api/timeline/buckets?isTrashed=true", token=token).json
    assert sum(x["count"] for x in trash) == 1
    assert harness.call("POST", "/api/trash/restore", {"ids": [c]}, token=token).status_code == 200
    assert [t["id"] for t in _timeline(harness, token)] == [c]
    # Unstacking keeps the assets, back in the timeline one by one.
    assert harness.call("DELETE", f"/api/stacks/{sid}", token=token).status_code == 204
    assert harness.asset(token, a)["stack"] is None
    assert sorted(t["id"] for t in _timeline(harness, token)) == sorted([a, b, c])
    assert harness.call("GET", f"/api/stacks/{sid}", token=token).status_code == 404


def test_bulk_unstack_and_merging(harness: Harness) -> None:
    token = harness.user("st2@example.com")
    a, b, c = _three(harness, token)
    s1 = harness.call("POST", "/api/stacks", {"assetIds": [a, b]}, token=token).json["id"]
    # Stacking c with b merges b's stack into the new one; the old stack is gone.
    s2 = harness.call("POST", "/api/stacks", {"assetIds": [c, b]}, token=token).json
    assert sorted(x["id"] for x in s2["assets"]) == sorted([a, b, c])
    assert harness.call("GET", f"/api/stacks/{s1}", token=token).status_code == 404
    r = harness.call("DELETE", "/api/stacks", {"ids": [s2["id"]]}, token=token)
    assert r.status_code == 204
    assert harness.call("GET", "/api/stacks", token=token).json == []


def test_bad_stack_requests(harness: Harness) -> None:
    token = harness.user("st3@example.com")
    a, b, c = _three(harness, token)
    r = harness.call("POST", "/api/stacks", {"assetIds": [a]}, token=token)
    assert r.status_code == 400 and "assetIds" in r.json["message"]
    r = harness.call("POST", "/api/stacks", {"assetIds": [a, a]}, token=token)
    assert r.status_code == 400 and "assetIds" in r.json["message"]
    sid = harness.call("POST", "/api/stacks", {"assetIds": [a, b]}, token=token).json["id"]
    r = harness.call("PUT", f"/api/stacks/{sid}", {"primaryAssetId": c}, token=token)
    assert r.status_code == 400 and "not in this stack" in r.json["message"]
    assert harness.call("GET", f"/api/stacks/{sid}", token=token).json["primaryAssetId"] == a


def test_another_user_gets_404_for_everything(harness: Harness) -> None:
    alice = harness.user("st4a@example.com")
    bob = harness.user("st4b@example.com")
    a, b, _ = _three(harness, alice)
    mine = str(harness.upload(bob, "bob.jpg", photo(seed=77))["assetId"])
    harness.drain()
    sid = harness.call("POST", "/api/stacks", {"assetIds": [a, b]}, token=alice).json["id"]
    assert harness.call("GET", f"/api/stacks/{sid}", token=bob).status_code == 404
    assert harness.call("GET", "/api/stacks", token=bob).json == []
    r = harness.call("PUT", f"/api/stacks/{sid}", {"primaryAssetId": b}, token=bob)
    assert r.status_code == 404
    assert harness.call("DELETE", f"/api/stacks/{sid}", token=bob).status_code == 404
    assert harness.call("DELETE", "/api/stacks", {"ids": [sid]}, token=bob).status_code == 404
    # Bob cannot pull Alice's assets into a stack of his.
    r = harness.call("POST", "/api/stacks", {"assetIds": [mine, a]}, token=bob)
    assert r.status_code == 404
    # Alice's stack is untouched.
    assert harness.call("GET", f"/api/stacks/{sid}", token=alice).json["primaryAssetId"] == a
    assert harness.asset(alice, a)["stack"]["assetCount"] == 2


def test_taking_one_asset_out_of_a_stack(harness: Harness) -> None:
    alice, bob = harness.user("st5a@example.com"), harness.user("st5b@example.com")
    a, b, c = _three(harness, alice)
    sid = harness.call("POST", "/api/stacks", {"assetIds": [a, b, c]}, token=alice).json["id"]
    # Bob can neither take one out nor learn that the stack exists.
    r = harness.call("DELETE", f"/api/stacks/{sid}/assets/{b}", token=bob)
    assert (r.status_code, r.json["message"]) == (404, "Stack not found")
    # The primary stays; an asset of no stack is refused; both with the stack untouched.
    r = harness.call("DELETE", f"/api/stacks/{sid}/assets/{a}", token=alice)
    assert r.status_code == 400 and "primary" in r.json["message"]
    solo = str(harness.upload(alice, "solo.jpg", photo(seed=91))["assetId"])
    r = harness.call("DELETE", f"/api/stacks/{sid}/assets/{solo}", token=alice)
    assert (r.status_code, r.json["message"]) == (400, "The asset is not in this stack")
    assert harness.asset(alice, b)["stack"]["assetCount"] == 3
    # b leaves: back in the timeline on its own, the stack now a and c.
    assert harness.call("DELETE", f"/api/stacks/{sid}/assets/{b}", token=alice).status_code == 204
    assert harness.asset(alice, b)["stack"] is None
    members = harness.call("GET", f"/api/stacks/{sid}", token=alice).json["assets"]
    assert [x["id"] for x in members] == [a, c]
    assert sorted(t["id"] for t in _timeline(harness, alice)) == sorted([a, b])
    # c leaves: a stack of one is no stack.
    assert harness.call("DELETE", f"/api/stacks/{sid}/assets/{c}", token=alice).status_code == 204
    assert harness.call("GET", f"/api/stacks/{sid}", token=alice).status_code == 404
    assert harness.asset(alice, a)["stack"] is None
