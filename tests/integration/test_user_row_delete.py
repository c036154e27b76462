"""Deleting a user row takes everything of theirs with it by cascade, even while they still own
assets: the counter triggers on assets fire inside that cascade and must not write counters
back for an owner whose row is already gone (nor touch anyone else's)."""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from chalicelib.container import Container

ASSETS = (
    "INSERT INTO assets (owner_id, status, type, original_file_name, original_mime_type,"
    " checksum, file_size, storage_key, file_created_at, file_modified_at, is_favorite,"
    " trashed_at, visibility)"
    " SELECT %(owner)s, 'ready', t, 'p' || i || '.jpg', 'image/jpeg',"
    " gen_random_uuid()::text::bytea, 100 * i, 'users/' || %(owner)s || '/' || i || '/o.jpg',"
    " timestamptz '2024-01-15 12:00Z' + (i || ' months')::interval, now(), i %% 2 = 0,"
    " CASE WHEN i = 3 THEN now() END, CASE WHEN i = 4 THEN 'hidden' ELSE 'timeline' END"
    " FROM generate_series(1, 5) i, (VALUES ('IMAGE')) k(t) RETURNING id"
)


def _user(conn: Any, name: str) -> uuid.UUID:
    row = conn.execute(
        "INSERT INTO users (email, name, password_hash) VALUES (%s, %s, 'x') RETURNING id",
        (f"{name}-{uuid.uuid4().hex[:8]}@example.com", name),
    ).fetchone()
    return row["id"]


def _library(conn: Any, owner: uuid.UUID, other: uuid.UUID) -> None:
    """Assets in several months (one trashed, one a hidden motion part), a stack, an album
    shared with ``other``, a person with a face, a tag tree on an asset."""
    ids = [r["id"] for r in conn.execute(ASSETS, {"owner": owner}).fetchall()]
    conn.execute("UPDATE assets SET live_photo_video_id = %s WHERE id = %s", (ids[3], ids[0]))
    stack = conn.execute(
        "INSERT INTO stacks (owner_id, primary_asset_id) VALUES (%s, %s) RETURNING id",
        (owner, ids[1]),
    ).fetchone()["id"]
    conn.execute("UPDATE assets SET stack_id = %s WHERE id = ANY(%s)", (stack, ids[1:3]))
    album = conn.execute(
        "INSERT INTO albums (owner_id, album_name, album_thumbnail_asset_id)"
        " VALUES (%s, 'Trip', %s) RETURNING id",
        (owner, ids[0]),
    ).fetchone()["id"]
    conn.execute(
        "INSERT INTO album_assets (album_id, asset_id, added_by) SELECT %s, a, %s"
        " FROM unnest(%s::uuid[]) a",
        (album, owner, ids),
    )
    conn.execute(
        "INSERT INTO album_users (album_id, user_id, role) VALUES (%s, %s, 'viewer')",
        (album, other),
    )
    person = conn.execute(
        "INSERT INTO people (owner_id, name) VALUES (%s, 'Ann') RETURNING id", (owner,)
    ).fetchone()["id"]
    conn.execute(
        "INSERT INTO asset_faces (asset_id, owner_id, person_id, image_width, image_height,"
        " x1, y1, x2, y2, landmarks, score, model_id, embedding)"
        " VALUES (%s, %s, %s, 10, 10, 1, 1, 5, 5, array_fill(1::real, ARRAY[10]), 0.9, 'm',"
        " array_fill(0.1::real, ARRAY[128])::halfvec(128))",
        (ids[0], owner, person),
    )
    parent = conn.execute(
        "INSERT INTO tags (owner_id, value) VALUES (%s, 'places') RETURNING id", (owner,)
    ).fetchone()["id"]
    tag = conn.execute(
        "INSERT INTO tags (owner_id, parent_id, value) VALUES (%s, %s, 'places/home') RETURNING id",
        (owner, parent),
    ).fetchone()["id"]
    conn.execute("INSERT INTO tag_assets (tag_id, asset_id) VALUES (%s, %s)", (tag, ids[0]))


def _rows_of(conn: Any, user: uuid.UUID) -> dict[str, int]:
    """For every column that references users(id): how many rows name ``user``."""
    columns = conn.execute(
        "SELECT c.conrelid::regclass::text AS tab, a.attname AS col"
        " FROM pg_constraint c JOIN pg_attribute a"
        "   ON a.attrelid = c.conrelid AND a.attnum = ANY(c.conkey)"
        " WHERE c.contype = 'f' AND c.confrelid = 'users'::regclass"
    ).fetchall()
    assert len(columns) > 10  # the check below sees the whole schema, not a few tables
    counts = {}
    for c in columns:
        n = conn.execute(
            f'SELECT count(*) AS n FROM {c["tab"]} WHERE "{c["col"]}" = %s',  # noqa: S608
            (user,),
        ).fetchone()["n"]
        counts[f"{c['tab']}.{c['col']}"] = n
    return {k: n for k, n in counts.items() if n}


def _counters(conn: Any, user: uuid.UUID) -> tuple[list[Any], list[Any]]:
    stats = conn.execute("SELECT * FROM user_asset_stats WHERE owner_id = %s", (user,)).fetchall()
    months = conn.execute(
        "SELECT month, is_archived, is_favorite, is_trashed, count FROM timeline_months"
        " WHERE owner_id = %s ORDER BY 1, 2, 3, 4",
        (user,),
    ).fetchall()
    return stats, months


@pytest.mark.parametrize("both_libraries", [False, True])
def test_deleting_a_user_row_with_assets_cascades_and_spares_others(
    container: Container, both_libraries: bool
) -> None:
    with container.pool.connection() as conn:
        alice, bob = _user(conn, "alice"), _user(conn, "bob")
        _library(conn, alice, bob)
        if both_libraries:
            _library(conn, bob, alice)
        alice_rows = _rows_of(conn, alice)
        assert {"assets.owner_id", "albums.owner_id", "people.owner_id", "tags.owner_id"} <= set(
            alice_rows
        )
        assert alice_rows["timeline_months.owner_id"] == 4  # 5 months, one a hidden part
        assert alice_rows["user_asset_stats.owner_id"] == 1
        bob_before = _counters(conn, bob)
        bob_rows = _rows_of(conn, bob)

    with container.pool.connection() as conn:
        deleted = conn.execute("DELETE FROM users WHERE id = %s", (alice,)).rowcount

    with container.pool.connection() as conn:
        assert deleted == 1
        assert _rows_of(conn, alice) == {}
        assert conn.execute("SELECT count(*) AS n FROM assets").fetchone()["n"] == (
            5 if both_libraries else 0
        )
        assert _counters(conn, bob) == bob_before
        # Bob only loses the membership of Alice's album.
        assert _rows_of(conn, bob) == {
            k: n for k, n in bob_rows.items() if k != "album_users.user_id"
        }
        if both_libraries:
            assert bob_before[1] and bob_before[0][0]["images"] == 3
