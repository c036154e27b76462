"""The access module's whole table, asked directly (the API tests show the same answers
route by route): for each caller and permission, which assets / albums pass."""

from __future__ import annotations

from uuid import UUID

from chalicelib.services.access import AccessService, Perm, Visitor
from chalicelib.services.auth import AuthUser
from tests.support.library import World


def _user(w: World, name: str) -> AuthUser:
    return AuthUser(UUID(w.ids[name]), f"{name}@example.com", name, False, None)


def _names(w: World, ids: set[UUID]) -> set[str]:
    by_id = {UUID(v): k for k, v in w.assets.items()} | {UUID(w.album): "album"}
    return {by_id[i] for i in ids}


def test_asset_and_album_permissions_per_role(world: World) -> None:
    w = world
    access: AccessService = w.h.container.access_service
    assets = [UUID(i) for i in w.assets.values()]
    album = [UUID(w.album)]
    expected_assets = {
        # caller: (read, download, share)
        "alice": ({"p1", "p2", "p3"}, {"p1", "p2", "p3"}, {"p1", "p2", "p3"}),
        "bob": ({"p1", "p2", "b1"}, {"p1", "p2", "b1"}, {"b1"}),
        "carol": ({"p1", "p2", "c1"}, {"p1", "p2", "c1"}, {"c1"}),
        # A partner reads and downloads, and shares only what is his own.
        "dave": ({"p1", "p2", "p3", "d1"}, {"p1", "p2", "p3", "d1"}, {"d1"}),
        "eve": ({"e1"}, {"e1"}, {"e1"}),
    }
    for name, (read, download, share) in expected_assets.items():
        who = _user(w, name)
        assert _names(w, access.check(who, Perm.ASSET_READ, assets)) == read, name
        assert _names(w, access.check(who, Perm.ASSET_DOWNLOAD, assets)) == download, name
        assert _names(w, access.check(who, Perm.ASSET_SHARE, assets)) == share, name
    expected_album = {
        "alice": set(Perm) - {Perm.ASSET_READ, Perm.ASSET_DOWNLOAD, Perm.ASSET_SHARE},
        "bob": {
            Perm.ALBUM_READ,
            Perm.ALBUM_DOWNLOAD,
            Perm.ALBUM_UPDATE,
            Perm.ALBUM_ADD_ASSET,
            Perm.ALBUM_REMOVE_ASSET,
        },
        "carol": {Perm.ALBUM_READ, Perm.ALBUM_DOWNLOAD},
        "dave": set(),
        "eve": set(),
    }
    album_perms = [p for p in Perm if p.value.startswith("album.")]
    for name, allowed in expected_album.items():
        got = {p for p in album_perms if access.check(_user(w, name), p, album)}
        assert got == allowed, name


def test_visitor_permissions_follow_the_link_flags(world: World) -> None:
    w = world
    access: AccessService = w.h.container.access_service
    link = w.ok(
        "POST",
        "/api/shared-links",
        {"type": "ALBUM", "albumId": w.album, "allowDownload": False},
        "alice",
        status=201,
    )
    visitor = access.visitor(key=link["key"], token=None, password=None, client=None)
    assert isinstance(visitor, Visitor) and visitor.album_id == UUID(w.album)
    assets = [UUID(i) for i in w.assets.values()]
    assert _names(w, access.check(visitor, Perm.ASSET_READ, assets)) == {"p1", "p2"}
    assert access.check(visitor, Perm.ASSET_DOWNLOAD, assets) == set()
    assert access.check(visitor, Perm.ASSET_SHARE, assets) == set()
    album_perms = [p for p in Perm if p.value.startswith("album.")]
    assert {p for p in album_perms if access.check(visitor, p, [UUID(w.album)])} == {
        Perm.ALBUM_READ
    }
    w.ok(
        "PATCH",
        f"/api/shared-links/{link['id']}",
        {"allowDownload": True, "allowUpload": True},
        "alice",
    )
    visitor = access.visitor(key=link["key"], token=None, password=None, client=None)
    assert _names(w, access.check(visitor, Perm.ASSET_DOWNLOAD, assets)) == {"p1", "p2"}
    assert {p for p in album_perms if access.check(visitor, p, [UUID(w.album)])} == {
        Perm.ALBUM_READ,
        Perm.ALBUM_DOWNLOAD,
        Perm.ALBUM_ADD_ASSET,
    }
    # The media seam answers with the row only when read access passes.
    assert access.media_seam(visitor, UUID(w.assets["p1"]))["id"] == UUID(w.assets["p1"])
    assert access.media_seam(visitor, UUID(w.assets["p3"])) is None
