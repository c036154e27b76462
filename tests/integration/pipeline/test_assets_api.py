"""The asset API over uploaded, ingested assets: listing, filters, changes, trash, delete,
download, statistics, and isolation between users."""

from __future__ import annotations

from urllib.parse import parse_qs, urlparse

import httpx

from tests.support.bulk_jobs import finish
from tests.support.harness import Harness
from tests.support.samples import camera_exif, photo


def _two_photos(h: Harness, token: str) -> tuple[str, str]:
    old = h.upload(token, "old.jpg", photo(seed=1, exif=camera_exif()))["assetId"]  # 2023
    new = h.upload(token, "new.jpg", photo(seed=2))["assetId"]  # client time 2020-05-01
    h.drain()
    return old, new


def test_list_is_newest_first_paged_and_filtered(harness: Harness) -> None:
    token = harness.user("alice@example.com")
    old, new = _two_photos(harness, token)
    page = harness.call("GET", "/api/assets?size=1", token=token).json
    assert [a["id"] for a in page["items"]] == [old] and page["nextPage"] == 2
    page2 = harness.call("GET", "/api/assets?size=1&page=2", token=token).json
    assert [a["id"] for a in page2["items"]] == [new] and page2["nextPage"] is None
    assert (
        harness.call("PUT", f"/api/assets/{new}", {"isFavorite": True}, token=token).json[
            "isFavorite"
        ]
        is True
    )
    favs = harness.call("GET", "/api/assets?isFavorite=true", token=token).json["items"]
    assert [a["id"] for a in favs] == [new]
    ranged = harness.call("GET", "/api/assets?takenAfter=2023-01-01T00:00:00Z", token=token).json
    assert [a["id"] for a in ranged["items"]] == [old]
    videos = harness.call("GET", "/api/assets?type=VIDEO", token=token).json
    assert videos["items"] == []
    bad = harness.call("GET", "/api/assets?size=0", token=token)
    assert bad.status_code == 400 and bad.json["details"][0]["field"] == "size"


def test_update_description_date_and_location(harness: Harness) -> None:
    token = harness.user("alice@example.com")
    _, new = _two_photos(harness, token)
    r = harness.call(
        "PUT",
        f"/api/assets/{new}",
        {
            "description": "Grandma's garden",
            "dateTimeOriginal": "1999-06-01T12:00:00Z",
            "latitude": 35.0,
            "longitude": 139.0,
            "isArchived": True,
        },
        token=token,
    )
    assert r.status_code == 200, r.body
    e = r.json["exifInfo"]
    assert (e["description"], e["latitude"], e["longitude"]) == ("Grandma's garden", 35.0, 139.0)
    assert e["dateTimeOriginal"].startswith("1999-06-01T12:00:00") and r.json["isArchived"]
    half = harness.call("PUT", f"/api/assets/{new}", {"latitude": 1.0}, token=token)
    assert half.status_code == 400


def test_trash_restore_and_delete_for_good(harness: Harness) -> None:
    token = harness.user("alice@example.com")
    old, new = _two_photos(harness, token)
    store = harness.container.store
    assert harness.call("DELETE", "/api/assets", {"ids": [old]}, token=token).status_code == 204
    listed = harness.call("GET", "/api/assets", token=token).json["items"]
    assert [a["id"] for a in listed] == [new]
    trashed = harness.call("GET", "/api/assets?isTrashed=true", token=token).json["items"]
    assert [a["id"] for a in trashed] == [old] and trashed[0]["isTrashed"]
    assert harness.call("POST", "/api/trash/restore", {"ids": [old]}, token=token).json == {
        "count": 1
    }
    assert (
        harness.call(
            "DELETE", "/api/assets", {"ids": [old], "force": True}, token=token
        ).status_code
        == 204
    )
    assert harness.call("GET", f"/api/assets/{old}", token=token).status_code == 404
    everything = lambda: store.keys("users/") + store.keys("derived/")  # noqa: E731
    assert not [k for k in everything() if old in k]  # original + derivatives gone
    assert [k for k in store.keys("derived/") if new in k]
    harness.call("DELETE", "/api/assets", {"ids": [new]}, token=token)
    job = finish(harness, harness.call("POST", "/api/trash/empty", token=token), token)
    assert (job["kind"], job["status"], job["processed"], job["total"]) == (
        "empty-trash",
        "succeeded",
        1,
        1,
    )
    assert everything() == []


def test_original_download_is_a_short_lived_redirect_with_the_filename(harness: Harness) -> None:
    token = harness.user("alice@example.com")
    data = photo(seed=9)
    asset_id = harness.upload(token, "Holiday 1.jpg", data)["assetId"]
    harness.drain()
    r = harness.call("GET", f"/api/assets/{asset_id}/original", token=token)
    assert r.status_code == 302
    location = r.headers["Location"]
    query = parse_qs(urlparse(location).query)
    assert int(query["X-Amz-Expires"][0]) <= 900
    assert 'filename="Holiday 1.jpg"' in query["response-content-disposition"][0]
    assert httpx.get(location).content == data


def test_statistics(harness: Harness) -> None:
    token = harness.user("alice@example.com", quota=10_000_000)
    old, new = _two_photos(harness, token)
    harness.call("PUT", f"/api/assets/{old}", {"isFavorite": True}, token=token)
    stats = harness.call("GET", "/api/assets/statistics", token=token).json
    sizes = sum(harness.asset(token, i)["exifInfo"]["fileSizeInByte"] for i in (old, new))
    assert stats == {
        "images": 2,
        "videos": 0,
        "total": 2,
        "favorites": 1,
        "archived": 0,
        "trashed": 0,
        "failed": 0,
        "pending": 0,
        "usageBytes": sizes,
        "quotaSizeInBytes": 10_000_000,
    }


def test_another_user_cannot_see_change_download_or_delete(harness: Harness) -> None:
    alice = harness.user("alice@example.com")
    bob = harness.user("bob@example.com")
    old, _ = _two_photos(harness, alice)
    for method, path, body in (
        ("GET", f"/api/assets/{old}", None),
        ("PUT", f"/api/assets/{old}", {"isFavorite": True}),
        ("GET", f"/api/assets/{old}/original", None),
        ("DELETE", "/api/assets", {"ids": [old], "force": True}),
    ):
        r = harness.call(method, path, body, token=bob)
        assert r.status_code == 404, (method, path, r.body)
        assert r.json["error"] == "Not Found"
    assert harness.call("GET", "/api/assets", token=bob).json["items"] == []
    assert harness.call("POST", "/api/trash/restore", {"ids": [old]}, token=bob).json == {
        "count": 0
    }
    a = harness.asset(alice, old)
    assert a["isFavorite"] is False and a["isTrashed"] is False


def test_bad_upload_requests_are_refused_clearly(harness: Harness) -> None:
    token = harness.user("alice@example.com", quota=1000)
    base = {
        "filename": "a.jpg",
        "size": 10,
        "checksum": "A" * 43 + "=",
        "contentType": "image/jpeg",
        "fileCreatedAt": "2020-01-01T00:00:00Z",
        "fileModifiedAt": "2020-01-01T00:00:00Z",
    }
    cases = {
        "size": ({"size": -1}, 400),
        "filename": ({"filename": "../../etc/passwd"}, 400),
        "checksum": ({"checksum": "d41d8cd98f00b204e9800998ecf8427e"}, 400),  # an MD5
        "contentType": ({"contentType": "application/x-sh"}, 400),
    }
    for field, (change, status) in cases.items():
        r = harness.call("POST", "/api/assets/uploads", {**base, **change}, token=token)
        assert r.status_code == status, (field, r.body)
        assert field in {d["field"] for d in r.json["details"]}, (field, r.json)
    over = harness.call("POST", "/api/assets/uploads", {**base, "size": 1001}, token=token)
    assert over.status_code == 413 and "quota" in over.json["message"]
    hex_checksum = harness.call(
        "POST", "/api/assets/uploads", {**base, "checksum": "ab" * 32}, token=token
    )
    assert hex_checksum.status_code == 201
    key = urlparse(hex_checksum.json["url"]).path
    assert key.endswith(f"/{hex_checksum.json['assetId']}/original.jpg")


def test_presigned_put_is_scoped_and_short_lived(harness: Harness) -> None:
    token = harness.user("alice@example.com")
    data = photo(seed=11)
    r = harness.start_upload(token, "x.JPEG", data).json
    query = parse_qs(urlparse(r["url"]).query)
    assert int(query["X-Amz-Expires"][0]) <= 900
    signed = query["X-Amz-SignedHeaders"][0].split(";")
    assert {"content-type", "content-length", "x-amz-checksum-sha256"} <= set(signed)
    assert r["headers"]["Content-Type"] == "image/jpeg"
    assert urlparse(r["url"]).path.endswith(f"/{r['assetId']}/original.jpeg")
