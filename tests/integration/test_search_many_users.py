"""Smart search across users of very different sizes, on real PostgreSQL + pgvector: a small
library's results are complete (exact search) even when another user's vectors crowd every
neighbourhood of the query, a big library is walked through an HNSW index of its own, and
no search ever returns an asset the caller may not see (partners and shared albums may)."""

from __future__ import annotations

import math
from collections.abc import Iterator
from typing import Any

import numpy as np
import pytest
from pgvector import HalfVector

from chalicelib.repositories import embeddings as ml
from tests.support.postgres import own_database
from tests.support.vectors import DIM, MODEL, around, new_user, vector_library


@pytest.fixture(scope="module")
def container(postgres) -> Iterator[Any]:
    """One database for the module: its library takes seconds to build, the tests read it
    (the favourites test writes only flags no other test reads)."""
    with own_database(postgres, "m") as c:
        yield c


@pytest.fixture(scope="module")
def crowded(container) -> dict[str, Any]:
    """A big user above the exact-search size with every vector nearer the query than any
    of a small user's (1,500 photos: a walk of one index over both would have to pass
    every one of the big user's before reaching the small one's)."""
    rng = np.random.default_rng(7)
    q = rng.normal(size=DIM).astype(np.float32)
    q /= np.linalg.norm(q)
    with container.pool.connection() as conn:
        big, small, near = new_user(conn), new_user(conn), new_user(conn)
    big_vectors = around(q, 8_000, 0.02, rng)
    small_vectors = around(q, 1_500, 0.08, rng)
    # A third library nearer the query than all of the big one's, more of it than the big
    # search's ef_search: a search that drops the owner filter returns these first, and one
    # that filters the index's first candidates without walking on returns none.
    near_vectors = around(q, 300, 0.004, rng)
    big_ids = vector_library(container, big, big_vectors)
    small_ids = vector_library(container, small, small_vectors)
    near_ids = vector_library(container, near, near_vectors)
    with container.pool.connection() as conn:
        conn.execute("ANALYZE smart_search_384")
        conn.execute("ANALYZE assets")
    # What the nightly job (and the write path, as a library crosses the size) does.
    assert container.embedding_repo.ensure_owner_indexes(dimension=DIM) == {
        "built": 1,
        "dropped": 0,
    }
    # The small user's photos are all farther from the query than every one of the big one's.
    assert len(small_vectors) <= ml.EXACT_SEARCH_MAX_ROWS < len(big_vectors)
    assert (small_vectors @ q).max() < (big_vectors @ q).min()
    assert (big_vectors @ q).max() < (near_vectors @ q).min()
    return {
        "q": q,
        "big": (big, big_ids, big_vectors),
        "small": (small, small_ids, small_vectors),
        "near": near_ids,
    }


def _exact(ids: list[Any], vectors: np.ndarray, q: np.ndarray, k: int) -> list[Any]:
    return [ids[i] for i in np.argsort(-(vectors @ q))[:k]]


def test_a_small_library_gets_its_exact_neighbours_beside_a_dominant_one(
    container, crowded
) -> None:
    repo, q = container.embedding_repo, crowded["q"]
    small, small_ids, small_vectors = crowded["small"]
    rows = repo.search(MODEL, q, {"owner": small}, 10, 0, 100)
    assert [r["id"] for r in rows] == _exact(small_ids, small_vectors, q, 10)
    assert all(r["owner_id"] == small for r in rows)
    scores = [r["score"] for r in rows]
    assert scores == sorted(scores, reverse=True)
    assert scores[0] == pytest.approx(float((small_vectors @ q).max()), abs=1e-3)
    # A later page continues where the first stopped; the deepest page ends the library.
    page2 = repo.search(MODEL, q, {"owner": small}, 10, 10, 100)
    assert [r["id"] for r in page2] == _exact(small_ids, small_vectors, q, 20)[10:]
    last = repo.search(MODEL, q, {"owner": small}, 1000, len(small_ids) - 5, 100)
    assert [r["id"] for r in last] == _exact(small_ids, small_vectors, q, len(small_ids))[-5:]


def test_the_dominant_library_is_searched_through_the_index_and_only_its_own(
    container, crowded
) -> None:
    repo, q = container.embedding_repo, crowded["q"]
    big, big_ids, big_vectors = crowded["big"]
    others = set(crowded["small"][1]) | set(crowded["near"])
    rows = repo.search(MODEL, q, {"owner": big}, 100, 0, 100)
    got = [r["id"] for r in rows]
    # The nearest vectors of the index are another user's: none of them, and a full page.
    assert len(got) == 100 and not others & set(got)
    assert all(r["owner_id"] == big for r in rows)
    recall = len(set(got[:10]) & set(_exact(big_ids, big_vectors, q, 10))) / 10
    assert recall >= 0.8  # approximate above the exact-search size, not exact
    own = ml.owner_index_name("smart_search_384", big)
    assert _plan(container, big, q).count(own) == 1
    # The small library has no index of its own: its rows are read by the owner_id index.
    small_plan = _plan(container, crowded["small"][0], q)
    assert "smart_search_384_owner " in small_plan and "_hnsw" not in small_plan
    # Indexes are built once: nothing more to do.
    assert container.embedding_repo.ensure_owner_indexes(dimension=DIM)["built"] == 0


def _plan(container: Any, owner: Any, q: np.ndarray) -> str:
    """The plan of the query ``search`` runs for ``owner`` (its candidates, nearest first)."""
    repo = container.embedding_repo
    params: dict[str, Any] = {"owner": owner, "model": MODEL, "q": HalfVector(q), "window": 10}
    with container.pool.connection() as conn:
        # The search's settings too (the iterative scan): the statement that reads whose
        # libraries they are makes them.
        parts = repo._candidates(conn, "smart_search_384", {"owner": owner}, 100)
        assert conn.execute("SHOW hnsw.iterative_scan").fetchone() == {
            "hnsw.iterative_scan": "relaxed_order"
        }
        # 100 for up to EF_SEARCH_ROWS vectors; deeper with the square root of the size above.
        rows = conn.execute(
            "SELECT count(*) AS n FROM smart_search_384 WHERE owner_id = %s", (owner,)
        ).fetchone()["n"]
        ef = (
            max(100, math.ceil(100 * math.sqrt(rows / ml.EF_SEARCH_ROWS)))
            if rows > ml.EXACT_SEARCH_MAX_ROWS
            else 100
        )
        assert conn.execute("SHOW hnsw.ef_search").fetchone() == {"hnsw.ef_search": str(ef)}
        rows = conn.execute("EXPLAIN " + " UNION ALL ".join(f"({p.sql})" for p in parts), params)
        return "\n".join(r["QUERY PLAN"] for r in rows.fetchall())


def test_filters_that_leave_few_of_a_big_library_still_find_them_all(container, crowded) -> None:
    """Favourites of the big user are few: the iterative walk of its index goes on until
    it has them (in exact order), and nothing else."""
    repo, q = container.embedding_repo, crowded["q"]
    big, big_ids, big_vectors = crowded["big"]
    favourites = big_ids[::1000]
    with container.pool.connection() as conn:
        conn.execute("UPDATE assets SET is_favorite = true WHERE id = ANY(%s)", (favourites,))
    rows = repo.search(MODEL, q, {"owner": big, "is_favorite": True}, 10, 0, 100)
    picked = np.array([big_ids.index(a) for a in favourites])
    assert [r["id"] for r in rows] == _exact(favourites, big_vectors[picked], q, 10)


@pytest.fixture
def circle(container, monkeypatch) -> dict[str, Any]:
    """A caller, a partner sharing into the caller's timeline, one sharing but not into it,
    a stranger, and an album of the stranger's shared with the caller; every stranger's
    vector is nearer the query than any other. Small libraries (the exact-search size is
    lowered so that the partner's has an index of its own): the search mixes both paths."""
    monkeypatch.setattr(ml, "EXACT_SEARCH_MAX_ROWS", 50)
    rng = np.random.default_rng(11)
    q = rng.normal(size=DIM).astype(np.float32)
    q /= np.linalg.norm(q)
    with container.pool.connection() as conn:
        me, partner, hidden, stranger = (new_user(conn) for _ in range(4))
    libraries = {
        "me": vector_library(container, me, around(q, 30, 0.09, rng)),
        "partner": vector_library(container, partner, around(q, 60, 0.09, rng)),
        "hidden": vector_library(container, hidden, around(q, 20, 0.09, rng)),
        "stranger": vector_library(container, stranger, around(q, 80, 0.01, rng)),
    }
    shared = libraries["stranger"][:5]
    with container.pool.connection() as conn:
        conn.execute(
            "INSERT INTO partners (shared_by_id, shared_with_id, in_timeline)"
            " VALUES (%s, %s, true), (%s, %s, false)",
            (partner, me, hidden, me),
        )
        album = conn.execute(
            "INSERT INTO albums (owner_id, album_name) VALUES (%s, 'trip') RETURNING id",
            (stranger,),
        ).fetchone()["id"]
        conn.execute(
            "INSERT INTO album_assets (album_id, asset_id) SELECT %s, unnest(%s::uuid[])",
            (album, shared),
        )
        conn.execute(
            "INSERT INTO album_users (album_id, user_id, role) VALUES (%s, %s, 'viewer')",
            (album, me),
        )
    built = container.embedding_repo.ensure_owner_indexes([me, partner, stranger], DIM)
    assert built == {"built": 2, "dropped": 0}  # the partner's and the stranger's
    return {"q": q, "me": me, "partner": partner, "stranger": stranger, "album": album,
            "shared": shared, **{f"{k}_ids": v for k, v in libraries.items()}}  # fmt: skip


def test_a_search_finds_the_partners_assets_and_never_a_strangers(container, circle) -> None:
    repo, q = container.embedding_repo, circle["q"]
    rows = repo.search(MODEL, q, {"owner": circle["me"]}, 1000, 0, 100)
    got = {r["id"] for r in rows}
    # Everything of mine and of the partner who shares into my timeline, nothing else
    # (the stranger's vectors are the nearest of all, the other partner chose not to).
    assert got == set(circle["me_ids"]) | set(circle["partner_ids"])
    scores = [r["score"] for r in rows]
    assert scores == sorted(scores, reverse=True)
    # The partner's archive stays theirs, even when I ask for archived assets.
    archived = circle["partner_ids"][0]
    with container.pool.connection() as conn:
        conn.execute("UPDATE assets SET is_archived = true WHERE id = %s", (archived,))
    rows = repo.search(MODEL, q, {"owner": circle["me"], "with_archived": True}, 1000, 0, 100)
    assert archived not in {r["id"] for r in rows}
    assert len(rows) == len(got) - 1
    # The stranger's own search never returns mine or the partner's.
    theirs = repo.search(MODEL, q, {"owner": circle["stranger"]}, 1000, 0, 100)
    assert {r["id"] for r in theirs} == set(circle["stranger_ids"])


def test_a_shared_albums_assets_are_found_and_no_other_of_its_owner(container, circle) -> None:
    repo, q = container.embedding_repo, circle["q"]
    filters = {"owner": circle["me"], "album_id": circle["album"]}
    rows = repo.search(MODEL, q, filters, 100, 0, 100)
    assert [r["id"] for r in rows] == [
        a for a in _exact_ids(container, circle["stranger_ids"], q) if a in circle["shared"]
    ]
    # Once I am no longer a member, the album gives me nothing.
    with container.pool.connection() as conn:
        conn.execute("DELETE FROM album_users WHERE album_id = %s", (circle["album"],))
    assert repo.search(MODEL, q, filters, 100, 0, 100) == []


def _exact_ids(container: Any, ids: list[Any], q: np.ndarray) -> list[Any]:
    """``ids`` nearest first, by the vectors PostgreSQL stores."""
    with container.pool.connection() as conn:
        rows = conn.execute(
            "SELECT asset_id FROM smart_search_384 WHERE asset_id = ANY(%s)"
            " ORDER BY (embedding <=> %s) + 0, asset_id",
            (ids, HalfVector(q)),
        ).fetchall()
    return [r["asset_id"] for r in rows]


def test_the_index_of_a_deleted_user_is_dropped(container, monkeypatch) -> None:
    monkeypatch.setattr(ml, "EXACT_SEARCH_MAX_ROWS", 10)
    rng = np.random.default_rng(3)
    with container.pool.connection() as conn:
        gone = new_user(conn)
    vector_library(container, gone, around(rng.normal(size=DIM).astype(np.float32), 20, 0.1, rng))
    repo = container.embedding_repo
    # The write path's check builds it (only the owners it is given)...
    assert repo.ensure_owner_indexes([gone], DIM) == {"built": 1, "dropped": 0}
    name = ml.owner_index_name("smart_search_384", gone)
    with container.pool.connection() as conn:
        # As the user deletion job does: the assets (their counters), then the user.
        conn.execute("DELETE FROM assets WHERE owner_id = %s", (gone,))
        conn.execute("DELETE FROM users WHERE id = %s", (gone,))
    # ... and the nightly job drops it once its owner is gone.
    assert repo.ensure_owner_indexes(dimension=DIM)["dropped"] == 1
    with container.pool.connection() as conn:
        assert conn.execute("SELECT to_regclass(%s) AS r", (name,)).fetchone()["r"] is None


def test_a_bigger_library_is_walked_deeper(container, crowded, monkeypatch) -> None:
    """ef_search holds up to EF_SEARCH_ROWS vectors, grows with the square root above (the biggest
    library in scope counts), and never passes pgvector's limit."""
    repo, big = container.embedding_repo, crowded["big"][0]
    small = crowded["small"][0]

    def ef_for(owner: Any, ef: int) -> int:
        with container.pool.connection() as conn:
            repo._candidates(conn, "smart_search_384", {"owner": owner}, ef)
            return int(conn.execute("SHOW hnsw.ef_search").fetchone()["hnsw.ef_search"])

    assert ef_for(big, 100) == 100  # 8,000 vectors: within EF_SEARCH_ROWS
    monkeypatch.setattr(ml, "EF_SEARCH_ROWS", 2_000)
    assert ef_for(big, 100) == 200  # four times the rows: twice as deep
    assert ef_for(big, 600) == ml.HNSW_EF_SEARCH_MAX
    assert ef_for(small, 100) == 100  # no index of its own: the setting as given
