"""Smart search end to end: photos go through every stage, then text queries rank them.
The tests share one library (module scope); the one that trashes restores what it trashed."""

from __future__ import annotations

import pytest

from tests.support.harness import Harness
from tests.support.ml import upload_all


@pytest.fixture(scope="module")
def library(
    module_harness: Harness, photos: dict[str, bytes]
) -> tuple[Harness, str, dict[str, str]]:
    token = module_harness.user("ada@example.com")
    return module_harness, token, upload_all(module_harness, token, photos)


def search(h: Harness, token: str, query: str, **filters: object) -> list[dict]:
    r = h.call("POST", "/api/search/smart", {"query": query, **filters}, token=token)
    assert r.status_code == 200, r.body
    return r.json["items"]


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("cat", "chelsea"),
        ("a woman", "astronaut"),
        ("a cup of coffee", "coffee"),
        ("flower", "flower"),
        ("temple", "china"),
    ],
)
def test_each_query_ranks_its_photo_first(library, query: str, expected: str) -> None:
    h, token, ids = library
    items = search(h, token, query)
    assert items[0]["id"] == ids[expected], [i["originalFileName"] for i in items]
    assert len(items) == len(ids)
    scores = [i["score"] for i in items]
    assert scores == sorted(scores, reverse=True)


def test_every_stage_ran_and_the_asset_is_ready(library) -> None:
    h, token, ids = library
    asset = h.asset(token, ids["chelsea"])
    assert asset["status"] == "ready"
    stages = h.container.pipeline_repo.stages(h.asset(token, ids["chelsea"])["id"])
    assert {
        k: v["status"] for k, v in stages.items() if k in ("faces", "smart_search", "duplicates")
    } == {"faces": "done", "smart_search": "done", "duplicates": "done"}
    row = h.container.embedding_repo.get(ids["chelsea"], 384)
    assert row["model_id"] == "skyroll-offline-effnetlite0-minilm-v1"


def test_filters_and_paging(library) -> None:
    h, token, ids = library
    r = h.call("PUT", f"/api/assets/{ids['coffee']}", {"isFavorite": True}, token=token)
    assert r.status_code == 200, r.body
    assert [i["id"] for i in search(h, token, "cat", isFavorite=True)] == [ids["coffee"]]
    assert search(h, token, "cat", type="VIDEO") == []
    assert search(h, token, "cat", takenBefore="1990-01-01T00:00:00Z") == []

    first = h.call("POST", "/api/search/smart", {"query": "cat", "size": 2}, token=token).json
    second = h.call(
        "POST", "/api/search/smart", {"query": "cat", "size": 2, "page": 2}, token=token
    ).json
    assert first["nextPage"] == 2 and len(first["items"]) == 2 and len(second["items"]) == 2
    assert not {i["id"] for i in first["items"]} & {i["id"] for i in second["items"]}
    assert first["modelId"] == "skyroll-offline-effnetlite0-minilm-v1"
    # Past pgvector's largest ef_search (1000): an empty page, not a 500.
    deep = h.call(
        "POST", "/api/search/smart", {"query": "cat", "size": 1000, "page": 3}, token=token
    )
    assert deep.status_code == 200, deep.body
    assert deep.json["items"] == [] and deep.json["nextPage"] is None
    h.call("PUT", f"/api/assets/{ids['coffee']}", {"isFavorite": False}, token=token)


def test_other_users_and_trashed_assets_never_come_back(library, photos) -> None:
    h, token, ids = library
    other = h.user("bob@example.com")
    assert search(h, other, "cat") == []
    mine = upload_all(h, other, {"coffee": photos["coffee"]})
    assert [i["id"] for i in search(h, other, "cat")] == [mine["coffee"]]

    r = h.call("DELETE", "/api/assets", {"ids": [ids["chelsea"]]}, token=token)
    assert r.status_code in (200, 204), r.body
    found = [i["id"] for i in search(h, token, "cat")]
    assert ids["chelsea"] not in found and mine["coffee"] not in found
    assert len(found) == len(ids) - 1
    # Back from the trash: the module's other tests still see the whole library.
    r = h.call("POST", "/api/trash/restore", {"ids": [ids["chelsea"]]}, token=token)
    assert r.status_code == 200 and r.json["count"] == 1, r.body
    assert ids["chelsea"] in [i["id"] for i in search(h, token, "cat")]


def _me(h: Harness, token: str) -> str:
    return h.call("GET", "/api/users/me", token=token).json["id"]


def test_a_partner_in_my_timeline_and_a_shared_album_are_searched_a_stranger_never(
    library,
) -> None:
    h, token, ids = library
    carol, eve = h.user("carol@example.com"), h.user("eve@example.com")
    # Ada shares her library with Carol: searched once Carol shows it in her timeline.
    r = h.call("POST", f"/api/partners/{_me(h, carol)}", token=token)
    assert r.status_code == 201, r.body
    assert search(h, carol, "cat") == []
    r = h.call("PUT", f"/api/partners/{_me(h, token)}", {"inTimeline": True}, token=carol)
    assert r.status_code == 200, r.body
    found = search(h, carol, "cat")
    assert {i["id"] for i in found} == set(ids.values())
    assert found[0]["id"] == ids["chelsea"]
    # Eve is a stranger: nothing of Ada's, whatever she asks.
    assert search(h, eve, "cat") == []
    assert search(h, eve, "cat", withArchived=True) == []
    # An album of Ada's shared with Eve: its assets, and only with the album asked for.
    r = h.call(
        "POST",
        "/api/albums",
        {"albumName": "cats", "assetIds": [ids["chelsea"]],
         "albumUsers": [{"userId": _me(h, eve), "role": "viewer"}]},
        token=token,
    )  # fmt: skip
    assert r.status_code == 201, r.body
    album = r.json["id"]
    assert [i["id"] for i in search(h, eve, "cat", albumId=album)] == [ids["chelsea"]]
    assert search(h, eve, "cat") == []
    # Carol is Ada's partner, not a member of the album: the album gives her nothing.
    assert search(h, carol, "cat", albumId=album) == []
