"""POST /api/assets/media-urls: thumbnail/preview URLs for many assets in one call, checked
per asset like the 302 routes, and stable within a time window so browsers cache them."""

from __future__ import annotations

from typing import Any

import httpx

from tests.support.harness import Harness
from tests.support.samples import jpeg, quadrants
from tests.support.stages import files, object_bytes, presigned_key, query

ROUTE = "/api/assets/media-urls"


def _sign(h: Harness, token: str, ids: list[str], sizes: list[str] | None = None) -> Any:
    body: dict[str, Any] = {"assetIds": ids}
    if sizes is not None:
        body["sizes"] = sizes
    return h.call("POST", ROUTE, body, token=token)


def _two_calls_in_one_window(h: Harness, token: str, ids: list[str]) -> tuple[Any, Any]:
    # A window boundary may fall between the two calls (once an hour): then call again.
    for _ in range(2):
        first, second = _sign(h, token, ids).json, _sign(h, token, ids).json
        if first["expiresAt"] == second["expiresAt"]:
            return first, second
    raise AssertionError("two calls never landed in the same window")


def test_signs_both_sizes_and_the_urls_fetch_the_stored_bytes(harness: Harness) -> None:
    token = harness.user("sign@example.com")
    ids = [
        str(harness.upload(token, f"card{i}.jpg", jpeg(quadrants(320 + i, 240)))["assetId"])
        for i in range(2)
    ]
    harness.drain()

    r = _sign(harness, token, ids, ["thumbnail", "preview"])
    assert r.status_code == 200, r.body
    assert [item["assetId"] for item in r.json["items"]] == ids
    for item in r.json["items"]:
        stored = files(harness, item["assetId"])
        for size, magic in (("thumbnail", b"WEBP"), ("preview", b"\xff\xd8\xff")):
            url = item[size]
            assert presigned_key(url) == stored[size]["storage_key"]
            params = query(url)
            assert params["X-Amz-Expires"] == "7200"
            assert params["response-content-type"] == stored[size]["mime_type"]
            got = httpx.get(url)
            assert got.status_code == 200
            assert got.headers["cache-control"] == "private, max-age=3600, immutable"
            assert magic in got.content[:12]
            assert got.content == object_bytes(harness, stored[size]["storage_key"])
    # The default is the small one alone.
    only = _sign(harness, token, ids[:1]).json["items"][0]
    assert only["thumbnail"] and only["preview"] is None


def test_two_calls_in_the_same_window_give_identical_urls(harness: Harness) -> None:
    token = harness.user("stable@example.com")
    asset_id = str(harness.upload(token, "card.jpg", jpeg(quadrants()))["assetId"])
    harness.drain()

    first, second = _two_calls_in_one_window(harness, token, [asset_id])
    assert first == second
    signed_at = query(first["items"][0]["thumbnail"])["X-Amz-Date"]
    # Signed at the top of the hour, valid two hours from then.
    assert signed_at.endswith("0000Z")
    assert first["expiresAt"][11:19] == f"{(int(signed_at[9:11]) + 2) % 24:02d}:00:00"


def test_someone_elses_and_unknown_ids_are_left_out(harness: Harness) -> None:
    owner = harness.user("own@example.com")
    stranger = harness.user("stranger@example.com")
    asset_id = str(harness.upload(owner, "card.jpg", jpeg(quadrants()))["assetId"])
    mine = str(harness.upload(stranger, "mine.jpg", jpeg(quadrants(300, 200)))["assetId"])
    harness.drain()
    unknown = "00000000-0000-0000-0000-000000000001"

    r = _sign(harness, stranger, [asset_id, unknown, mine])
    assert r.status_code == 200
    assert [item["assetId"] for item in r.json["items"]] == [mine]
    assert asset_id not in r.body.decode()


def test_an_album_member_gets_the_shared_assets(harness: Harness) -> None:
    owner = harness.user("alb-owner@example.com")
    member = harness.user("alb-member@example.com")
    member_id = harness.call("GET", "/api/users/me", token=member).json["id"]
    shared = str(harness.upload(owner, "shared.jpg", jpeg(quadrants()))["assetId"])
    private = str(harness.upload(owner, "private.jpg", jpeg(quadrants(300, 200)))["assetId"])
    harness.drain()
    r = harness.call(
        "POST",
        "/api/albums",
        {"albumName": "Trip", "assetIds": [shared], "albumUsers": [{"userId": member_id}]},
        token=owner,
    )
    assert r.status_code == 201, r.body

    items = _sign(harness, member, [shared, private]).json["items"]
    assert [item["assetId"] for item in items] == [shared]
    key = files(harness, shared)["thumbnail"]["storage_key"]
    assert httpx.get(items[0]["thumbnail"]).content == object_bytes(harness, key)


def test_not_generated_yet_is_null_and_duplicates_are_signed_once(harness: Harness) -> None:
    token = harness.user("early@example.com")
    asset_id = str(harness.upload(token, "card.jpg", jpeg(quadrants()))["assetId"])

    r = _sign(harness, token, [asset_id, asset_id], ["thumbnail", "preview"])
    assert r.json["items"] == [{"assetId": asset_id, "thumbnail": None, "preview": None}]


def test_bad_requests_name_the_field(harness: Harness) -> None:
    token = harness.user("bad@example.com")
    cases = [
        ({"assetIds": []}, "assetIds"),
        ({"assetIds": ["not-a-uuid"]}, "assetIds.0"),
        ({"assetIds": ["00000000-0000-0000-0000-000000000001"] * 501}, "assetIds"),
        ({"assetIds": ["00000000-0000-0000-0000-000000000001"], "sizes": ["huge"]}, "sizes.0"),
        ({"assetIds": ["00000000-0000-0000-0000-000000000001"], "sizes": []}, "sizes"),
    ]
    for body, field in cases:
        r = harness.call("POST", ROUTE, body, token=token)
        assert r.status_code == 400, body
        assert r.json["details"][0]["field"] == field, r.json
