"""The re-cluster pass's statements: a page of waiting faces, their neighbours in one query,
the page's decisions in one write, and where the pass got to. Each takes the connection of
the transaction that holds the owner's recognition lock (FaceRepository.locked)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from uuid import UUID

from chalicelib.db.pool import Connection
from chalicelib.repositories.sql import Row


def progress(conn: Connection, owner_id: UUID) -> Row | None:
    """The pass under way for this library, if any."""
    return conn.execute(
        "SELECT * FROM people_recluster_progress WHERE owner_id = %s", (owner_id,)
    ).fetchone()


def begin(conn: Connection, owner_id: UUID, *, reset: bool) -> Row:
    """A new pass from the first waiting face (replacing one under way)."""
    row = conn.execute(
        "INSERT INTO people_recluster_progress (owner_id, reset) VALUES (%s, %s)"
        " ON CONFLICT (owner_id) DO UPDATE SET reset = EXCLUDED.reset, started_at = now(),"
        " after_created_at = NULL, after_id = NULL RETURNING *",
        (owner_id, reset),
    ).fetchone()
    assert row is not None
    return row


def dissolve_unnamed(conn: Connection, owner_id: UUID) -> int:
    """For a full re-cluster: unnamed, visible people are dissolved (their faces wait
    again); named or hidden ones are the user's decisions and stay."""
    return conn.execute(
        "DELETE FROM people WHERE owner_id = %s AND name = '' AND NOT is_hidden", (owner_id,)
    ).rowcount


def advance(conn: Connection, owner_id: UUID, created_at: datetime, face_id: UUID) -> None:
    conn.execute(
        "UPDATE people_recluster_progress SET after_created_at = %s, after_id = %s"
        " WHERE owner_id = %s",
        (created_at, face_id, owner_id),
    )


def finish(conn: Connection, owner_id: UUID) -> None:
    conn.execute("DELETE FROM people_recluster_progress WHERE owner_id = %s", (owner_id,))


def waiting_page(conn: Connection, state: Row, limit: int) -> list[Row]:
    """The next ``limit`` faces without a person, in the order the pass visits them
    (created_at, id), among those that existed when the pass began."""
    return conn.execute(
        "SELECT id, created_at FROM asset_faces WHERE owner_id = %(owner)s"
        " AND person_id IS NULL AND created_at <= %(started)s"
        " AND (%(after)s::timestamptz IS NULL OR (created_at, id) > (%(after)s, %(after_id)s))"
        " ORDER BY created_at, id LIMIT %(limit)s",
        {
            "owner": state["owner_id"],
            "started": state["started_at"],
            "after": state["after_created_at"],
            "after_id": state["after_id"],
            "limit": limit,
        },
    ).fetchall()


def neighbours(
    conn: Connection, owner_id: UUID, face_ids: Sequence[UUID], max_distance: float, limit: int
) -> dict[UUID, tuple[list[Row], list[Row]]]:
    """For each face: (its nearest face with a person, its ``limit`` nearest faces without
    one), both within ``max_distance`` and closest first — the two queries recognition asks
    per face (FaceRepository.nearest), for a whole page in one statement over the HNSW index."""
    conn.execute("SET LOCAL hnsw.iterative_scan = relaxed_order")
    rows = conn.execute(
        "SELECT p.id AS face_id, n.* FROM asset_faces p CROSS JOIN LATERAL ("
        "  (SELECT * FROM (SELECT g.id, g.person_id, g.embedding <=> p.embedding AS distance,"
        "   true AS assigned FROM asset_faces g WHERE g.owner_id = %(owner)s AND g.id <> p.id"
        "   AND g.person_id IS NOT NULL ORDER BY g.embedding <=> p.embedding LIMIT 1) best"
        "   WHERE distance <= %(max)s)"
        "  UNION ALL"
        "  (SELECT * FROM (SELECT g.id, g.person_id, g.embedding <=> p.embedding AS distance,"
        "   false AS assigned FROM asset_faces g WHERE g.owner_id = %(owner)s AND g.id <> p.id"
        "   AND g.person_id IS NULL ORDER BY g.embedding <=> p.embedding LIMIT %(limit)s) near"
        "   WHERE distance <= %(max)s)) n"
        " WHERE p.id = ANY(%(ids)s) AND p.owner_id = %(owner)s",
        {"owner": owner_id, "ids": list(face_ids), "max": max_distance, "limit": limit},
    ).fetchall()
    found: dict[UUID, tuple[list[Row], list[Row]]] = {}
    for row in rows:
        best, lonely = found.setdefault(row["face_id"], ([], []))
        (best if row["assigned"] else lonely).append(row)
    order = lambda r: (r["distance"], r["id"])  # noqa: E731
    for best, lonely in found.values():
        best.sort(key=order)
        lonely.sort(key=order)
    return found


def write(
    conn: Connection,
    owner_id: UUID,
    people: Sequence[tuple[UUID, UUID]],
    assignments: dict[UUID, UUID],
) -> None:
    """The page's new people (id, picture face) and every face it gave a person."""
    if people:
        conn.execute(
            "INSERT INTO people (id, owner_id, feature_face_id)"
            " SELECT p, %s, f FROM unnest(%s::uuid[], %s::uuid[]) AS x(p, f)",
            (owner_id, [p for p, _ in people], [f for _, f in people]),
        )
    if assignments:
        conn.execute(
            "UPDATE asset_faces SET person_id = x.p FROM unnest(%s::uuid[], %s::uuid[]) AS x(f, p)"
            " WHERE asset_faces.id = x.f AND asset_faces.owner_id = %s",
            (list(assignments), list(assignments.values()), owner_id),
        )
