"""What recognising one new face costs the database: the same statements, and at most two
nearest-neighbour index queries, in a small library and in one twenty times larger."""

from __future__ import annotations

import uuid
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import numpy as np
import pytest

from chalicelib.repositories.people import FaceRepository
from chalicelib.services.people import PeopleRecognizer
from tests.integration.ml import rows


class CountingConnection:
    def __init__(self, conn: Any, log: list[str]) -> None:
        self._conn = conn
        self._log = log

    def execute(self, query: Any, params: Any = None, **kwargs: Any) -> Any:
        self._log.append(str(query))
        return self._conn.execute(query, params, **kwargs)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._conn, name)


class CountingFaces(FaceRepository):
    """The real repository; the statements of the recognition transaction are logged."""

    def __init__(self, pool: Any) -> None:
        super().__init__(pool)
        self.log: list[str] = []

    @contextmanager
    def locked(self, owner_id: uuid.UUID) -> Iterator[Any]:
        with super().locked(owner_id) as conn:
            yield CountingConnection(conn, self.log)

    def kinds(self) -> Counter[str]:
        return Counter("index" if "<=>" in q else "row" for q in self.log)


def bulk_faces(pool: Any, owner: uuid.UUID, vectors: np.ndarray, person: uuid.UUID | None) -> None:
    """Many faces at once, two per asset (the library around the face under test)."""
    with pool.connection() as conn:
        assets = conn.execute(
            "INSERT INTO assets (owner_id, status, original_file_name, original_mime_type,"
            " checksum, file_size, storage_key, file_created_at, file_modified_at)"
            " SELECT %s, 'ready', 'x.jpg', 'image/jpeg',"
            " decode(md5(random()::text) || md5(random()::text), 'hex'), 1,"
            " 'lib/' || gen_random_uuid(), now(), now() FROM generate_series(1, %s)"
            " RETURNING id",
            (owner, (len(vectors) + 1) // 2),
        ).fetchall()
        with conn.cursor() as cur:
            cur.executemany(
                "INSERT INTO asset_faces (asset_id, owner_id, person_id, image_width,"
                " image_height, x1, y1, x2, y2, landmarks, score, model_id, embedding,"
                " thumbnail_key) VALUES (%s, %s, %s, 100, 100, 1, 1, 9, 9, %s, 0.9, 't',"
                " %s::halfvec, 'k')",
                [
                    (
                        assets[i // 2]["id"],
                        owner,
                        person,
                        [1.0] * 10,
                        "[" + ",".join(f"{x:.5f}" for x in v) + "]",
                    )
                    for i, v in enumerate(vectors)
                ],
            )


def library(container: Any, email: str, size: int, rng: np.random.Generator) -> tuple:
    """``size`` faces: a known person (assigned) and strangers (waiting), mixed."""
    owner = rows.user(container.pool, email)
    with container.pool.connection() as conn:
        person = conn.execute(
            "INSERT INTO people (owner_id) VALUES (%s) RETURNING id", (owner,)
        ).fetchone()["id"]
    known = rows.unit(rng.normal(size=128))
    bulk_faces(
        container.pool, owner, np.stack([rows.near(known, rng, 0.03) for _ in range(5)]), person
    )
    strangers = np.stack([rows.unit(rng.normal(size=128)) for _ in range(size - 5)])
    bulk_faces(container.pool, owner, strangers, None)
    return owner, known


def statements_for_new_faces(container: Any, size: int, seed: int) -> dict[str, Counter[str]]:
    rng = np.random.default_rng(seed)
    owner, known = library(container, f"lib-{size}@example.com", size, rng)
    repo = CountingFaces(container.pool)
    recognizer = PeopleRecognizer(repo, max_distance=0.5, min_faces=3)
    costs: dict[str, Counter[str]] = {}
    newcomer = rows.unit(rng.normal(size=128))
    cases = [
        ("joined", rows.near(known, rng, 0.03)),  # a known person's face
        ("waiting", newcomer),  # a new face, the first of its kind
        ("waiting", rows.near(newcomer, rng, 0.03)),  # the second
        ("created", rows.near(newcomer, rng, 0.03)),  # the third: a new person
    ]
    for i, (expected, vector) in enumerate(cases):
        asset = rows.asset(container.pool, owner)
        face = uuid.uuid4()
        repo.replace_faces(asset, owner, [rows.face(face, vector)])
        repo.log.clear()
        outcome = recognizer.recognize(owner, [face])
        assert outcome[expected] == 1, (size, i, outcome)
        costs[f"{i}:{expected}"] = repo.kinds()
    return costs


@pytest.mark.parametrize("sizes", [(30, 600)])
def test_a_new_face_costs_the_same_queries_in_a_larger_library(container, sizes) -> None:
    small, large = (statements_for_new_faces(container, n, seed=n) for n in sizes)

    assert small == large
    for cost in large.values():
        assert cost["index"] <= 2
        assert cost["row"] <= 8
    # Joining a known person needs one index query; a face that starts a person two.
    assert large["0:joined"]["index"] == 1
    assert large["3:created"]["index"] == 2
