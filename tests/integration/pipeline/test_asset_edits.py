"""Editing an asset's capture time (with its offset), place and description, one asset or
many: the edit is the asset's metadata (exifInfo), and the timeline and map follow it."""

from __future__ import annotations

from tests.support.harness import Harness
from tests.support.samples import photo


def _buckets(h: Harness, token: str, size: str = "MONTH") -> dict[str, int]:
    r = h.call("GET", f"/api/timeline/buckets?size={size}", token=token)
    assert r.status_code == 200, r.body
    return {b["timeBucket"][:10]: b["count"] for b in r.json}


def test_an_edited_date_moves_the_asset_by_its_local_day(harness: Harness) -> None:
    h = harness
    token = h.user("edits@example.com")
    asset = h.upload(token, "a.jpg", photo(seed=41))["assetId"]
    h.drain()
    before = _buckets(h, token)
    assert before == {"2020-05-01": 1}  # the file time the upload gave

    # 00:30 on 1 January in Tokyo is still 31 December in UTC: the day is Tokyo's.
    r = h.call(
        "PUT",
        f"/api/assets/{asset}",
        {"dateTimeOriginal": "2021-01-01T00:30:00+09:00"},
        token=token,
    )
    assert r.status_code == 200, r.body
    exif = r.json["exifInfo"]
    assert exif["dateTimeOriginal"].startswith("2020-12-31T15:30:00")
    assert (exif["timeZone"], exif["dateSource"], exif["timeZoneSource"]) == (
        "+09:00",
        "user",
        "user",
    )
    assert r.json["localDateTime"].startswith("2021-01-01T00:30:00")
    assert _buckets(h, token) == {"2021-01-01": 1}
    assert _buckets(h, token, "DAY") == {"2021-01-01": 1}
    bucket = h.call("GET", "/api/timeline/bucket?timeBucket=2021-01-01", token=token).json
    assert [(a["id"], a["localDateTime"][:19]) for a in bucket] == [(asset, "2021-01-01T00:30:00")]


def test_a_bulk_edit_places_every_asset_on_the_map(harness: Harness) -> None:
    h = harness
    token, other = h.user("map@example.com"), h.user("other@example.com")
    ids = [h.upload(token, f"{i}.jpg", photo(seed=50 + i))["assetId"] for i in range(2)]
    theirs = h.upload(other, "x.jpg", photo(seed=59))["assetId"]
    h.drain()
    assert h.call("GET", "/api/map/markers", token=token).json == []

    body = {"ids": ids, "latitude": 48.8530, "longitude": 2.3499, "description": "Paris"}
    r = h.call("PUT", "/api/assets", body, token=token)
    assert r.status_code == 204, r.body
    markers = h.call("GET", "/api/map/markers", token=token).json
    assert sorted(m["id"] for m in markers) == sorted(ids)
    assert {(m["lat"], m["lon"], m["city"], m["country"]) for m in markers} == {
        (48.8530, 2.3499, "Paris", "France")
    }
    for asset in ids:
        exif = h.asset(token, asset)["exifInfo"]
        assert (exif["description"], exif["city"]) == ("Paris", "Paris")

    # Someone else's asset in the list: 404, and nothing changes, not even the caller's.
    r = h.call("PUT", "/api/assets", {"ids": [ids[0], theirs], "description": "x"}, token=token)
    assert r.status_code == 404 and r.json["message"] == "One or more assets not found"
    assert h.asset(token, ids[0])["exifInfo"]["description"] == "Paris"
    assert h.asset(other, theirs)["exifInfo"]["description"] in (None, "")

    bad = h.call("PUT", "/api/assets", {"ids": ids, "latitude": 1.0}, token=token)
    assert bad.status_code == 400 and bad.json["details"][0]["field"] == "longitude"
    empty = h.call("PUT", "/api/assets", {"ids": [], "isFavorite": True}, token=token)
    assert empty.status_code == 400 and empty.json["details"][0]["field"] == "ids"
