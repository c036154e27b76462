"""People recognition on real PostgreSQL with controlled identity vectors (Immich's rules:
join the nearest person within max distance; a new person once min_faces similar
unassigned faces exist)."""

from __future__ import annotations

import uuid

import numpy as np
import pytest

from chalicelib.repositories.people import FaceRepository
from chalicelib.services.people import PeopleRecognizer
from tests.integration.ml import rows


@pytest.fixture
def setup(container):
    repo = FaceRepository(container.pool)
    owner = rows.user(container.pool, "ada@example.com")
    recognizer = PeopleRecognizer(repo, max_distance=0.5, min_faces=3)
    rng = np.random.default_rng(7)
    return container, repo, owner, recognizer, rng


def add_face(container, repo, owner, embedding) -> uuid.UUID:
    asset_id = rows.asset(container.pool, owner)
    face_id = uuid.uuid4()
    repo.replace_faces(asset_id, owner, [rows.face(face_id, embedding)])
    return face_id


def people_of(container, face_ids) -> list:
    with container.pool.connection() as conn:
        found = {
            r["id"]: r["person_id"]
            for r in conn.execute(
                "SELECT id, person_id FROM asset_faces WHERE id = ANY(%s)", (face_ids,)
            )
        }
    return [found[f] for f in face_ids]


def test_a_person_appears_with_the_third_similar_face_and_others_join(setup) -> None:
    container, repo, owner, recognizer, rng = setup
    alice = rows.unit(rng.normal(size=128))
    faces = []
    for expected in ("waiting", "waiting", "created", "joined"):
        faces.append(add_face(container, repo, owner, rows.near(alice, rng, 0.03)))
        assert recognizer.recognize(owner, [faces[-1]])[expected] == 1
    people = people_of(container, faces)
    assert people[0] is not None and len(set(people)) == 1


def test_different_people_stay_apart(setup) -> None:
    container, repo, owner, recognizer, rng = setup
    a, b = rows.unit(rng.normal(size=128)), rows.unit(rng.normal(size=128))
    faces_a = [add_face(container, repo, owner, rows.near(a, rng, 0.03)) for _ in range(3)]
    faces_b = [add_face(container, repo, owner, rows.near(b, rng, 0.03)) for _ in range(3)]
    recognizer.recognize(owner, faces_a + faces_b)
    pa, pb = people_of(container, faces_a), people_of(container, faces_b)
    assert len(set(pa)) == 1 and len(set(pb)) == 1 and pa[0] != pb[0]
    assert None not in pa + pb


def test_other_owners_faces_never_count(setup) -> None:
    container, repo, owner, recognizer, rng = setup
    other = rows.user(container.pool, "bob@example.com")
    alice = rows.unit(rng.normal(size=128))
    for _ in range(2):
        add_face(container, repo, other, rows.near(alice, rng, 0.03))
    mine = add_face(container, repo, owner, rows.near(alice, rng, 0.03))
    assert recognizer.recognize(owner, [mine]) == {"joined": 0, "created": 0, "waiting": 1}


def test_the_recluster_job_picks_up_waiting_faces(setup) -> None:
    container, repo, owner, _, rng = setup
    alice = rows.unit(rng.normal(size=128))
    faces = [add_face(container, repo, owner, rows.near(alice, rng, 0.03)) for _ in range(2)]
    assert people_of(container, faces) == [None, None]
    # The settings change (min 2 faces): the nightly job applies it to waiting faces.
    container.__dict__["people_recognizer"] = PeopleRecognizer(repo, max_distance=0.5, min_faces=2)
    totals = container.people_service.recluster_all()
    assert totals["created"] == 1
    people = people_of(container, faces)
    assert people[0] is not None and people[0] == people[1]
