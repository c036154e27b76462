"""The re-cluster pass in pages, on real PostgreSQL + pgvector: it makes the same people as
the per-face pass over the same faces, a pass cut short continues where it stopped, and
the job hands a pass longer than its budget over to a new run of itself."""

from __future__ import annotations

import json
import time
import uuid
from typing import Any

import numpy as np
import pytest

from chalicelib import jobs
from chalicelib.repositories.people import FaceRepository
from chalicelib.services import people as people_service
from chalicelib.services import recluster
from chalicelib.services.people import NEIGHBOURS, PeopleRecognizer
from tests.integration.ml import rows

MAX_DISTANCE, MIN_FACES = 0.5, 3


def library(rng: np.random.Generator) -> list[np.ndarray]:
    """A family's faces in an order where pages matter: 8 people seen 3-90 times (one
    more often than a page of neighbours holds), 30 strangers seen once, and pairs of
    look-alikes close to the distance limit, shuffled."""
    vectors = []
    for size in (90, 40, 20, 10, 6, 4, 3, 3):
        centre = rows.unit(rng.normal(size=128))
        vectors += [rows.near(centre, rng, 0.04) for _ in range(size)]
    vectors += [rows.unit(rng.normal(size=128)) for _ in range(30)]
    for _ in range(5):
        a = rows.unit(rng.normal(size=128))
        b = rows.unit(a + rng.normal(0, 0.09, 128))
        vectors += [rows.near(a, rng, 0.02), rows.near(b, rng, 0.02)]
    order = rng.permutation(len(vectors))
    return [vectors[i] for i in order]


def load(container, repo, owner, vectors) -> list[uuid.UUID]:
    ids = []
    for vector in vectors:
        face_id = uuid.uuid4()
        repo.replace_faces(rows.asset(container.pool, owner), owner, [rows.face(face_id, vector)])
        ids.append(face_id)
    # Equal created_at (one transaction each, but fast) must not change the order: the pass
    # reads (created_at, id); give each face its own instant in the library's order.
    with container.pool.connection() as conn:
        conn.execute(
            "UPDATE asset_faces SET created_at = now() - (x.n * interval '1 second')"
            " FROM unnest(%s::uuid[]) WITH ORDINALITY AS x(id, n) WHERE asset_faces.id = x.id",
            (list(reversed(ids)),),
        )
    return ids


def partition(container, ids: list[uuid.UUID]) -> list[Any]:
    """Each face's person, as the index of the first face with that person (None: none):
    comparable across two libraries."""
    with container.pool.connection() as conn:
        person = {
            r["id"]: r["person_id"]
            for r in conn.execute(
                "SELECT id, person_id FROM asset_faces WHERE id = ANY(%s)", (ids,)
            )
        }
    first: dict[Any, int] = {}
    return [
        None if person[f] is None else first.setdefault(person[f], i) for i, f in enumerate(ids)
    ]


@pytest.fixture
def setup(container):
    repo = FaceRepository(container.pool)
    recognizer = PeopleRecognizer(repo, max_distance=MAX_DISTANCE, min_faces=MIN_FACES)
    return container, repo, recognizer


@pytest.mark.parametrize("neighbours", [NEIGHBOURS, 4])
def test_pages_make_the_same_people_as_the_per_face_pass(setup, monkeypatch, neighbours) -> None:
    """With 4 neighbours a query, most faces have more than it reads: the page then asks
    again for faces its own decisions may have changed (``rechecked``)."""
    container, repo, recognizer = setup
    monkeypatch.setattr(people_service, "NEIGHBOURS", neighbours)
    vectors = library(np.random.default_rng(11))
    per_face_owner = rows.user(container.pool, "one@example.com")
    paged_owner = rows.user(container.pool, "pages@example.com")
    per_face = load(container, repo, per_face_owner, vectors)
    paged = load(container, repo, paged_owner, vectors)

    recognizer.recognize(per_face_owner, repo.unassigned_faces(per_face_owner))
    # Pages of 16: decisions inside a page and across pages both matter.
    totals = recluster.Recluster(
        repo, lambda: (MAX_DISTANCE, MIN_FACES), neighbours, page_size=16
    ).run(paged_owner, reset=False)

    expected = partition(container, per_face)
    assert partition(container, paged) == expected
    people = {p for p in expected if p is not None}
    assert len(people) >= 8  # the eight people at least, and strangers stay alone
    assert expected.count(None) >= 30
    assert totals["created"] == len(people)
    assert (totals["rechecked"] > 0) == (neighbours == 4)
    with container.pool.connection() as conn:
        assert (
            conn.execute("SELECT count(*) AS n FROM people_recluster_progress").fetchone()["n"] == 0
        )


def test_a_full_rebuild_in_pages_gives_back_the_same_people(setup) -> None:
    container, repo, recognizer = setup
    vectors = library(np.random.default_rng(12))
    owner = rows.user(container.pool, "ada@example.com")
    ids = load(container, repo, owner, vectors)
    recognizer.recognize(owner, ids)
    before = partition(container, ids)
    totals = recognizer.recluster(owner, reset=True)
    assert totals["dissolved"] == len({p for p in before if p is not None})
    assert partition(container, ids) == before


def test_a_pass_cut_short_continues_where_it_stopped(setup, monkeypatch) -> None:
    container, repo, _ = setup
    vectors = library(np.random.default_rng(13))
    whole_owner = rows.user(container.pool, "whole@example.com")
    cut_owner = rows.user(container.pool, "cut@example.com")
    whole = load(container, repo, whole_owner, vectors)
    cut = load(container, repo, cut_owner, vectors)
    limits = lambda: (MAX_DISTANCE, MIN_FACES)  # noqa: E731
    recluster.Recluster(repo, limits, NEIGHBOURS, page_size=16).run(whole_owner, reset=True)

    # The first run stops after two pages (its deadline passes), as a Lambda's time limit
    # would stop it.
    pages = []
    real_page = recluster.Recluster._page

    def counting(self, *args, **kwargs):
        pages.append(1)
        return real_page(self, *args, **kwargs)

    monkeypatch.setattr(recluster.Recluster, "_page", counting)
    ticks = iter([0.0, 0.0, 10.0])
    first = recluster.Recluster(
        repo, limits, NEIGHBOURS, page_size=16, clock=lambda: next(ticks, 10.0)
    ).run(cut_owner, reset=True, deadline=5.0)
    assert first["unfinished"] == 1 and len(pages) == 2
    with container.pool.connection() as conn:
        saved = conn.execute(
            "SELECT * FROM people_recluster_progress WHERE owner_id = %s", (cut_owner,)
        ).fetchone()
    assert saved["reset"] is True and saved["after_id"] is not None

    # The next run continues (no dissolving what the first run built) and finishes.
    second = recluster.Recluster(repo, limits, NEIGHBOURS, page_size=16).run(
        cut_owner, reset=True, deadline=time.monotonic() + 600
    )
    assert "unfinished" not in second and second["dissolved"] == 0
    assert len(pages) > 3
    assert partition(container, cut) == partition(container, whole)
    with container.pool.connection() as conn:
        assert (
            conn.execute(
                "SELECT count(*) AS n FROM people_recluster_progress WHERE owner_id = %s",
                (cut_owner,),
            ).fetchone()["n"]
            == 0
        )


class FakeLambda:
    def __init__(self) -> None:
        self.calls: list[dict] = []

    def invoke(self, **kwargs: object) -> dict:
        self.calls.append(kwargs)
        return {"StatusCode": 202}


def test_the_job_hands_a_long_pass_over_to_a_new_run_of_itself(setup, monkeypatch) -> None:
    container, repo, _ = setup
    owner = rows.user(container.pool, "ada@example.com")
    ids = load(container, repo, owner, library(np.random.default_rng(14)))
    fake = FakeLambda()
    monkeypatch.setattr(container.settings, "jobs_function", "skyroll-dev-jobs")
    monkeypatch.setitem(container.__dict__, "lambda_client", fake)
    monkeypatch.setattr(jobs, "RECLUSTER_BUDGET_S", -1.0)  # spent before the first page

    result = jobs.run("people-recluster", container)
    assert result["unfinished"] == 1 and partition(container, ids) == [None] * len(ids)
    assert [(k["FunctionName"], json.loads(k["Payload"])) for k in fake.calls] == [
        ("skyroll-dev-jobs", {"job": "people-recluster"})
    ]

    monkeypatch.setattr(jobs, "RECLUSTER_BUDGET_S", 600.0)
    result = jobs.run("people-recluster", container)
    assert "unfinished" not in result and result["created"] >= 8
    assert len(fake.calls) == 1  # finished: nothing more started
