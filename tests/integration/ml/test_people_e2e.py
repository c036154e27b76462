"""Faces and people end to end on real portraits: the same person photographed years apart
ends in one person, different people never merge, a cat has no faces; the people and faces
routes keep counts right through rename, merge and reassign."""

from __future__ import annotations

import httpx
import pytest

from tests.support.cli import login, skyroll_cli
from tests.support.harness import Harness
from tests.support.ml import jpeg_bytes, upload_all

# Two libraries are built once per module: Ada's, which the checks only read (so they pass in
# any order), and Bob's, which one test edits step by step (each step builds on the last).


def build_library(h: Harness, email: str, portraits: dict[str, bytes], photos: dict[str, bytes]):
    token = h.user(email)
    return h, token, upload_all(h, token, {**portraits, "chelsea": photos["chelsea"]})


@pytest.fixture(scope="module")
def library(module_harness: Harness, portraits: dict[str, bytes], photos: dict[str, bytes]):
    return build_library(module_harness, "ada@example.com", portraits, photos)


@pytest.fixture(scope="module")
def edited_library(module_harness: Harness, portraits: dict[str, bytes], photos: dict[str, bytes]):
    return build_library(module_harness, "bob@example.com", portraits, photos)


def faces(h: Harness, token: str, asset_id: str) -> list[dict]:
    r = h.call("GET", f"/api/faces?assetId={asset_id}", token=token)
    assert r.status_code == 200, r.body
    return r.json


def people(h: Harness, token: str) -> list[dict]:
    r = h.call("GET", "/api/people", token=token)
    assert r.status_code == 200, r.body
    return r.json["people"]


def test_one_face_per_portrait_with_a_box_inside_the_picture(library) -> None:
    h, token, ids = library
    for name in ("person_a_1", "person_a_2", "person_b_1", "impostor_1"):
        (face,) = faces(h, token, ids[name])
        assert 0 <= face["boundingBoxX1"] < face["boundingBoxX2"] <= face["imageWidth"]
        assert 0 <= face["boundingBoxY1"] < face["boundingBoxY2"] <= face["imageHeight"]
        assert len(face["landmarks"]) == 5 and face["score"] >= 0.7
    assert faces(h, token, ids["chelsea"]) == []


def test_same_person_across_years_is_one_person_and_strangers_stay_apart(library) -> None:
    h, token, ids = library
    person = {n: faces(h, token, ids[n])[0]["personId"] for n in ids if n != "chelsea"}
    assert person["person_a_1"] is not None and person["person_a_1"] == person["person_a_2"]
    assert person["person_b_1"] is not None and person["person_b_1"] == person["person_b_2"]
    assert person["person_a_1"] != person["person_b_1"]
    # Each impostor is alone (min 2 faces in this module): no person, no merge into a or b.
    assert person["impostor_1"] is None and person["impostor_2"] is None
    listed = people(h, token)
    assert sorted(p["faceCount"] for p in listed) == [2, 2]


def test_person_thumbnail_is_a_face_crop_in_s3(library) -> None:
    h, token, ids = library
    person_id = faces(h, token, ids["person_b_1"])[0]["personId"]
    r = h.call("GET", f"/api/people/{person_id}/thumbnail", token=token)
    assert r.status_code == 302, r.body
    data = httpx.get(r.headers["Location"]).content
    from io import BytesIO

    from PIL import Image

    crop = Image.open(BytesIO(data))
    assert crop.format == "JPEG" and max(crop.size) <= 250 and crop.width == crop.height
    key_prefix = "derived/"
    assert any(
        k.startswith(key_prefix) and "/faces/" in k for k in h.container.store.keys(key_prefix)
    )


def crops(h: Harness, asset_ids: list[str]) -> dict[str, str | None]:
    """face id -> its crop key, for the faces on these assets."""
    with h.container.pool.connection() as conn:
        rows = conn.execute(
            "SELECT id::text, thumbnail_key FROM asset_faces WHERE asset_id = ANY(%s::uuid[])",
            (asset_ids,),
        ).fetchall()
    return {r["id"]: r["thumbnail_key"] for r in rows}


def test_only_a_persons_picture_gets_a_crop(library) -> None:
    h, token, ids = library
    pictures = set()
    for person in people(h, token):
        (face,) = faces(h, token, person["featureFaceAssetId"])
        pictures.add(face["id"])
    keys = crops(h, list(ids.values()))
    assert len(keys) == 6 and len(pictures) == 2
    # the two people's pictures have a crop in S3; the four other faces none (Immich too).
    assert {f for f, key in keys.items() if key} == pictures
    stored = {k for k in h.container.store.keys("derived/") if "/faces/" in k}
    assert {keys[f] for f in pictures} <= stored
    assert not any(f in k for k in stored for f in set(keys) - pictures)


def step_a_new_picture_is_cropped_by_the_faces_stage(
    h: Harness, token: str, ids: dict[str, str]
) -> None:
    person = faces(h, token, ids["person_a_1"])[0]["personId"]
    current = h.call("GET", f"/api/people/{person}", token=token).json["featureFaceAssetId"]
    other = ids["person_a_2"] if current == ids["person_a_1"] else ids["person_a_1"]
    (face,) = faces(h, token, other)
    assert crops(h, [other]) == {face["id"]: None}

    # When the owner picks the other photo for the person,
    r = h.call("PUT", f"/api/people/{person}", {"featureFaceAssetId": other}, token=token)
    assert r.status_code == 200 and r.json["featureFaceAssetId"] == other
    # its crop does not exist yet: the thumbnail says so,
    r = h.call("GET", f"/api/people/{person}/thumbnail", token=token)
    assert r.status_code == 404 and r.json["message"] == "This person has no thumbnail yet"
    # and once the faces stage has run on that photo again, it is the new face's crop.
    assert h.drain(("faces",)) == 1
    r = h.call("GET", f"/api/people/{person}/thumbnail", token=token)
    assert r.status_code == 302, r.body
    assert f"/faces/{face['id']}.jpeg" in r.headers["Location"]
    assert crops(h, [other])[face["id"]] is not None
    assert faces(h, token, other)[0]["personId"] == person  # the re-run kept its person


def test_another_user_sees_no_people_and_gets_404s(library) -> None:
    h, token, ids = library
    person_id = faces(h, token, ids["person_a_1"])[0]["personId"]
    other = h.user("eve@example.com")
    assert people(h, other) == []
    assert h.call("GET", f"/api/people/{person_id}", token=other).status_code == 404
    assert h.call("GET", f"/api/people/{person_id}/assets", token=other).status_code == 404
    r = h.call("GET", f"/api/faces?assetId={ids['person_a_1']}", token=other)
    assert r.status_code == 404 and r.json["message"] == "Asset not found"
    face_id = faces(h, token, ids["person_a_1"])[0]["id"]
    r = h.call("PUT", f"/api/faces/{face_id}", {"personId": person_id}, token=other)
    assert r.status_code == 404
    r = h.call("PUT", f"/api/people/{person_id}", {"name": "Mallory"}, token=other)
    assert r.status_code == 404 and r.json["message"] == "Person not found"
    assert h.call("GET", f"/api/people/{person_id}/thumbnail", token=other).status_code == 404
    # Eve's own person cannot swallow Ada's: the merge answers per id, and Ada's stays.
    theirs = h.call("POST", f"/api/people/{person_id}/merge", {"ids": [person_id]}, token=other)
    assert theirs.status_code == 404
    assert h.call("GET", f"/api/people/{person_id}", token=token).json["name"] != "Mallory"


def test_a_null_name_or_hidden_flag_is_a_400_not_a_500(library) -> None:
    h, token, ids = library
    person_id = faces(h, token, ids["person_b_1"])[0]["personId"]
    for body, field in (({"name": None}, "name"), ({"isHidden": None}, "isHidden")):
        r = h.call("PUT", f"/api/people/{person_id}", body, token=token)
        assert r.status_code == 400 and field in r.json["message"], r.json


def step_a_hidden_person_leaves_the_list_but_is_counted(
    h: Harness, token: str, ids: dict[str, str]
) -> None:
    a = faces(h, token, ids["person_a_1"])[0]["personId"]
    b = faces(h, token, ids["person_b_1"])[0]["personId"]
    r = h.call("PUT", f"/api/people/{b}", {"isHidden": True}, token=token)
    assert r.status_code == 200 and r.json["isHidden"] is True
    listed = h.call("GET", "/api/people", token=token).json
    assert [p["id"] for p in listed["people"]] == [a]
    assert (listed["total"], listed["hidden"]) == (2, 1)
    everyone = h.call("GET", "/api/people?withHidden=true", token=token).json
    assert [(p["id"], p["isHidden"]) for p in everyone["people"]] == [(a, False), (b, True)]
    assert (everyone["total"], everyone["hidden"]) == (2, 1)
    assert h.call("GET", f"/api/people/{b}", token=token).json["isHidden"] is True
    r = h.call("PUT", f"/api/people/{b}", {"isHidden": False}, token=token)
    assert r.status_code == 200 and len(people(h, token)) == 2


def step_rename_reassign_and_merge_keep_counts_right(
    h: Harness, token: str, ids: dict[str, str]
) -> None:
    a = faces(h, token, ids["person_a_1"])[0]["personId"]
    b = faces(h, token, ids["person_b_1"])[0]["personId"]

    r = h.call(
        "PUT",
        f"/api/people/{b}",
        {"name": "Jacinda", "birthDate": "1980-07-26", "featureFaceAssetId": ids["person_b_2"]},
        token=token,
    )
    assert r.status_code == 200, r.body
    assert r.json["name"] == "Jacinda" and r.json["featureFaceAssetId"] == ids["person_b_2"]
    assert people(h, token)[0]["id"] == b  # named first
    r = h.call("PUT", f"/api/people/{b}", {"featureFaceAssetId": ids["chelsea"]}, token=token)
    assert r.status_code == 400

    # Someone puts impostor_1's face on Jacinda by hand.
    face_id = faces(h, token, ids["impostor_1"])[0]["id"]
    r = h.call("PUT", f"/api/faces/{face_id}", {"personId": b}, token=token)
    assert r.status_code == 200 and r.json["personId"] == b
    counts = {p["id"]: p["faceCount"] for p in people(h, token)}
    assert counts == {a: 2, b: 3}

    nobody = "00000000-0000-0000-0000-000000000000"
    r = h.call("POST", f"/api/people/{b}/merge", {"ids": [a, b, nobody]}, token=token)
    assert r.status_code == 200, r.body
    assert [x["success"] for x in r.json] == [True, False, False]
    listed = people(h, token)
    assert [(p["id"], p["faceCount"]) for p in listed] == [(b, 5)]
    assert h.call("GET", f"/api/people/{a}", token=token).status_code == 404
    r = h.call("GET", f"/api/people/{b}/assets", token=token)
    assert {i["id"] for i in r.json["items"]} == {
        ids[n] for n in ("person_a_1", "person_a_2", "person_b_1", "person_b_2", "impostor_1")
    }

    r = h.call("POST", "/api/search/smart", {"query": "a person", "personIds": [b]}, token=token)
    assert r.status_code == 200 and len(r.json["items"]) == 5


def step_a_resized_copy_joins_the_existing_person(
    h: Harness, token: str, ids: dict[str, str], portraits
) -> None:
    """After the merge: person a's faces now belong to the merged person."""
    merged = faces(h, token, ids["person_a_1"])[0]["personId"]
    from io import BytesIO

    from PIL import Image

    small = jpeg_bytes(Image.open(BytesIO(portraits["person_a_2"])), quality=70, scale=0.5)
    copy = upload_all(h, token, {"copy": small})["copy"]
    assert faces(h, token, copy)[0]["personId"] == merged
    assert [p["faceCount"] for p in people(h, token)] == [6]


def step_cli_people_and_search_against_the_real_api(
    h: Harness, token: str, ids: dict[str, str], tmp_path, monkeypatch
) -> None:
    """`skyroll people list|rename|merge` and `skyroll search` through the real routes
    (httpx requests handed to chalice's in-process client)."""
    import json

    cli = skyroll_cli(h, tmp_path, monkeypatch)
    login(cli, "bob@example.com", "password-123")
    listed = cli("people", "list", "--json")
    assert listed.exit_code == 0, listed.output
    listed_people = json.loads(listed.output)["people"]
    assert listed_people == people(h, token)
    person = listed_people[0]
    renamed = cli("people", "rename", person["id"], "Ada")
    assert renamed.exit_code == 0 and "'Ada'" in renamed.output
    bad = cli("people", "merge", person["id"], "00000000-0000-0000-0000-000000000000")
    assert bad.exit_code == 1 and "not_found" in bad.output
    found = cli("search", "a person", "--json")
    assert found.exit_code == 0, found.output
    assert json.loads(found.output)["items"][0]["id"] in {
        ids["person_a_1"],
        ids["person_a_2"],
        ids["person_b_1"],
        ids["person_b_2"],
        ids["impostor_1"],
        ids["impostor_2"],
    }
    table = cli("people", "list")
    assert "Ada" in table.output and str(person["faceCount"]) in table.output


def step_a_person_the_recluster_job_makes_gets_its_crop(
    h: Harness, token: str, ids: dict[str, str]
) -> None:
    """It adds a person. The job's people may have their picture on any asset; it asks
    the faces stage to crop them."""

    (face,) = faces(h, token, ids["impostor_2"])
    assert face["personId"] is None
    with h.container.pool.connection() as conn:  # as a re-cluster with looser settings would
        person = conn.execute(
            "INSERT INTO people (owner_id, feature_face_id) SELECT owner_id, id FROM"
            " asset_faces WHERE id = %s RETURNING id",
            (face["id"],),
        ).fetchone()["id"]
        conn.execute("UPDATE asset_faces SET person_id = %s WHERE id = %s", (person, face["id"]))
    assert h.container.people_service.recluster_all()["cropsRequested"] == 1
    assert h.drain(("faces",)) == 1
    r = h.call("GET", f"/api/people/{person}/thumbnail", token=token)
    assert r.status_code == 302 and f"/faces/{face['id']}.jpeg" in r.headers["Location"]
    assert h.container.people_service.recluster_all()["cropsRequested"] == 0


def step_moving_a_persons_picture_face_gives_it_another(
    h: Harness, token: str, ids: dict[str, str]
) -> None:
    """After the re-cluster step: Bob's merged person and the job's person. The merged
    person's picture face goes to the other person: it gets another of its faces as picture,
    cropped by the faces stage; its old picture is now the other person's face, never its
    thumbnail."""
    listed = people(h, token)
    merged, other = (p["id"] for p in listed)
    picture_asset = h.call("GET", f"/api/people/{merged}", token=token).json["featureFaceAssetId"]
    (face,) = faces(h, token, picture_asset)
    with h.container.pool.connection() as conn:  # only its picture has a crop (as usual)
        conn.execute(
            "UPDATE asset_faces SET thumbnail_key = NULL WHERE person_id = %s AND id <> %s",
            (merged, face["id"]),
        )
    r = h.call("PUT", f"/api/faces/{face['id']}", {"personId": other}, token=token)
    assert r.status_code == 200 and r.json["personId"] == other

    now = h.call("GET", f"/api/people/{merged}", token=token).json
    assert now["featureFaceAssetId"] not in (None, picture_asset)
    assert faces(h, token, now["featureFaceAssetId"])[0]["personId"] == merged
    assert (
        h.call("GET", f"/api/people/{other}", token=token).json["featureFaceAssetId"]
        == (ids["impostor_2"])
    )  # it had a picture: kept
    counts = {p["id"]: p["faceCount"] for p in people(h, token)}
    assert counts == {merged: 5, other: 2}
    r = h.call("GET", f"/api/people/{merged}/thumbnail", token=token)
    assert r.status_code == 404  # the new picture is not cropped yet
    assert h.drain(("faces",)) == 1  # the reassign asked for that one crop
    r = h.call("GET", f"/api/people/{merged}/thumbnail", token=token)
    assert r.status_code == 302, r.body
    (new_face,) = faces(h, token, now["featureFaceAssetId"])
    assert f"/faces/{new_face['id']}.jpeg" in r.headers["Location"]


def test_editing_people_step_by_step(edited_library, portraits, tmp_path, monkeypatch) -> None:
    """Bob's library through a session of edits, in order: each step starts where the last
    one left it (the merge makes one person, the re-cluster adds one, and so on)."""
    h, token, ids = edited_library
    step_a_new_picture_is_cropped_by_the_faces_stage(h, token, ids)
    step_a_hidden_person_leaves_the_list_but_is_counted(h, token, ids)
    step_rename_reassign_and_merge_keep_counts_right(h, token, ids)
    step_a_resized_copy_joins_the_existing_person(h, token, ids, portraits)
    step_cli_people_and_search_against_the_real_api(h, token, ids, tmp_path, monkeypatch)
    step_a_person_the_recluster_job_makes_gets_its_crop(h, token, ids)
    step_moving_a_persons_picture_face_gives_it_another(h, token, ids)
