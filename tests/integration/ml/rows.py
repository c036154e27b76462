"""Rows straight into PostgreSQL for repository-level tests (no pipeline, no models)."""

from __future__ import annotations

import os
import uuid
from typing import Any
from uuid import UUID

import numpy as np


def user(pool: Any, email: str) -> UUID:
    with pool.connection() as conn:
        return conn.execute(
            "INSERT INTO users (email, name, password_hash) VALUES (%s, %s, 'x') RETURNING id",
            (email, email),
        ).fetchone()["id"]


def asset(pool: Any, owner: UUID, *, status: str = "ready") -> UUID:
    asset_id = uuid.uuid4()
    with pool.connection() as conn:
        conn.execute(
            "INSERT INTO assets (id, owner_id, status, original_file_name, original_mime_type,"
            " checksum, file_size, storage_key, file_created_at, file_modified_at)"
            " VALUES (%s, %s, %s, 'x.jpg', 'image/jpeg', %s, 1, %s, now(), now())",
            (asset_id, owner, status, os.urandom(32), f"users/{owner}/{asset_id}/original.jpg"),
        )
    return asset_id


def unit(vector: np.ndarray) -> np.ndarray:
    return (vector / np.linalg.norm(vector)).astype(np.float32)


def near(centre: np.ndarray, rng: np.random.Generator, spread: float) -> np.ndarray:
    """A unit vector at a small random angle from ``centre``."""
    return unit(centre + rng.normal(0, spread, centre.shape))


def face(face_id: UUID, embedding: np.ndarray) -> dict[str, Any]:
    return {
        "id": face_id,
        "image_width": 100,
        "image_height": 100,
        "box": (10, 10, 50, 50),
        "landmarks": [1.0] * 10,
        "score": 0.9,
        "model_id": "test",
        "embedding": embedding,
        "thumbnail_key": f"faces/{face_id}.jpeg",
    }
