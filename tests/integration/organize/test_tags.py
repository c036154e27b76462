"""Tags over the API: paths create parents, per-asset results, filters compose, renames
carry children, and another user sees none of it."""

from __future__ import annotations

from tests.support.organize import Harness, add, ids, photo


def _library(h: Harness) -> tuple[str, dict[str, str]]:
    token = h.user("alice@example.com")
    # Tags need no processing: the assets stay as uploaded.
    assets = {n: add(h, token, f"{n}.jpg", photo(i)) for i, n in enumerate(("a", "b", "c"), 1)}
    return token, assets


def test_a_path_creates_its_parents_and_is_listed_by_path(harness: Harness) -> None:
    token = harness.user("alice@example.com")
    r = harness.call("POST", "/api/tags", {"name": "Travel/Japan", "color": "#AA0000"}, token)
    assert r.status_code == 201, r.body
    japan = r.json
    assert (japan["name"], japan["value"], japan["color"]) == ("Japan", "Travel/Japan", "#aa0000")

    tags = harness.call("GET", "/api/tags", token=token).json
    assert [t["value"] for t in tags] == ["Travel", "Travel/Japan"]
    travel = tags[0]
    assert travel["parentId"] is None and japan["parentId"] == travel["id"]

    # The same path again is the same tag; a child by parentId joins the path.
    again = harness.call("POST", "/api/tags", {"name": "Travel / Japan"}, token).json
    assert again["id"] == japan["id"]
    kyoto = harness.call(
        "POST", "/api/tags", {"name": "Kyoto", "parentId": japan["id"]}, token
    ).json
    assert kyoto["value"] == "Travel/Japan/Kyoto" and kyoto["parentId"] == japan["id"]

    bad = harness.call("POST", "/api/tags", {"name": "Travel//x"}, token)
    assert bad.status_code == 400


def test_tagging_reports_per_asset_and_filters_compose(harness: Harness) -> None:
    token, a = _library(harness)
    stranger = harness.user("eve@example.com")
    theirs = add(harness, stranger, "e.jpg", photo(9))
    japan = harness.call("POST", "/api/tags", {"name": "Travel/Japan"}, token).json
    travel = japan["parentId"]

    r = harness.call(
        "PUT", f"/api/tags/{japan['id']}/assets", {"ids": [a["a"], a["b"], theirs]}, token
    )
    assert r.status_code == 200, r.body
    assert r.json == [
        {"id": a["a"], "success": True, "error": None},
        {"id": a["b"], "success": True, "error": None},
        {"id": theirs, "success": False, "error": "not_found"},
    ]
    again = harness.call("PUT", f"/api/tags/{japan['id']}/assets", {"ids": [a["a"]]}, token)
    assert again.json == [{"id": a["a"], "success": False, "error": "duplicate"}]

    # The parent tag finds what its children carry; the filter composes with the others.
    assert ids(harness.call("GET", f"/api/assets?tagId={travel}", token=token).json["items"]) == {
        a["a"],
        a["b"],
    }
    harness.call("PUT", f"/api/assets/{a['b']}", {"isFavorite": True}, token)
    both = harness.call("GET", f"/api/assets?tagId={japan['id']}&isFavorite=true", token=token)
    assert ids(both.json["items"]) == {a["b"]}
    assert ids(harness.call("GET", "/api/assets", token=token).json["items"]) == set(a.values())

    r = harness.call("DELETE", f"/api/tags/{japan['id']}/assets", {"ids": [a["a"], a["c"]]}, token)
    assert r.json == [
        {"id": a["a"], "success": True, "error": None},
        {"id": a["c"], "success": False, "error": "not_found"},
    ]
    assert ids(harness.call("GET", f"/api/assets?tagId={travel}", token=token).json["items"]) == {
        a["b"]
    }


def test_rename_moves_children_and_refuses_a_taken_path(harness: Harness) -> None:
    token = harness.user("alice@example.com")
    japan = harness.call("POST", "/api/tags", {"name": "Travel/Japan"}, token).json
    harness.call("POST", "/api/tags", {"name": "Trips"}, token)

    r = harness.call("PUT", f"/api/tags/{japan['parentId']}", {"name": "Journeys"}, token)
    assert r.status_code == 200 and r.json["value"] == "Journeys"
    assert (
        harness.call("GET", f"/api/tags/{japan['id']}", token=token).json["value"]
        == "Journeys/Japan"
    )

    clash = harness.call("PUT", f"/api/tags/{japan['parentId']}", {"name": "Trips"}, token)
    assert clash.status_code == 409
    colour = harness.call("PUT", f"/api/tags/{japan['id']}", {"color": "#00ff00"}, token).json
    assert colour["color"] == "#00ff00" and colour["value"] == "Journeys/Japan"
    assert (
        harness.call("PUT", f"/api/tags/{japan['id']}", {"name": "a/b"}, token).status_code == 400
    )


def test_deleting_a_tag_takes_its_children_and_leaves_assets(harness: Harness) -> None:
    token, a = _library(harness)
    japan = harness.call("POST", "/api/tags", {"name": "Travel/Japan"}, token).json
    harness.call("PUT", f"/api/tags/{japan['id']}/assets", {"ids": [a["a"]]}, token)

    assert harness.call("DELETE", f"/api/tags/{japan['parentId']}", token=token).status_code == 204
    assert harness.call("GET", "/api/tags", token=token).json == []
    assert harness.call("GET", f"/api/tags/{japan['id']}", token=token).status_code == 404
    assert a["a"] in ids(harness.call("GET", "/api/assets", token=token).json["items"])


def test_another_user_cannot_see_or_use_my_tags(harness: Harness) -> None:
    token, a = _library(harness)
    tag = harness.call("POST", "/api/tags", {"name": "Family"}, token).json
    harness.call("PUT", f"/api/tags/{tag['id']}/assets", {"ids": [a["a"]]}, token)
    eve = harness.user("eve@example.com")

    assert harness.call("GET", "/api/tags", token=eve).json == []
    for method, path, body in (
        ("GET", f"/api/tags/{tag['id']}", None),
        ("PUT", f"/api/tags/{tag['id']}", {"color": "#000000"}),
        ("DELETE", f"/api/tags/{tag['id']}", None),
        ("PUT", f"/api/tags/{tag['id']}/assets", {"ids": [a["a"]]}),
        ("DELETE", f"/api/tags/{tag['id']}/assets", {"ids": [a["a"]]}),
    ):
        r = harness.call(method, path, body, eve)
        assert r.status_code == 404, (method, path, r.body)
        assert r.json["message"] == "Tag not found"
    # Filtering by someone else's tag finds nothing of theirs (nor of mine).
    assert harness.call("GET", f"/api/assets?tagId={tag['id']}", token=eve).json["items"] == []
    assert harness.call("GET", f"/api/tags/{tag['id']}", token=token).json["color"] is None
    anonymous = harness.call("GET", "/api/tags")
    assert anonymous.status_code == 401


def test_tags_come_in_pages_when_asked(harness: Harness) -> None:
    token = harness.user("ada@example.com")
    for name in ("Zoo", "Travel/Japan/Kyoto", "Family"):
        assert harness.call("POST", "/api/tags", {"name": name}, token).status_code == 201
    everything = [t["value"] for t in harness.call("GET", "/api/tags", token=token).json]
    assert everything == ["Family", "Travel", "Travel/Japan", "Travel/Japan/Kyoto", "Zoo"]
    pages = [
        [t["value"] for t in harness.call("GET", f"/api/tags?size=2&page={p}", token=token).json]
        for p in (1, 2, 3, 4)
    ]
    assert pages == [everything[0:2], everything[2:4], everything[4:], []]
    other = harness.user("bob@example.com")
    assert harness.call("GET", "/api/tags?size=2", token=other).json == []
    for bad in ("size=0", "size=1001", "page=0"):
        assert harness.call("GET", f"/api/tags?{bad}", token=token).status_code == 400, bad
