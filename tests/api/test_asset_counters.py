"""The per-user counters (user_asset_stats) and the timeline's month counts
(timeline_months) follow every change to assets in the same transaction, whichever
statement makes it, and equal a count over the rows."""

from __future__ import annotations

from typing import Any

import psycopg
from psycopg.rows import dict_row

from bench.common import insert_ready_assets
from chalicelib.container import Container
from tests.support.api import Api

COUNTED = (
    "SELECT count(*) FILTER (WHERE type = 'IMAGE' AND live) AS images,"
    " count(*) FILTER (WHERE type = 'VIDEO' AND live) AS videos,"
    " count(*) FILTER (WHERE is_favorite AND live) AS favorites,"
    " count(*) FILTER (WHERE is_archived AND live) AS archived,"
    " count(*) FILTER (WHERE trashed_at IS NOT NULL) AS trashed,"
    " count(*) FILTER (WHERE status = 'failed') AS failed,"
    " count(*) FILTER (WHERE status IN ('pending', 'processing')) AS pending,"
    " count(*) FILTER (WHERE type = 'IMAGE' AND status IN ('ready', 'processing'))"
    "   AS photos_kept,"
    " count(*) FILTER (WHERE type = 'VIDEO' AND status IN ('ready', 'processing'))"
    "   AS videos_kept,"
    " coalesce(sum(file_size) FILTER (WHERE type = 'IMAGE' AND status <> 'failed'), 0)"
    "   AS bytes_photos,"
    " coalesce(sum(file_size) FILTER (WHERE type = 'VIDEO' AND status <> 'failed'), 0)"
    "   AS bytes_videos"
    " FROM (SELECT *, status = 'ready' AND trashed_at IS NULL AS live FROM assets"
    "       WHERE owner_id = %s) x"
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
    " FROM assets WHERE owner_id = %s AND status = 'ready' GROUP BY 1, 2, 3, 4 ORDER BY 1, 2, 3, 4"
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
            (
                "UPDATE assets SET local_date_time = now() - interval '400 days'"
                " WHERE id = ANY(%s)",
                ids[20:30],
            ),
            ("DELETE FROM assets WHERE id = ANY(%s)", ids[2:6] + ids[11:13]),
            ("UPDATE assets SET trashed_at = NULL WHERE id = ANY(%s)", ids),
        ]
        for sql, chosen in steps:
            conn.execute(sql, (chosen,))
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
