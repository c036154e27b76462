"""Albums over the API, for the owner, an editor, a viewer, a partner, a stranger and an
anonymous caller."""

from __future__ import annotations

import uuid

from tests.support.library import World


def test_created_album_has_assets_members_cover_and_dates(world: World) -> None:
    w, a = world, world.assets
    album = w.ok("GET", f"/api/albums/{w.album}", who="alice")
    assert album["albumName"] == "Trip" and album["ownerId"] == w.ids["alice"]
    assert album["owner"] == {"id": w.ids["alice"], "name": "alice", "email": "alice@example.com"}
    assert [x["id"] for x in album["assets"]] == [a["p2"], a["p1"]]  # newest first
    assert album["assetCount"] == 2 and album["albumThumbnailAssetId"] == a["p1"]
    assert album["startDate"].startswith("2024-03-10") and album["endDate"].startswith("2024-03-20")
    assert album["albumUsers"] == [
        {"user": {"id": w.ids["bob"], "name": "bob", "email": "bob@example.com"}, "role": "editor"},
        {
            "user": {"id": w.ids["carol"], "name": "carol", "email": "carol@example.com"},
            "role": "viewer",
        },
    ]
    assert album["shared"] is True and album["hasSharedLink"] is False


def test_who_can_read_the_album(world: World) -> None:
    w = world
    for who in ("alice", "bob", "carol"):
        got = w.ok("GET", f"/api/albums/{w.album}", who=who)
        assert {x["id"] for x in got["assets"]} == {w.assets["p1"], w.assets["p2"]}
    # A partner sees alice's library, not her albums; a stranger sees nothing.
    for who in ("dave", "eve"):
        r = w.call("GET", f"/api/albums/{w.album}", who=who)
        assert r.status_code == 404 and r.json["message"] == "Album not found"
    assert w.call("GET", f"/api/albums/{w.album}").status_code == 401
    assert w.call("GET", f"/api/albums/{uuid.uuid4()}", who="alice").status_code == 404
    assert w.call("GET", "/api/albums/not-a-uuid", who="alice").status_code == 404


def test_listing_owned_shared_and_not_shared(world: World) -> None:
    w = world
    solo = w.ok("POST", "/api/albums", {"albumName": "Solo"}, "alice", status=201)["id"]
    assert [x["id"] for x in w.ok("GET", "/api/albums", who="alice")] == [solo, w.album]
    assert [x["id"] for x in w.ok("GET", "/api/albums?shared=true", who="alice")] == [w.album]
    assert [x["id"] for x in w.ok("GET", "/api/albums?shared=false", who="alice")] == [solo]
    for who in ("bob", "carol"):
        assert w.ok("GET", "/api/albums", who=who) == []  # they own none
        shared = w.ok("GET", "/api/albums?shared=true", who=who)
        assert [x["id"] for x in shared] == [w.album] and shared[0]["assets"] == []
    for who in ("dave", "eve"):
        assert w.ok("GET", "/api/albums?shared=true", who=who) == []
    with_p3 = w.ok("GET", f"/api/albums?assetId={w.assets['p1']}", who="alice")
    assert [x["id"] for x in with_p3] == [w.album]


def test_add_assets_reports_each_result(world: World) -> None:
    w, a = world, world.assets
    ghost = str(uuid.uuid4())
    got = w.ok(
        "PUT", f"/api/albums/{w.album}/assets", {"ids": [a["p3"], a["p1"], a["e1"], ghost]}, "alice"
    )
    assert got == [
        {"id": a["p3"], "success": True, "error": None},
        {"id": a["p1"], "success": False, "error": "duplicate"},
        {"id": a["e1"], "success": False, "error": "no_permission"},
        {"id": ghost, "success": False, "error": "no_permission"},
    ]
    album = w.ok("GET", f"/api/albums/{w.album}", who="carol")
    assert {x["id"] for x in album["assets"]} == {a["p1"], a["p2"], a["p3"]}


def test_editor_adds_own_assets_viewer_and_others_cannot(world: World) -> None:
    w = world
    b1, c1 = w.assets["b1"], w.assets["c1"]
    got = w.ok("PUT", f"/api/albums/{w.album}/assets", {"ids": [b1]}, "bob")
    assert got == [{"id": b1, "success": True, "error": None}]
    # The viewer may read but not add: 403; outsiders get 404 (the album is not theirs to know).
    r = w.call("PUT", f"/api/albums/{w.album}/assets", {"ids": [c1]}, "carol")
    assert r.status_code == 403 and r.json["error"] == "Forbidden"
    for who in ("dave", "eve"):
        assert w.call("PUT", f"/api/albums/{w.album}/assets", {"ids": [c1]}, who).status_code == 404
    # Everyone in the album now sees bob's photo, including its owner-side JSON.
    album = w.ok("GET", f"/api/albums/{w.album}", who="alice")
    assert b1 in [x["id"] for x in album["assets"]] and album["assetCount"] == 3


def test_partner_cannot_put_partners_assets_in_own_album(world: World) -> None:
    w = world
    mine = w.ok(
        "POST",
        "/api/albums",
        {"albumName": "Dave's picks", "assetIds": [w.assets["p3"], w.assets["e1"], w.assets["d1"]]},
        "dave",
        status=201,
    )
    # Only his own: alice's (a partner reads, never re-shares) and eve's are left out.
    assert [x["id"] for x in mine["assets"]] == [w.assets["d1"]]


def test_remove_assets_and_cover_follow(world: World) -> None:
    w, a = world, world.assets
    r = w.call("DELETE", f"/api/albums/{w.album}/assets", {"ids": [a["p1"]]}, "carol")
    assert r.status_code == 403
    got = w.ok("DELETE", f"/api/albums/{w.album}/assets", {"ids": [a["p1"], a["p3"]]}, "bob")
    assert got == [
        {"id": a["p1"], "success": True, "error": None},
        {"id": a["p3"], "success": False, "error": "not_found"},
    ]
    album = w.ok("GET", f"/api/albums/{w.album}", who="alice")
    assert [x["id"] for x in album["assets"]] == [a["p2"]]
    assert album["albumThumbnailAssetId"] == a["p2"]  # the removed cover was replaced


def test_update_name_description_cover(world: World) -> None:
    w, a = world, world.assets
    got = w.ok(
        "PATCH",
        f"/api/albums/{w.album}",
        {"albumName": "Spring trip", "albumThumbnailAssetId": a["p2"]},
        "bob",
    )
    assert got["albumName"] == "Spring trip" and got["albumThumbnailAssetId"] == a["p2"]
    got = w.ok("PUT", f"/api/albums/{w.album}", {"description": "March 2024"}, "alice")
    assert got["description"] == "March 2024" and got["albumName"] == "Spring trip"
    bad = w.call("PUT", f"/api/albums/{w.album}", {"albumThumbnailAssetId": a["p3"]}, "alice")
    assert bad.status_code == 400 and bad.json["details"][0]["field"] == "albumThumbnailAssetId"
    assert w.call("PUT", f"/api/albums/{w.album}", {"albumName": "x"}, "carol").status_code == 403
    assert w.call("PUT", f"/api/albums/{w.album}", {"albumName": "x"}, "eve").status_code == 404
    assert w.ok("GET", f"/api/albums/{w.album}", who="carol")["albumName"] == "Spring trip"


def test_sharing_roles_and_leaving(world: World) -> None:
    w = world
    # Only the owner shares: the editor gets 403.
    r = w.call(
        "PUT",
        f"/api/albums/{w.album}/users",
        {"albumUsers": [{"userId": w.ids["eve"], "role": "viewer"}]},
        "bob",
    )
    assert r.status_code == 403
    got = w.ok(
        "PUT",
        f"/api/albums/{w.album}/users",
        {"albumUsers": [{"userId": w.ids["eve"], "role": "viewer"}]},
        "alice",
    )
    assert [m["user"]["id"] for m in got["albumUsers"]] == [
        w.ids["bob"],
        w.ids["carol"],
        w.ids["eve"],
    ]
    assert w.call("GET", f"/api/albums/{w.album}", who="eve").status_code == 200
    self_share = w.call(
        "PUT", f"/api/albums/{w.album}/users", {"albumUsers": [{"userId": w.ids["alice"]}]}, "alice"
    )
    assert self_share.status_code == 400
    # Promote carol to editor: now she may add.
    w.ok(
        "PUT",
        f"/api/albums/{w.album}/user/{w.ids['carol']}",
        {"role": "editor"},
        "alice",
        status=204,
    )
    assert (
        w.ok("PUT", f"/api/albums/{w.album}/assets", {"ids": [w.assets["p1"]]}, "carol")[0]["error"]
        == "duplicate"
    )
    # eve leaves; bob is removed by the owner; bob cannot remove carol.
    w.ok("DELETE", f"/api/albums/{w.album}/user/me", who="eve", status=204)
    assert w.call("GET", f"/api/albums/{w.album}", who="eve").status_code == 404
    assert (
        w.call("DELETE", f"/api/albums/{w.album}/user/{w.ids['carol']}", who="bob").status_code
        == 403
    )
    w.ok("DELETE", f"/api/albums/{w.album}/user/{w.ids['bob']}", who="alice", status=204)
    assert w.call("GET", f"/api/albums/{w.album}", who="bob").status_code == 404
    assert w.call("DELETE", f"/api/albums/{w.album}/user/me", who="alice").status_code == 400


def test_delete_album_owner_only_assets_stay(world: World) -> None:
    w = world
    assert w.call("DELETE", f"/api/albums/{w.album}", who="bob").status_code == 403
    assert w.call("DELETE", f"/api/albums/{w.album}", who="eve").status_code == 404
    w.ok("DELETE", f"/api/albums/{w.album}", who="alice", status=204)
    assert w.call("GET", f"/api/albums/{w.album}", who="alice").status_code == 404
    assert w.ok("GET", f"/api/assets/{w.assets['p1']}", who="alice")["id"] == w.assets["p1"]


def test_trashed_assets_leave_shared_views(world: World) -> None:
    w = world
    w.ok("DELETE", "/api/assets", {"ids": [w.assets["p1"]]}, "alice", status=204)
    album = w.ok("GET", f"/api/albums/{w.album}", who="bob")
    assert [x["id"] for x in album["assets"]] == [w.assets["p2"]] and album["assetCount"] == 1


def test_albums_come_in_pages_when_asked(world: World) -> None:
    w = world
    made = [
        w.ok("POST", "/api/albums", {"albumName": f"A{i}"}, "alice", status=201)["id"]
        for i in range(4)
    ]
    everything = [x["id"] for x in w.ok("GET", "/api/albums", who="alice")]
    assert everything == [*reversed(made), w.album]  # newest first, all without paging
    pages = [w.ok("GET", f"/api/albums?size=2&page={p}", who="alice") for p in (1, 2, 3, 4)]
    assert [[x["id"] for x in page] for page in pages] == [
        everything[0:2],
        everything[2:4],
        everything[4:5],
        [],
    ]
    assert pages[2][0]["albumName"] == "Trip" and pages[2][0]["assetCount"] == 2
    shared = w.ok("GET", "/api/albums?shared=true&size=1&page=1", who="bob")
    assert [x["id"] for x in shared] == [w.album]
    assert w.ok("GET", "/api/albums?shared=true&size=1&page=2", who="bob") == []
    # Another user's pages hold none of alice's albums.
    assert w.ok("GET", "/api/albums?size=10", who="eve") == []
    for bad in ("size=0", "size=1001", "page=0", "size=x"):
        r = w.call("GET", f"/api/albums?{bad}", who="alice")
        assert r.status_code == 400, bad


def test_albums_holding_an_asset_in_one_query_with_paging(world: World) -> None:
    w, a = world, world.assets
    other = w.ok("POST", "/api/albums", {"albumName": "Best", "assetIds": [a["p1"]]}, "alice", 201)
    w.ok("POST", "/api/albums", {"albumName": "Other", "assetIds": [a["p3"]]}, "alice", 201)
    holding = w.ok("GET", f"/api/albums?assetId={a['p1']}", who="alice")
    assert [x["id"] for x in holding] == [other["id"], w.album]
    second = w.ok("GET", f"/api/albums?assetId={a['p1']}&size=1&page=2", who="alice")
    assert [x["id"] for x in second] == [w.album]
    shared = w.ok("GET", f"/api/albums?shared=true&assetId={a['p2']}", who="carol")
    assert [x["id"] for x in shared] == [w.album]
    assert w.ok("GET", f"/api/albums?assetId={a['p3']}&shared=true", who="carol") == []
    assert w.ok("GET", f"/api/albums?assetId={uuid.uuid4()}", who="alice") == []


def test_album_counts_dates_and_order_follow_trash_restore_and_new_dates(world: World) -> None:
    """The album's rows carry each asset's time and trash state: changing either on the
    asset changes the album's count, range and order."""
    w, a = world, world.assets
    w.ok("PUT", f"/api/albums/{w.album}/assets", {"ids": [a["p3"]]}, "alice")
    album = w.ok("GET", f"/api/albums/{w.album}", who="alice")
    assert [x["id"] for x in album["assets"]] == [a["p2"], a["p1"], a["p3"]]
    assert album["startDate"].startswith("2023-12-25") and album["assetCount"] == 3

    w.ok(
        "PUT", f"/api/assets/{a['p3']}", {"dateTimeOriginal": "2024-04-01T10:00:00+00:00"}, "alice"
    )
    album = w.ok("GET", f"/api/albums/{w.album}", who="bob")
    assert [x["id"] for x in album["assets"]] == [a["p3"], a["p2"], a["p1"]]
    assert album["startDate"].startswith("2024-03-10") and album["endDate"].startswith("2024-04-01")

    w.ok("DELETE", "/api/assets", {"ids": [a["p3"], a["p2"]]}, "alice", status=204)
    listed = w.ok("GET", "/api/albums", who="alice")[0]
    assert listed["assetCount"] == 1 and listed["endDate"].startswith("2024-03-10")
    w.ok("POST", "/api/trash/restore", {"ids": [a["p2"]]}, "alice")
    album = w.ok("GET", f"/api/albums/{w.album}", who="alice")
    assert [x["id"] for x in album["assets"]] == [a["p2"], a["p1"]] and album["assetCount"] == 2
