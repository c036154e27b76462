"""Libraries of synthetic 384-d smart-search vectors for the search tests: users, ready
photos with their vectors loaded by binary COPY, and clusters of points around a query."""

from __future__ import annotations

import uuid
from typing import Any

import numpy as np
from pgvector import HalfVector

MODEL = "m-384"
DIM = 384


def new_user(conn: Any) -> Any:
    return conn.execute(
        "INSERT INTO users (email, name, password_hash) VALUES (%s, 'u', 'x') RETURNING id",
        (f"{uuid.uuid4().hex[:8]}@example.com",),
    ).fetchone()["id"]


def vector_library(container: Any, owner: Any, vectors: np.ndarray) -> list[Any]:
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


def around(q: np.ndarray, n: int, spread: float, rng: np.random.Generator) -> np.ndarray:
    """``n`` unit vectors scattered around ``q``, as halfvec stores them."""
    points = q + rng.normal(scale=spread, size=(n, DIM)).astype(np.float32)
    points /= np.linalg.norm(points, axis=1, keepdims=True)
    return points.astype(np.float16).astype(np.float32)  # the values halfvec stores
