"""Near-duplicates: the perceptual hash on real photos, then the stage and the API.

A resized + re-encoded copy and a burst-like frame group with their original; a different
photo of the same subject (the same person years apart, a closer shot of the same cat)
does not, although the offline smart-search vectors of those cat photos are nearly equal.
"""

from __future__ import annotations

import io
import uuid

import pytest
from PIL import Image, ImageOps

from chalicelib.ml.perceptual_hash import hamming, perceptual_hash
from tests.support.harness import Harness
from tests.support.ml import jpeg_bytes, upload_all

# The read-only tests share a library built once per module; the tests that resolve a group
# build their own (three photos), so no test depends on another having run.

MAX_DISTANCE = 8  # the default setting
# Faces and smart search play no part here: leave their queues alone (faster).
STAGES = ("ingest", "thumbnail", "duplicates")


def decoded(data: bytes) -> Image.Image:
    return Image.open(io.BytesIO(data)).convert("RGB")


@pytest.fixture(scope="module")
def variants(photos: dict[str, bytes], portraits: dict[str, bytes]) -> dict[str, bytes]:
    cat = decoded(photos["chelsea"])
    w, h = cat.size
    return {
        "chelsea": photos["chelsea"],
        "chelsea_small": jpeg_bytes(cat, quality=55, scale=0.4),
        # A frame a moment later: the camera moved a few pixels.
        "chelsea_burst": jpeg_bytes(cat.crop((6, 4, w, h)).resize((w, h))),
        # Another photo of the same cat: closer, from the other side.
        "chelsea_closer": jpeg_bytes(
            ImageOps.mirror(cat.crop((w // 4, 0, w * 85 // 100, h * 8 // 10)))
        ),
        "person_a_1": portraits["person_a_1"],
        "person_a_2": portraits["person_a_2"],
    }


def test_hash_keeps_copies_close_and_other_photos_far(variants) -> None:
    hashes = {n: perceptual_hash(decoded(d)) for n, d in variants.items()}
    assert all(len(h) == 64 and set(h) <= {"0", "1"} for h in hashes.values())
    assert hamming(hashes["chelsea"], hashes["chelsea_small"]) <= 2
    assert hamming(hashes["chelsea"], hashes["chelsea_burst"]) <= 4
    assert hamming(hashes["chelsea"], hashes["chelsea_closer"]) > 3 * MAX_DISTANCE
    assert hamming(hashes["person_a_1"], hashes["person_a_2"]) > 2 * MAX_DISTANCE


def test_offline_vectors_could_not_tell_the_two_cat_photos_apart(variants, models_root) -> None:
    """Why duplicates need their own signal (docs/ml.md)."""
    from chalicelib.ml.loader import load_encoder

    encoder = load_encoder("offline", models_root, "", 1)
    v = encoder.embed_images([decoded(variants["chelsea"]), decoded(variants["chelsea_closer"])])
    assert float(v[0] @ v[1]) > 0.9


@pytest.fixture(scope="module")
def library(module_harness: Harness, variants: dict[str, bytes]):
    token = module_harness.user("ada@example.com")
    return module_harness, token, upload_all(module_harness, token, variants, STAGES)


@pytest.fixture
def own_group(module_harness: Harness, variants: dict[str, bytes]):
    """A library of its own with one group (the cat and two copies), for tests that resolve."""
    token = module_harness.user(f"{uuid.uuid4().hex[:12]}@example.com")
    cats = {k: variants[k] for k in ("chelsea", "chelsea_small", "chelsea_burst")}
    return module_harness, token, upload_all(module_harness, token, cats, STAGES)


def groups(h: Harness, token: str) -> list[dict]:
    r = h.call("GET", "/api/duplicates", token=token)
    assert r.status_code == 200, r.body
    return r.json


def test_copies_group_and_other_photos_do_not(library) -> None:
    h, token, ids = library
    (group,) = groups(h, token)
    assert {a["id"] for a in group["assets"]} == {
        ids["chelsea"],
        ids["chelsea_small"],
        ids["chelsea_burst"],
    }
    # Biggest file first: usually the one to keep.
    assert group["assets"][0]["id"] == ids["chelsea"]


def test_another_user_sees_no_groups_and_cannot_resolve(library) -> None:
    h, token, _ = library
    other = h.user("eve@example.com")
    assert groups(h, other) == []
    duplicate_id = groups(h, token)[0]["duplicateId"]
    r = h.call("POST", f"/api/duplicates/{duplicate_id}/resolve", {"keepAssetIds": []}, token=other)
    assert r.status_code == 404


def test_resolve_trashes_the_others_and_the_group_is_gone(own_group) -> None:
    h, token, ids = own_group
    duplicate_id = groups(h, token)[0]["duplicateId"]
    r = h.call(
        "POST",
        f"/api/duplicates/{duplicate_id}/resolve",
        {"keepAssetIds": [str(uuid.uuid4())]},
        token=token,
    )
    assert r.status_code == 400  # not a member of this group
    r = h.call(
        "POST",
        f"/api/duplicates/{duplicate_id}/resolve",
        {"keepAssetIds": [ids["chelsea"]]},
        token=token,
    )
    assert r.status_code == 200, r.body
    assert set(r.json["trashed"]) == {ids["chelsea_small"], ids["chelsea_burst"]}
    assert h.asset(token, ids["chelsea_small"])["isTrashed"] is True
    assert h.asset(token, ids["chelsea"])["isTrashed"] is False
    assert groups(h, token) == []
    r = h.call(
        "POST",
        f"/api/duplicates/{duplicate_id}/resolve",
        {"keepAssetIds": [ids["chelsea"]]},
        token=token,
    )
    assert r.status_code == 404


def test_a_new_copy_of_a_kept_photo_starts_a_new_group(own_group, variants) -> None:
    h, token, ids = own_group
    # Given the group resolved, keeping the original,
    for group in groups(h, token):
        r = h.call(
            "POST",
            f"/api/duplicates/{group['duplicateId']}/resolve",
            {"keepAssetIds": [ids["chelsea"]]},
            token=token,
        )
        assert r.status_code == 200, r.body
    copy = jpeg_bytes(decoded(variants["chelsea"]), quality=40, scale=0.7)
    new = upload_all(h, token, {"again": copy}, STAGES)["again"]
    (group,) = groups(h, token)
    assert {a["id"] for a in group["assets"]} == {ids["chelsea"], new}
