"""Partners over the API: share, list both directions, show in timeline, read-only access,
removal."""

from __future__ import annotations

import uuid

from tests.support.library import World


def test_share_and_list_both_directions(world: World) -> None:
    w = world
    dave = {"id": w.ids["dave"], "name": "dave", "email": "dave@example.com"}
    assert w.ok("GET", "/api/partners?direction=shared-by", who="alice") == [
        {**dave, "inTimeline": None}
    ]
    assert w.ok("GET", "/api/partners?direction=shared-with", who="dave") == [
        {"id": w.ids["alice"], "name": "alice", "email": "alice@example.com", "inTimeline": False}
    ]
    assert w.ok("GET", "/api/partners?direction=shared-with", who="alice") == []
    assert w.ok("GET", "/api/partners?direction=shared-by", who="eve") == []
    bad = w.call("GET", "/api/partners?direction=sideways", who="alice")
    assert bad.status_code == 400 and bad.json["details"][0]["field"] == "direction"
    assert w.call("GET", "/api/partners?direction=shared-by").status_code == 401


def test_share_errors(world: World) -> None:
    w = world
    assert w.call("POST", f"/api/partners/{w.ids['dave']}", who="alice").status_code == 409
    assert w.call("POST", f"/api/partners/{w.ids['alice']}", who="alice").status_code == 400
    assert w.call("POST", f"/api/partners/{uuid.uuid4()}", who="alice").status_code == 404


def test_partner_reads_but_cannot_change(world: World) -> None:
    w, p1 = world, world.assets["p1"]
    # Read-only access through the partnership reaches media (services/media.py's seam).
    r = w.call("GET", f"/api/assets/{p1}/thumbnail", who="dave")
    assert r.status_code == 302 and "thumbnail.webp" in r.headers["Location"]
    for who in ("eve", "bob"):  # bob is only in the album, which does not hold p3
        assert w.call("GET", f"/api/assets/{w.assets['p3']}/thumbnail", who=who).status_code == 404
    # Changing it is the owner's business.
    assert w.call("PUT", f"/api/assets/{p1}", {"isFavorite": True}, "dave").status_code == 404
    assert w.ok("GET", f"/api/assets/{p1}", who="alice")["isFavorite"] is False


def test_in_timeline_and_removal(world: World) -> None:
    w = world
    got = w.ok("PUT", f"/api/partners/{w.ids['alice']}", {"inTimeline": True}, "dave")
    assert got == {
        "id": w.ids["alice"],
        "name": "alice",
        "email": "alice@example.com",
        "inTimeline": True,
    }
    # Only the one shared *with* me can be put in my timeline.
    assert (
        w.call("PUT", f"/api/partners/{w.ids['dave']}", {"inTimeline": True}, "alice").status_code
        == 404
    )
    buckets = w.ok("GET", "/api/timeline/buckets?withPartners=true", who="dave")
    assert sum(b["count"] for b in buckets) == 4  # alice's three and his own
    # alice stops sharing: dave loses the timeline and the thumbnails.
    assert w.call("DELETE", f"/api/partners/{w.ids['alice']}", who="dave").status_code == 404
    w.ok("DELETE", f"/api/partners/{w.ids['dave']}", who="alice", status=204)
    assert w.ok("GET", "/api/timeline/buckets?withPartners=true", who="dave") == [
        {"timeBucket": "2024-03-01T00:00:00.000Z", "count": 1}
    ]
    thumb = w.call("GET", f"/api/assets/{w.assets['p1']}/thumbnail", who="dave")
    assert thumb.status_code == 404
    assert w.ok("GET", "/api/partners?direction=shared-with", who="dave") == []


def test_partner_never_sees_trash(world: World) -> None:
    w, p3 = world, world.assets["p3"]
    w.ok("DELETE", "/api/assets", {"ids": [p3]}, "alice", status=204)
    assert w.call("GET", f"/api/assets/{p3}/thumbnail", who="dave").status_code == 404
    assert w.call("GET", f"/api/assets/{p3}/thumbnail", who="alice").status_code == 302


def test_partner_and_album_member_read_asset_json_and_original(world: World) -> None:
    w, p1 = world, world.assets["p1"]
    # dave (partner) gets the same asset JSON as alice, read-only.
    assert w.ok("GET", f"/api/assets/{p1}", who="dave")["id"] == p1
    assert w.ok("GET", f"/api/assets/{p1}", who="dave")["ownerId"] == w.ids["alice"]
    original = w.call("GET", f"/api/assets/{p1}/original", who="dave")
    assert original.status_code == 302 and "/original." in original.headers["Location"]
    # eve shares nothing with alice: the asset does not exist for her.
    assert w.call("GET", f"/api/assets/{p1}", who="eve").status_code == 404
    assert w.call("GET", f"/api/assets/{p1}/original", who="eve").status_code == 404
    # Trash, favorite and delete stay with the owner.
    r = w.call("DELETE", "/api/assets", {"ids": [p1], "force": True}, "dave")
    assert r.status_code == 404
    assert w.ok("GET", f"/api/assets/{p1}", who="alice")["isTrashed"] is False


def test_pipeline_stages_and_their_errors_are_the_owners_alone(world: World) -> None:
    w, p1 = world, world.assets["p1"]
    with w.h.container.pool.connection() as conn:  # a storage error the owner should see
        conn.execute(
            "UPDATE asset_stages SET error = 'will retry after S3 503 at internal-host'"
            " WHERE asset_id = %s AND stage = 'thumbnail'",
            (p1,),
        )
    mine = {s["stage"]: s for s in w.ok("GET", f"/api/assets/{p1}", who="alice")["stages"]}
    assert mine["thumbnail"]["error"] == "will retry after S3 503 at internal-host"
    # dave (partner) and carol (album viewer) see the photo, not its pipeline's messages.
    assert w.ok("GET", f"/api/assets/{p1}", who="dave")["stages"] == []
    assert w.ok("GET", f"/api/assets/{p1}", who="carol")["stages"] == []
    # An album lists summaries, which carry no stages for anyone (the owner reads them on
    # the asset itself).
    for who in ("carol", "alice"):
        album = w.ok("GET", f"/api/albums/{w.album}", who=who)
        assert len(album["assets"]) == 2 and all("stages" not in a for a in album["assets"])
