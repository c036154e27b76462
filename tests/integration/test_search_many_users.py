"""Smart search over one HNSW index shared by users of very different sizes, on real
PostgreSQL + pgvector: a small library's results are complete (exact search) even when
another user's vectors crowd every neighbourhood of the query, and no search ever returns
another user's asset."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import numpy as np
import pytest
from pgvector import HalfVector

from chalicelib.repositories import embeddings as ml

MODEL = "m-384"
DIM = 384


def _user(conn: Any) -> Any:
    return conn.execute(
        "INSERT INTO users (email, name, password_hash) VALUES (%s, 'u', 'x') RETURNING id",
        (f"{uuid.uuid4().hex[:8]}@example.com",),
    ).fetchone()["id"]


def _library(container: Any, owner: Any, vectors: np.ndarray) -> list[Any]:
    """Ready photos of ``owner`` with ``vectors`` (COPY), their ids in order."""
    with container.pool.connection() as conn:
        ids = [
            r["id"]
            for r in conn.execute(
                "INSERT INTO assets (owner_id, status, original_file_name, original_mime_type,"
                " checksum, file_size, storage_key, file_created_at, file_modified_at)"
                " SELECT %(o)s, 'ready', 'v.jpg', 'image/jpeg', gen_random_uuid()::text::bytea,"
                " 1, %(o)s::text || '/' || i, now(), now() FROM generate_series(1, %(n)s) i"
                " RETURNING id",
                {"o": owner, "n": len(vectors)},
            )
        ]
        with conn.cursor().copy(
            "COPY smart_search_384 (asset_id, model_id, embedding) FROM STDIN WITH (FORMAT BINARY)"
        ) as copy:
            copy.set_types(["uuid", "text", "halfvec"])
            for asset_id, vector in zip(ids, vectors, strict=True):
                copy.write_row((asset_id, MODEL, HalfVector(vector)))
    return ids


def _around(q: np.ndarray, n: int, spread: float, rng: np.random.Generator) -> np.ndarray:
    points = q + rng.normal(scale=spread, size=(n, DIM)).astype(np.float32)
    points /= np.linalg.norm(points, axis=1, keepdims=True)
    return points.astype(np.float16).astype(np.float32)  # the values halfvec stores


@pytest.fixture(scope="module")
def container(postgres) -> Iterator[Any]:
    """One database for the module: its library takes seconds to build, the tests read it
    (the favourites test writes only flags no other test reads)."""
    import psycopg

    from chalicelib.container import Container
    from chalicelib.settings import Settings
    from tests.support.postgres import TEMPLATE_DB

    name = f"m_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(postgres.admin_dsn, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}" TEMPLATE "{TEMPLATE_DB}"')
    c = Container(Settings(database_url=f"postgresql://postgres@127.0.0.1:{postgres.port}/{name}"))
    yield c
    c.close()
    postgres.drop_database(name)


@pytest.fixture(scope="module")
def crowded(container) -> dict[str, Any]:
    """A big user above the exact-search size with every vector nearer the query than any
    of a small user's (3,000 photos: enough that the planner alone would walk the shared
    index for them, filtering the big user's rows out)."""
    rng = np.random.default_rng(7)
    q = rng.normal(size=DIM).astype(np.float32)
    q /= np.linalg.norm(q)
    with container.pool.connection() as conn:
        big, small, near = _user(conn), _user(conn), _user(conn)
        conn.execute("DROP INDEX smart_search_384_hnsw")  # built once after the COPY: faster
    big_vectors = _around(q, 21_000, 0.02, rng)
    small_vectors = _around(q, 3_000, 0.08, rng)
    # A third library nearer the query than all of the big one's, more of it than the big
    # search's ef_search: a search that drops the owner filter returns these first, and one
    # that filters the index's first candidates without walking on returns none.
    near_vectors = _around(q, 300, 0.004, rng)
    big_ids = _library(container, big, big_vectors)
    small_ids = _library(container, small, small_vectors)
    near_ids = _library(container, near, near_vectors)
    with container.pool.connection() as conn:
        conn.execute(
            "CREATE INDEX smart_search_384_hnsw ON smart_search_384"
            " USING hnsw (embedding halfvec_cosine_ops)"
        )
        conn.execute("ANALYZE smart_search_384")
        conn.execute("ANALYZE assets")
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
    with container.pool.connection() as conn:
        plan = conn.execute(
            "EXPLAIN SELECT s.asset_id FROM smart_search_384 s ORDER BY s.embedding <=> %s"
            " LIMIT 10",
            (HalfVector(q),),
        ).fetchall()
    assert any("smart_search_384_hnsw" in r["QUERY PLAN"] for r in plan)


def test_filters_that_leave_a_big_library_small_search_it_exactly(container, crowded) -> None:
    """The size that decides is the candidates' after the filters: favourites of the big
    user are few, so their search is exact too, and holds nothing else."""
    repo, q = container.embedding_repo, crowded["q"]
    big, big_ids, big_vectors = crowded["big"]
    favourites = big_ids[::1000]
    with container.pool.connection() as conn:
        conn.execute("UPDATE assets SET is_favorite = true WHERE id = ANY(%s)", (favourites,))
    rows = repo.search(MODEL, q, {"owner": big, "is_favorite": True}, 10, 0, 100)
    picked = np.array([big_ids.index(a) for a in favourites])
    assert [r["id"] for r in rows] == _exact(favourites, big_vectors[picked], q, 10)
