"""The per-user counters (user_asset_stats) and the timeline's month counts
(timeline_months) follow every change to assets in the same transaction, whichever
statement makes it, and equal a count over the rows."""

from __future__ import annotations

from typing import Any

import psycopg
import pytest
from psycopg.rows import dict_row

from bench.common import insert_ready_assets
from chalicelib.container import Container
from tests.support.api import Api

# Counts leave out Live Photos' motion parts (hidden: part of their still); bytes leave out
# external libraries' assets (their objects are the user's own, never stored by Skyroll).
COUNTED = (
    "SELECT count(*) FILTER (WHERE type = 'IMAGE' AND live) AS images,"
    " count(*) FILTER (WHERE type = 'VIDEO' AND live) AS videos,"
    " count(*) FILTER (WHERE is_favorite AND live) AS favorites,"
    " count(*) FILTER (WHERE is_archived AND live) AS archived,"
    " count(*) FILTER (WHERE shown AND trashed_at IS NOT NULL) AS trashed,"
    " count(*) FILTER (WHERE shown AND status = 'failed') AS failed,"
    " count(*) FILTER (WHERE shown AND status IN ('pending', 'processing')) AS pending,"
    " count(*) FILTER (WHERE shown AND type = 'IMAGE' AND status IN ('ready', 'processing'))"
    "   AS photos_kept,"
    " count(*) FILTER (WHERE shown AND type = 'VIDEO' AND status IN ('ready', 'processing'))"
    "   AS videos_kept,"
    " coalesce(sum(file_size) FILTER (WHERE stored AND type = 'IMAGE' AND status <> 'failed'),"
    "   0) AS bytes_photos,"
    " coalesce(sum(file_size) FILTER (WHERE stored AND type = 'VIDEO' AND status <> 'failed'),"
    "   0) AS bytes_videos"
    " FROM (SELECT *, shown AND status = 'ready' AND trashed_at IS NULL AS live"
    "       FROM (SELECT *, visibility <> 'hidden' AS shown, library_id IS NULL AS stored"
    "             FROM assets WHERE owner_id = %s) a) x"
)


def _user(api: Api, admin_token: str, name: str) -> str:
    r = api.call(
        "POST",
        "/api/admin/users",
        {"email": f"{name}@example.com", "password": "password-123", "name": name},
        token=admin_token,
    )
    assert r.status_code == 201, r.body
    return str(r.json["id"])


def _counters(conn: Any, owner: str) -> tuple[dict[str, Any], dict[str, Any]]:
    kept = conn.execute(
        "SELECT images, videos, favorites, archived, trashed, failed, pending, photos_kept,"
        " videos_kept, bytes_photos, bytes_videos FROM user_asset_stats WHERE owner_id = %s",
        (owner,),
    ).fetchone()
    return dict(kept or {}), dict(conn.execute(COUNTED, (owner,)).fetchone())


MONTHS_KEPT = (
    "SELECT month, is_archived, is_favorite, is_trashed, count FROM timeline_months"
    " WHERE owner_id = %s AND count <> 0 ORDER BY 1, 2, 3, 4"
)
MONTHS_COUNTED = (
    "SELECT date_trunc('month', coalesce(local_date_time, file_created_at) AT TIME ZONE 'UTC')"
    " AS month, is_archived, is_favorite, trashed_at IS NOT NULL AS is_trashed, count(*)"
    " FROM assets WHERE owner_id = %s AND status = 'ready' AND visibility = 'timeline'"
    " GROUP BY 1, 2, 3, 4 ORDER BY 1, 2, 3, 4"
)


def _months(conn: Any, owner: str) -> tuple[list[Any], list[Any]]:
    return (
        [tuple(r.values()) for r in conn.execute(MONTHS_KEPT, (owner,)).fetchall()],
        [tuple(r.values()) for r in conn.execute(MONTHS_COUNTED, (owner,)).fetchall()],
    )


def test_counters_follow_inserts_updates_and_deletes(
    api: Api, container: Container, admin_token: str
) -> None:
    alice, bob = _user(api, admin_token, "alice"), _user(api, admin_token, "bob")
    with psycopg.connect(container.settings.database_url, row_factory=dict_row) as conn:
        ids = insert_ready_assets(conn, alice, 40, prefix="a/")
        insert_ready_assets(conn, bob, 3, prefix="b/")
        kept, counted = _counters(conn, alice)
        assert kept == counted and kept["images"] == 40 and kept["bytes_photos"] == 40_000
        steps = [
            ("UPDATE assets SET type = 'VIDEO', file_size = 5000 WHERE id = ANY(%s)", ids[:5]),
            ("UPDATE assets SET is_favorite = true WHERE id = ANY(%s)", ids[3:9]),
            ("UPDATE assets SET is_archived = true WHERE id = ANY(%s)", ids[8:10]),
            ("UPDATE assets SET trashed_at = now() WHERE id = ANY(%s)", ids[:4]),
            ("UPDATE assets SET status = 'failed' WHERE id = ANY(%s)", ids[10:12]),
            ("UPDATE assets SET status = 'processing' WHERE id = ANY(%s)", ids[12:15]),
            ("UPDATE assets SET thumbhash = 'x' WHERE id = ANY(%s)", ids),  # counts nothing
            ("UPDATE assets SET processing_started_at = now() WHERE id = ANY(%s)", ids),
            ("UPDATE assets SET file_size = 7000 WHERE id = ANY(%s)", ids[15:18]),
            (  # a month from the file's time when the asset has no local time
                "UPDATE assets SET local_date_time = NULL,"
                " file_created_at = now() - interval '800 days' WHERE id = ANY(%s)",
                ids[36:38],
            ),
            (
                "UPDATE assets SET local_date_time = now() - interval '400 days'"
                " WHERE id = ANY(%s)",
                ids[20:30],
            ),
            ("DELETE FROM assets WHERE id = ANY(%s)", ids[2:6] + ids[11:13]),
            ("UPDATE assets SET trashed_at = NULL WHERE id = ANY(%s)", ids),
            # A Live Photo's motion part, then trashed with its still and restored.
            (
                "UPDATE assets SET type = 'VIDEO', visibility = 'hidden' WHERE id = ANY(%s)",
                ids[30:33],
            ),
            ("UPDATE assets SET trashed_at = now() WHERE id = ANY(%s)", ids[29:33]),
            ("UPDATE assets SET trashed_at = NULL WHERE id = ANY(%s)", ids[29:33]),
            # Assets of an external library (the library row is inserted first).
            ("UPDATE assets SET library_id = %(lib)s WHERE id = ANY(%(ids)s)", ids[33:36]),
            ("UPDATE assets SET library_id = NULL WHERE id = ANY(%(ids)s)", ids[35:36]),
        ]
        library = conn.execute(
            "INSERT INTO libraries (owner_id, name, bucket, prefix) VALUES (%s, 'L', 'b', '')"
            " RETURNING id",
            (alice,),
        ).fetchone()["id"]
        for sql, chosen in steps:
            conn.execute(sql, {"lib": library, "ids": chosen} if "%(" in sql else (chosen,))
            kept, counted = _counters(conn, alice)
            assert kept == counted, sql
            months_kept, months_counted = _months(conn, alice)
            assert months_kept == months_counted and months_kept, sql
        assert _counters(conn, bob)[0]["images"] == 3  # another owner's counters untouched
        conn.commit()
    # The routes read the counters.
    token = api.login("alice@example.com", "password-123")
    stats = api.call("GET", "/api/assets/statistics", token=token).json
    assert (stats["images"], stats["videos"], stats["failed"], stats["pending"]) == (
        counted["images"],
        counted["videos"],
        counted["failed"],
        counted["pending"],
    )
    usage = api.call("GET", "/api/users/me/usage", token=token).json
    assert usage["usage"] == counted["bytes_photos"] + counted["bytes_videos"]
    assert (usage["photos"], usage["videos"]) == (counted["photos_kept"], counted["videos_kept"])


def test_a_user_without_assets_has_zero_usage(api: Api, user_token: str) -> None:
    usage = api.call("GET", "/api/users/me/usage", token=user_token).json
    assert (usage["usage"], usage["photos"], usage["videos"]) == (0, 0, 0)
    stats = api.call("GET", "/api/assets/statistics", token=user_token).json
    assert stats["total"] == 0 and stats["usageBytes"] == 0


def test_motion_parts_and_library_assets_in_the_counts_and_the_quota(
    api: Api, container: Container, admin_token: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The ticket's URL is signed locally: any credentials do, no AWS is reached.
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    r = api.call(
        "POST",
        "/api/admin/users",
        {
            "email": "quota@example.com",
            "password": "password-123",
            "name": "quota",
            "quotaSizeInBytes": 10_000,
        },
        token=admin_token,
    )
    assert r.status_code == 201, r.body
    owner = str(r.json["id"])
    with psycopg.connect(container.settings.database_url, row_factory=dict_row) as conn:
        ids = insert_ready_assets(conn, owner, 5, prefix="q/")  # 1,000 bytes each
        photos, in_place = ids[:3], ids[3:]
        # One is a Live Photo's motion part: stored (its bytes count), never counted as a video.
        conn.execute(
            "UPDATE assets SET type = 'VIDEO', visibility = 'hidden', file_size = 2000"
            " WHERE id = %s",
            (photos[0],),
        )
        conn.execute(
            "UPDATE assets SET live_photo_video_id = %s WHERE id = %s", (photos[0], photos[1])
        )
        library = conn.execute(
            "INSERT INTO libraries (owner_id, name, bucket, prefix) VALUES (%s, 'L', 'own', '')"
            " RETURNING id",
            (owner,),
        ).fetchone()["id"]
        conn.execute(
            "UPDATE assets SET library_id = %s, file_size = 1000000 WHERE id = ANY(%s)",
            (library, in_place),
        )
        conn.commit()
    token = api.login("quota@example.com", "password-123")
    stats = api.call("GET", "/api/assets/statistics", token=token).json
    # Two photos of mine and two in my bucket; the motion part is its still's.
    assert (stats["images"], stats["videos"], stats["total"]) == (4, 0, 4)
    assert stats["usageBytes"] == 1000 + 1000 + 2000  # my photos and the motion part
    usage = api.call("GET", "/api/users/me/usage", token=token).json
    assert (usage["photos"], usage["videos"], usage["usage"]) == (4, 0, 4000)
    assert usage["quotaRemainingInBytes"] == 6000
    server = api.call("GET", "/api/server/statistics", token=admin_token).json
    mine = next(u for u in server["usageByUser"] if u["userId"] == owner)
    assert (mine["photos"], mine["videos"], mine["usage"], mine["usageVideos"]) == (
        4,
        0,
        4000,
        2000,
    )
    # The quota check counts what Skyroll stores: 4,000 of 10,000 bytes.
    body = {
        "filename": "big.jpg",
        "checksum": "a" * 64,
        "contentType": "image/jpeg",
        "fileCreatedAt": "2024-01-01T00:00:00Z",
        "fileModifiedAt": "2024-01-01T00:00:00Z",
    }
    r = api.call("POST", "/api/assets/uploads", {**body, "size": 6001}, token=token)
    assert r.status_code == 413, r.body
    assert r.json["message"] == (
        "Upload of 6001 bytes exceeds your quota: 4000 of 10000 bytes used"
    )
    r = api.call("POST", "/api/assets/uploads", {**body, "size": 6000}, token=token)
    assert (r.status_code, r.json["status"]) == (201, "created"), r.body
