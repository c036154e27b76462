"""The library's fixture: a small family library (tests.support.library.World)."""

from __future__ import annotations

import pytest

from tests.support.harness import Harness
from tests.support.library import DATES, World


@pytest.fixture
def world(harness: Harness) -> World:
    w = World(harness)
    for name in ("alice", "bob", "carol", "dave", "eve"):
        w.add_user(name)
    w.add_photos(
        [("alice", name, seed, DATES[name]) for seed, name in enumerate(DATES, 1)]
        + [
            ("eve", "e1", 9, "2024-03-15T12:00:00Z"),
            ("bob", "b1", 21, "2024-03-12T12:00:00Z"),
            ("carol", "c1", 22, "2024-03-13T12:00:00Z"),
            ("dave", "d1", 31, "2024-03-11T12:00:00Z"),
        ]
    )
    album = w.ok(
        "POST",
        "/api/albums",
        {
            "albumName": "Trip",
            "assetIds": [w.assets["p1"], w.assets["p2"]],
            "albumUsers": [
                {"userId": w.ids["bob"], "role": "editor"},
                {"userId": w.ids["carol"], "role": "viewer"},
            ],
        },
        "alice",
        status=201,
    )
    w.album = album["id"]
    w.ok("POST", f"/api/partners/{w.ids['dave']}", who="alice", status=201)
    return w
