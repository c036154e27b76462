"""Timeline buckets and bucket contents: counts equal the assets listed, filters compose,
partners and albums widen the scope only as access allows."""

from __future__ import annotations

from tests.support.library import World


def _listed(w: World, who: str, params: str, size: str = "MONTH") -> dict[str, list[str]]:
    """Every bucket's asset ids, fetched one bucket at a time (and checked against counts)."""
    buckets = w.ok("GET", f"/api/timeline/buckets?size={size}{params}", who=who)
    out = {}
    for b in buckets:
        assets = w.ok(
            "GET", f"/api/timeline/bucket?size={size}&timeBucket={b['timeBucket']}{params}", who=who
        )
        assert len(assets) == b["count"], (b, assets)
        out[b["timeBucket"][:10]] = [a["id"] for a in assets]
    return out


def test_months_and_days_newest_first_with_layout_fields(world: World) -> None:
    w, a = world, world.assets
    buckets = w.ok("GET", "/api/timeline/buckets", who="alice")
    assert buckets == [
        {"timeBucket": "2024-03-01T00:00:00.000Z", "count": 2},
        {"timeBucket": "2023-12-01T00:00:00.000Z", "count": 1},
    ]
    assert _listed(w, "alice", "") == {"2024-03-01": [a["p2"], a["p1"]], "2023-12-01": [a["p3"]]}
    assert _listed(w, "alice", "", size="DAY") == {
        "2024-03-20": [a["p2"]],
        "2024-03-10": [a["p1"]],
        "2023-12-25": [a["p3"]],
    }
    one = w.ok("GET", "/api/timeline/bucket?timeBucket=2024-03-01", who="alice")[0]
    assert one == {
        "id": a["p2"],
        "ownerId": w.ids["alice"],
        "type": "IMAGE",
        "thumbhash": one["thumbhash"],
        "ratio": 64 / 48,
        "duration": None,
        "isFavorite": False,
        "isArchived": False,
        "isTrashed": False,
        "localDateTime": "2024-03-20T09:00:00",
        "livePhotoVideoId": None,  # no motion part
        "stack": None,  # not a stack's primary
    }
    assert one["thumbhash"]  # the pipeline's thumbhash, for the grid placeholder


def test_filters_compose(world: World) -> None:
    w, a = world, world.assets
    w.ok("PUT", f"/api/assets/{a['p1']}", {"isFavorite": True}, "alice")
    w.ok("PUT", f"/api/assets/{a['p3']}", {"isFavorite": True, "isArchived": True}, "alice")
    w.ok("DELETE", "/api/assets", {"ids": [a["p2"]]}, "alice", status=204)
    assert _listed(w, "alice", "") == {"2024-03-01": [a["p1"]], "2023-12-01": [a["p3"]]}
    assert _listed(w, "alice", "&isFavorite=true") == {
        "2024-03-01": [a["p1"]],
        "2023-12-01": [a["p3"]],
    }
    assert _listed(w, "alice", "&isFavorite=true&isArchived=false") == {"2024-03-01": [a["p1"]]}
    assert _listed(w, "alice", "&isArchived=true") == {"2023-12-01": [a["p3"]]}
    assert _listed(w, "alice", "&isTrashed=true") == {"2024-03-01": [a["p2"]]}
    assert _listed(w, "alice", "&isTrashed=true&isFavorite=true") == {}
    assert _listed(w, "alice", f"&albumId={w.album}&isFavorite=true") == {"2024-03-01": [a["p1"]]}
    assert _listed(w, "alice", f"&albumId={w.album}&isFavorite=false") == {}


def test_only_ready_assets(world: World) -> None:
    w = world
    started = w.h.start_upload(w.tokens["alice"], "never-sent.jpg", b"not uploaded")
    assert started.status_code == 201  # pending forever: not in the timeline
    assert sum(b["count"] for b in w.ok("GET", "/api/timeline/buckets", who="alice")) == 3


def test_album_scope_follows_album_access(world: World) -> None:
    w, a = world, world.assets
    for who in ("alice", "bob", "carol"):
        assert _listed(w, who, f"&albumId={w.album}") == {"2024-03-01": [a["p2"], a["p1"]]}
    for who in ("dave", "eve"):
        r = w.call("GET", f"/api/timeline/buckets?albumId={w.album}", who=who)
        assert r.status_code == 404
        r = w.call("GET", f"/api/timeline/bucket?timeBucket=2024-03-01&albumId={w.album}", who=who)
        assert r.status_code == 404
    assert w.call("GET", "/api/timeline/buckets").status_code == 401


def test_partners_only_when_in_timeline_and_not_archived(world: World) -> None:
    w, a = world, world.assets
    dave_own = a["d1"]
    assert _listed(w, "dave", "&withPartners=true") == {"2024-03-01": [dave_own]}
    w.ok("PUT", f"/api/partners/{w.ids['alice']}", {"inTimeline": True}, "dave")
    w.ok("PUT", f"/api/assets/{a['p3']}", {"isArchived": True}, "alice")
    assert _listed(w, "dave", "&withPartners=true") == {"2024-03-01": [a["p2"], dave_own, a["p1"]]}
    assert _listed(w, "dave", "") == {"2024-03-01": [dave_own]}  # not asked for
    # eve is nobody's partner: her timeline is hers alone.
    assert _listed(w, "eve", "&withPartners=true") == {"2024-03-01": [a["e1"]]}
    for bad in ("isArchived=true", "isTrashed=true", "isFavorite=true"):
        r = w.call("GET", f"/api/timeline/buckets?withPartners=true&{bad}", who="dave")
        assert r.status_code == 400 and r.json["details"][0]["field"] == "withPartners"


def test_person_filter_composes_and_stays_in_my_library(world: World) -> None:
    w, a = world, world.assets
    # Faces come from the ML stage (tests/integration/ml); here one is written directly.
    with w.h.container.pool.connection() as conn:
        person = conn.execute(
            "INSERT INTO people (owner_id, name) VALUES (%s, 'Grandma') RETURNING id",
            (w.ids["alice"],),
        ).fetchone()["id"]
        for name in ("p1", "p3"):
            conn.execute(
                "INSERT INTO asset_faces (asset_id, owner_id, person_id, image_width,"
                " image_height, x1, y1, x2, y2, landmarks, score, model_id, embedding,"
                " thumbnail_key) VALUES (%s, %s, %s, 64, 48, 1, 1, 10, 10, %s, 0.9, 'test',"
                " %s::halfvec, 'k')",
                (a[name], w.ids["alice"], person, [0.0] * 10, str([0.1] * 128)),
            )
    assert _listed(w, "alice", f"&personId={person}") == {
        "2024-03-01": [a["p1"]],
        "2023-12-01": [a["p3"]],
    }
    assert _listed(w, "alice", f"&personId={person}&albumId={w.album}") == {"2024-03-01": [a["p1"]]}
    # Someone else's person id matches nothing, even in a shared album.
    assert _listed(w, "bob", f"&personId={person}&albumId={w.album}") == {}
