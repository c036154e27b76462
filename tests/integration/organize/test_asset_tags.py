"""Tags on the asset JSON (``tags``) and the ``tagIds`` filter of metadata search: every tag
asked for, itself or one below it, and never another user's tags."""

from __future__ import annotations

from tests.support.organize import Harness, add, photo


def _search(h: Harness, token: str, **body: object) -> list[str]:
    r = h.call("POST", "/api/search/metadata", body, token)
    assert r.status_code == 200, r.body
    return sorted(item["id"] for item in r.json["items"])


def test_the_asset_lists_its_tags_and_search_narrows_by_them(harness: Harness) -> None:
    h = harness
    token, stranger = h.user("alice@example.com"), h.user("eve@example.com")
    a, b, c = (add(h, token, f"{n}.jpg", photo(i)) for i, n in enumerate("abc", 1))
    theirs = add(h, stranger, "e.jpg", photo(9))
    h.drain()
    japan = h.call("POST", "/api/tags", {"name": "Travel/Japan", "color": "#00aa00"}, token).json
    travel = japan["parentId"]
    family = h.call("POST", "/api/tags", {"name": "Family"}, token).json
    h.call("PUT", f"/api/tags/{japan['id']}/assets", {"ids": [a, b]}, token)
    h.call("PUT", f"/api/tags/{family['id']}/assets", {"ids": [b, c]}, token)
    their_tag = h.call("POST", "/api/tags", {"name": "Family"}, stranger).json
    h.call("PUT", f"/api/tags/{their_tag['id']}/assets", {"ids": [theirs]}, stranger)

    tags = h.asset(token, b)["tags"]
    assert [(t["id"], t["name"], t["value"], t["parentId"], t["color"]) for t in tags] == [
        (family["id"], "Family", "Family", None, None),
        (japan["id"], "Japan", "Travel/Japan", travel, "#00aa00"),
    ]
    assert h.asset(token, c)["tags"][0]["createdAt"] == family["createdAt"]
    assert {i: len(h.asset(token, i)["tags"]) for i in (a, b, c)} == {a: 1, b: 2, c: 1}
    # Lists leave tags to the asset's own JSON (no per-row subquery on a page of 1,000).
    listed = h.call("GET", "/api/assets", token=token).json["items"]
    assert {i["id"] for i in listed} == {a, b, c} and all("tags" not in i for i in listed)

    assert _search(h, token, tagIds=[japan["id"]]) == sorted([a, b])
    assert _search(h, token, tagIds=[travel]) == sorted([a, b])  # the parent finds its child
    assert _search(h, token, tagIds=[travel, family["id"]]) == [b]  # every tag asked for
    assert _search(h, token, tagIds=[family["id"], family["id"]]) == sorted([b, c])
    assert _search(h, token, tagIds=[family["id"]], originalFileName="c.jpg") == [c]
    # Another user's tag matches nothing of mine, and theirs is never returned.
    assert _search(h, token, tagIds=[their_tag["id"]]) == []
    assert _search(h, stranger, tagIds=[family["id"]]) == []
    bad = h.call("POST", "/api/search/metadata", {"tagIds": ["nope"]}, token)
    assert bad.status_code == 400 and bad.json["details"][0]["field"].startswith("tagIds")
