"""Smart search with a selective filter over a big library (real PostgreSQL + pgvector): the
library has its own HNSW index and more vectors than pgvector lets an iterative scan visit
(``hnsw.max_scan_tuples``, 20,000), and the few assets the filter leaves are the farthest
from the query. Every one of them comes back, in exact order, page after page."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import numpy as np
import pytest

from bench.common import person_on
from chalicelib.repositories import embeddings as ml
from tests.support.postgres import own_database
from tests.support.vectors import DIM, MODEL, around, new_user, vector_library

BIG = 30_000  # above max_scan_tuples: a walk may stop before it has seen the far ones
FAVOURITES = 12
VIDEOS = 40  # more than a lowered exact-search bound: the walk runs, comes back short


@pytest.fixture(scope="module")
def container(postgres) -> Iterator[Any]:
    with own_database(postgres, "s") as c:
        yield c


@pytest.fixture(scope="module")
def library(container) -> dict[str, Any]:
    """30,000 photos near the query; 12 favourites and 40 videos are the farthest (the
    last rows, drawn around another point)."""
    rng = np.random.default_rng(5)
    q = rng.normal(size=DIM).astype(np.float32)
    q /= np.linalg.norm(q)
    with container.pool.connection() as conn:
        owner = new_user(conn)
    near = around(q, BIG - FAVOURITES - VIDEOS, 0.02, rng)
    # Elsewhere: around a point of cosine ~0.3 with the query (a walk reaches that region
    # once it has gone through the query's).
    away = 0.3 * q + 0.95 * rng.normal(size=DIM).astype(np.float32) / np.sqrt(DIM)
    far = around(away / np.linalg.norm(away), FAVOURITES + VIDEOS, 0.02, rng)
    vectors = np.concatenate([near, far])
    ids = vector_library(container, owner, vectors)
    favourites, videos = ids[-FAVOURITES - VIDEOS : -VIDEOS], ids[-VIDEOS:]
    with container.pool.connection() as conn:
        conn.execute("UPDATE assets SET is_favorite = true WHERE id = ANY(%s)", (favourites,))
        conn.execute("UPDATE assets SET type = 'VIDEO' WHERE id = ANY(%s)", (videos,))
        # One person on the favourites (the planner cannot tell how few assets show them).
        person = person_on(conn, owner, favourites)
        # A tag on them, and a year no other photo was taken in.
        tag = conn.execute(
            "INSERT INTO tags (owner_id, value) VALUES (%s, 'Trip') RETURNING id", (owner,)
        ).fetchone()["id"]
        conn.execute(
            "INSERT INTO tag_assets (tag_id, asset_id) SELECT %s, unnest(%s::uuid[])",
            (tag, favourites),
        )
        conn.execute("UPDATE assets SET taken_at = '2001-06-01' WHERE id = ANY(%s)", (favourites,))
        conn.execute("ANALYZE smart_search_384")
        conn.execute("ANALYZE assets")
        scan = conn.execute("SHOW hnsw.max_scan_tuples").fetchone()["hnsw.max_scan_tuples"]
    assert int(scan) < BIG - FAVOURITES - VIDEOS  # a walk stops before the far ones
    assert (far @ q).max() < (near @ q).min()
    assert container.embedding_repo.ensure_owner_indexes([owner], DIM)["built"] == 1
    return {"q": q, "owner": owner, "ids": ids, "vectors": vectors, "person": person,
            "tag": tag, "favourites": favourites, "videos": videos}  # fmt: skip


def _exact(lib: dict[str, Any], chosen: list[Any]) -> list[Any]:
    """``chosen`` nearest first (numpy over the half-precision vectors PostgreSQL stores)."""
    index = {a: i for i, a in enumerate(lib["ids"])}
    sims = lib["vectors"][[index[a] for a in chosen]] @ lib["q"]
    return [chosen[i] for i in np.argsort(-sims)]


NARROW = {
    "person": lambda lib: {"person_ids": [lib["person"]]},
    "favourite": lambda lib: {"is_favorite": True},
    "tag": lambda lib: {"tag_ids": [lib["tag"]]},
    "year": lambda lib: {
        "taken_after": datetime(2001, 1, 1, tzinfo=UTC),
        "taken_before": datetime(2002, 1, 1, tzinfo=UTC),
    },
}


def _searched_again(monkeypatch) -> list[Any]:
    """The libraries a search takes again, exactly, after a short walk."""
    again: list[Any] = []
    exhaustive = ml.Candidates.exhaustive

    def spy(self: ml.Candidates, *args: Any) -> ml.Candidates:
        again.append(self.walked)
        return exhaustive(self, *args)

    monkeypatch.setattr(ml.Candidates, "exhaustive", spy)
    return again


@pytest.mark.parametrize("narrow", list(NARROW))
def test_every_asset_a_selective_filter_leaves_comes_back_in_order(
    container, library, narrow, monkeypatch
) -> None:
    """The 12 assets showing a person (or favourites, tagged, of a year: the same ones)
    among 30,000: their own vectors, in one statement (no walk, so nothing taken again)."""
    repo, q, owner = container.embedding_repo, library["q"], library["owner"]
    filters = {"owner": owner, **NARROW[narrow](library)}
    again = _searched_again(monkeypatch)
    rows = repo.search(MODEL, q, filters, 100, 0, 100)
    assert [r["id"] for r in rows] == _exact(library, library["favourites"])
    assert again == []
    scores = [r["score"] for r in rows]
    assert scores == sorted(scores, reverse=True)
    # Pages of five continue each other and end with the last favourite.
    pages = [repo.search(MODEL, q, filters, 5, offset, 100) for offset in (0, 5, 10)]
    assert [len(p) for p in pages] == [5, 5, 2]
    assert [r["id"] for p in pages for r in p] == _exact(library, library["favourites"])


def test_a_filter_leaving_more_than_the_exact_bound_still_finds_them_all(
    container, library, monkeypatch
) -> None:
    """40 videos, the bound lowered to 10: the walk of the index runs, stops at
    max_scan_tuples with fewer than asked for, and the library is searched exactly."""
    monkeypatch.setattr(ml, "FILTERED_EXACT_MAX_ROWS", 10)
    repo, q, owner = container.embedding_repo, library["q"], library["owner"]
    filters = {"owner": owner, "type": "VIDEO"}
    again = _searched_again(monkeypatch)
    rows = repo.search(MODEL, q, filters, 100, 0, 100)
    assert [r["id"] for r in rows] == _exact(library, library["videos"])
    assert again == [owner]
    assert {r["type"] for r in rows} == {"VIDEO"}
    # A page the walk fills is the walk's: the 25 nearest videos of 40, approximately.
    first = repo.search(MODEL, q, filters, 25, 0, 100)
    assert len(first) == 25
    assert len({r["id"] for r in first} & set(_exact(library, library["videos"])[:25])) >= 20


def test_a_filter_most_photos_pass_walks_the_index(container, library) -> None:
    """Photos (not videos): the count stops at the bound, the walk answers and fills the page."""
    repo, q, owner = container.embedding_repo, library["q"], library["owner"]
    rows = repo.search(MODEL, q, {"owner": owner, "type": "IMAGE"}, 100, 0, 100)
    assert len(rows) == 100 and {r["type"] for r in rows} == {"IMAGE"}
    photos = library["ids"][: -FAVOURITES - VIDEOS]  # the nearest are all near ones
    best = _exact(library, photos)[:10]
    assert len({r["id"] for r in rows[:10]} & set(best)) >= 8
