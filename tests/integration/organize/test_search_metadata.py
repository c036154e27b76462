"""POST /api/search/metadata and GET /api/search/suggestions over the API: EXIF read and
places geocoded at ingest, each filter narrowing, never another user's or a trashed asset."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from tests.support.organize import NOTRE_DAME, TOKYO, Harness, add, exif_for
from tests.support.samples import jpeg

LYON = (45.7640, 4.8357)


def camera_photo(
    seed: int, make: str, model: str, lens: str | None = None, **exif: object
) -> bytes:
    """A distinct real JPEG (noise from ``seed``) with this camera in its EXIF."""
    tags: Image.Exif = exif_for(**exif)  # type: ignore[arg-type]
    tags[0x010F], tags[0x0110] = make, model
    if lens:
        tags.get_ifd(0x8769)[0xA434] = lens
    pixels = np.random.default_rng(seed).integers(0, 255, (48, 64, 3), dtype=np.uint8)
    return jpeg(pixels, exif=tags)


def search(h: Harness, token: str, **body: object) -> list[str]:
    r = h.call("POST", "/api/search/metadata", body, token)
    assert r.status_code == 200, r.body
    return [item["id"] for item in r.json["items"]]


def suggest(h: Harness, token: str, query: str) -> list[str]:
    r = h.call("GET", f"/api/search/suggestions?{query}", token=token)
    assert r.status_code == 200, r.body
    return r.json


@pytest.fixture
def library(harness: Harness) -> dict[str, str]:
    alice = harness.user("alice@example.com")
    bob = harness.user("bob@example.com")
    assets = {
        "paris": add(
            harness,
            alice,
            "IMG_100%_paris.jpg",
            camera_photo(
                1, "Canon", "EOS R5", "RF50mm F1.8", gps=NOTRE_DAME, taken="2021:06:01 10:00:00"
            ),
        ),
        "lyon": add(
            harness,
            alice,
            "IMG_2001_lyon.jpg",
            camera_photo(2, "Canon", "EOS 5D", gps=LYON, taken="2022:06:01 10:00:00"),
        ),
        "tokyo": add(
            harness,
            alice,
            "DSC_0001.jpg",
            camera_photo(3, "SONY", "ILCE-7M3", gps=TOKYO, taken="2023:06:01 10:00:00"),
        ),
        "bobs": add(
            harness,
            bob,
            "IMG_100%_bob.jpg",
            camera_photo(4, "Nikon", "Z 6", gps=NOTRE_DAME, taken="2021:06:01 10:00:00"),
        ),
    }
    harness.drain()  # ingest and thumbnail: searches return ready assets only
    return {"alice": alice, "bob": bob, **assets}


def test_each_filter_narrows_to_the_right_assets(harness: Harness, library) -> None:
    a, lib = library["alice"], library
    assert search(harness, a, make="canon") == [lib["lyon"], lib["paris"]]  # newest first
    assert search(harness, a, model="EOS R5") == [lib["paris"]]
    assert search(harness, a, lensModel="rf50mm f1.8") == [lib["paris"]]
    assert search(harness, a, city="Paris") == [lib["paris"]]
    assert search(harness, a, country="France") == [lib["lyon"], lib["paris"]]
    assert search(harness, a, country="Japan", make="SONY") == [lib["tokyo"]]
    assert search(harness, a, country="Japan", make="Canon") == []
    taken = {"takenAfter": "2022-01-01T00:00:00Z", "takenBefore": "2023-01-01T00:00:00Z"}
    assert search(harness, a, **taken) == [lib["lyon"]]
    assert search(harness, a, type="VIDEO") == []
    assert search(harness, a) == [lib["tokyo"], lib["lyon"], lib["paris"]]


def test_file_names_match_as_substrings_with_literal_wildcards(harness: Harness, library) -> None:
    a, lib = library["alice"], library
    assert search(harness, a, originalFileName="img_") == [lib["lyon"], lib["paris"]]
    assert search(harness, a, originalFileName="100%") == [lib["paris"]]
    assert search(harness, a, originalFileName="%") == [lib["paris"]]  # not "anything"
    assert search(harness, a, originalFileName="IMG_1_0") == []  # "_" is not one character


def test_never_another_users_or_a_trashed_asset(harness: Harness, library) -> None:
    a, b, lib = library["alice"], library["bob"], library
    assert search(harness, a, make="Nikon") == []
    assert search(harness, a, originalFileName="bob") == []
    assert search(harness, b, city="Paris") == [lib["bobs"]]
    harness.call("PUT", f"/api/assets/{lib['lyon']}", {"isFavorite": True}, a)
    assert search(harness, a, isFavorite=True) == [lib["lyon"]]
    harness.call("DELETE", "/api/assets", {"ids": [lib["paris"]]}, a)
    assert search(harness, a, make="Canon") == [lib["lyon"]]
    assert "Paris" not in suggest(harness, a, "type=city")
    assert harness.call("POST", "/api/search/metadata", {}).status_code == 401
    assert harness.call("GET", "/api/search/suggestions?type=city").status_code == 401


def test_paging(harness: Harness, library) -> None:
    a, lib = library["alice"], library
    first = harness.call("POST", "/api/search/metadata", {"size": 2}, a).json
    second = harness.call("POST", "/api/search/metadata", {"size": 2, "page": 2}, a).json
    assert [i["id"] for i in first["items"]] == [lib["tokyo"], lib["lyon"]]
    assert first["nextPage"] == 2
    assert [i["id"] for i in second["items"]] == [lib["paris"]] and second["nextPage"] is None
    assert first["items"][0]["exifInfo"]["make"] == "SONY"


def test_suggestions_are_mine_distinct_and_narrowed(harness: Harness, library) -> None:
    a, b = library["alice"], library["bob"]
    assert suggest(harness, a, "type=camera-make") == ["Canon", "SONY"]
    assert suggest(harness, b, "type=camera-make") == ["Nikon"]
    assert suggest(harness, a, "type=camera-model") == ["EOS 5D", "EOS R5", "ILCE-7M3"]
    assert suggest(harness, a, "type=camera-model&make=canon") == ["EOS 5D", "EOS R5"]
    assert suggest(harness, a, "type=camera-lens-model") == ["RF50mm F1.8"]
    assert suggest(harness, a, "type=country") == ["France", "Japan"]
    assert suggest(harness, a, "type=city&country=France") == ["Lyon", "Paris"]
    assert suggest(harness, a, "type=city&country=Japan") == ["Tokyo"]
    # The body is a bare JSON array of strings (as Immich's), not an object around one.
    r = harness.call("GET", "/api/search/suggestions?type=country", token=a)
    assert r.body == b'["France","Japan"]'


def test_a_bad_request_is_a_clear_400(harness: Harness, library) -> None:
    a = library["alice"]
    r = harness.call("GET", "/api/search/suggestions?type=lens", token=a)
    assert r.status_code == 400 and "type" in r.json["message"]
    r = harness.call("POST", "/api/search/metadata", {"size": 0}, a)
    assert r.status_code == 400 and "size" in r.json["message"]
    r = harness.call("POST", "/api/search/metadata", {"originalFileName": ""}, a)
    assert r.status_code == 400 and "originalFileName" in r.json["message"]
