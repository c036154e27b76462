"""Likes and comments on a shared album (``/api/activities``): members read and add, one like
per person and target, authors (or the album's owner) delete, and nobody outside the album
sees or touches any of it."""

from __future__ import annotations

from tests.support.library import World


def _activity(w: World, who: str, **body: object) -> dict:
    return w.ok("POST", "/api/activities", {"albumId": w.album, **body}, who, status=201)


def test_members_like_and_comment_and_read_it_all(world: World) -> None:
    w = world
    p1 = w.assets["p1"]
    hello = _activity(w, "bob", type="comment", comment="What a trip!\nAgain?")
    assert (hello["type"], hello["comment"], hello["assetId"]) == (
        "comment",
        "What a trip!\nAgain?",
        None,
    )
    assert hello["user"] == {"id": w.ids["bob"], "name": "bob", "email": "bob@example.com"}
    like = _activity(w, "carol", type="like", assetId=p1)  # a viewer may like and comment
    again = w.call(
        "POST", "/api/activities", {"albumId": w.album, "type": "like", "assetId": p1}, "carol"
    )
    assert again.status_code == 200 and again.json["id"] == like["id"]  # one like per target
    album_like = _activity(w, "carol", type="like")  # the album itself is another target
    note = _activity(w, "alice", type="comment", comment="p1 is the best", assetId=p1)

    everything = w.ok("GET", f"/api/activities?albumId={w.album}", who="bob")
    assert [a["id"] for a in everything] == [hello["id"], like["id"], album_like["id"], note["id"]]
    on_p1 = w.ok("GET", f"/api/activities?albumId={w.album}&assetId={p1}", who="alice")
    assert [a["id"] for a in on_p1] == [like["id"], note["id"]]
    likes = w.ok("GET", f"/api/activities?albumId={w.album}&type=like&level=album", who="carol")
    assert [a["id"] for a in likes] == [album_like["id"]]
    bobs = w.ok("GET", f"/api/activities?albumId={w.album}&userId={w.ids['bob']}", who="carol")
    assert [a["id"] for a in bobs] == [hello["id"]]

    stats = w.ok("GET", f"/api/activities/statistics?albumId={w.album}", who="bob")
    assert stats == {"comments": 2, "likes": 2}
    stats = w.ok("GET", f"/api/activities/statistics?albumId={w.album}&assetId={p1}", who="bob")
    assert stats == {"comments": 1, "likes": 1}


def test_authors_and_the_album_owner_delete_nobody_else(world: World) -> None:
    w = world
    mine = _activity(w, "bob", type="comment", comment="mine")
    theirs = _activity(w, "carol", type="comment", comment="carol's")
    r = w.call("DELETE", f"/api/activities/{theirs['id']}", who="bob")
    assert r.status_code == 403
    assert r.json["message"] == "Only its author or the album's owner may delete it"
    assert w.call("DELETE", f"/api/activities/{mine['id']}", who="bob").status_code == 204
    assert w.call("DELETE", f"/api/activities/{theirs['id']}", who="alice").status_code == 204
    assert w.ok("GET", f"/api/activities?albumId={w.album}", who="alice") == []
    gone = w.call("DELETE", f"/api/activities/{mine['id']}", who="bob")
    assert gone.status_code == 404


def test_outsiders_see_and_touch_nothing(world: World) -> None:
    w = world
    comment = _activity(w, "bob", type="comment", comment="members only")
    # dave is alice's partner (he sees her photos) but not in the album; eve is a stranger.
    for who in ("dave", "eve"):
        listed = w.call("GET", f"/api/activities?albumId={w.album}", who=who)
        assert listed.status_code == 404 and listed.json["message"] == "Album not found"
        stats = w.call("GET", f"/api/activities/statistics?albumId={w.album}", who=who)
        assert stats.status_code == 404
        post = w.call("POST", "/api/activities", {"albumId": w.album, "type": "like"}, who=who)
        assert post.status_code == 404
        delete = w.call("DELETE", f"/api/activities/{comment['id']}", who=who)
        assert delete.status_code == 404 and delete.json["message"] == "Activity not found"
    assert [a["id"] for a in w.ok("GET", f"/api/activities?albumId={w.album}", who="bob")] == [
        comment["id"]
    ]
    assert w.call("GET", f"/api/activities?albumId={w.album}").status_code == 401


def test_bad_activities_are_refused_naming_the_field(world: World) -> None:
    w = world
    cases = [
        ({"type": "comment"}, "comment"),
        ({"type": "like", "comment": "text"}, "comment"),
        ({"type": "love"}, "type"),
        ({"type": "comment", "comment": ""}, "comment"),
    ]
    for body, field in cases:
        r = w.call("POST", "/api/activities", {"albumId": w.album, **body}, "bob")
        assert r.status_code == 400 and r.json["details"][0]["field"] == field, (body, r.body)
    # p3 is alice's, but not in the album.
    r = w.call(
        "POST",
        "/api/activities",
        {"albumId": w.album, "type": "like", "assetId": w.assets["p3"]},
        "alice",
    )
    assert r.status_code == 400 and r.json["details"] == [
        {"field": "assetId", "message": "not in the album"}
    ]
    r = w.call("GET", "/api/activities", who="bob")
    assert r.status_code == 400 and r.json["details"][0]["field"] == "albumId"
    assert w.ok("GET", f"/api/activities?albumId={w.album}", who="bob") == []
