"""smart_search asks the database for face counts only for an encoder that reads them, and
for its owners' own search indexes after storing the vectors."""

from __future__ import annotations

from collections.abc import Sequence
from types import SimpleNamespace
from typing import Any

import numpy as np
import pytest

from chalicelib.services.system_config import defaults
from chalicelib.settings import Settings
from chalicelib.workers.smart_search import embed_all


class Encoder:
    model_id = "test-model"

    def __init__(self, uses_face_counts: bool) -> None:
        self.uses_face_counts = uses_face_counts
        self.seen: list[Sequence[int] | None] = []

    def embed_images(self, images: Sequence[Any], face_counts: Sequence[int] | None = None) -> Any:
        self.seen.append(face_counts)
        return np.ones((len(images), 4), np.float32) / 2


class Repo:
    def __init__(self, counts: dict[str, int] | None) -> None:
        self.counts = counts
        self.rows: list[tuple[str, str]] = []
        self.indexed: list[tuple[list[str], int | None]] = []

    def face_counts(self, asset_ids: Sequence[str]) -> dict[str, int]:
        if self.counts is None:
            raise AssertionError("face counts must not be asked")
        return {a: self.counts[a] for a in asset_ids}

    def upsert_many(self, model_id: str, vectors: Sequence[tuple[str, Any]]) -> None:
        self.rows.extend((asset_id, model_id) for asset_id, _ in vectors)

    def ensure_owner_indexes(self, owners: list[str], dimension: int | None = None) -> dict:
        assert self.rows, "indexes are looked at after the vectors are stored"
        self.indexed.append((owners, dimension))
        return {"built": 0, "dropped": 0}


@pytest.mark.parametrize("uses", [False, True])
def test_face_counts_are_looked_up_only_when_used(uses: bool) -> None:
    encoder = Encoder(uses)
    repo = Repo({"a": 2, "b": 0} if uses else None)
    config = defaults(Settings())
    c = SimpleNamespace(
        image_encoder=encoder,
        embedding_repo=repo,
        system_config=SimpleNamespace(get=lambda: config),
    )
    assets = [{"id": "a", "owner_id": "u2"}, {"id": "b", "owner_id": "u1"}]
    embed_all(assets, [object(), object()], c)
    assert encoder.seen == ([[2, 0]] if uses else [None])
    assert repo.rows == [("a", "test-model"), ("b", "test-model")]
    # Each owner once, in the vectors' table (their dimension).
    assert repo.indexed == [(["u1", "u2"], 4)]


def test_the_packs_say_whether_they_read_face_counts() -> None:
    from chalicelib.ml.clip import ClipPack
    from chalicelib.ml.offline import OfflinePack

    assert OfflinePack.uses_face_counts.fget(None) is True  # type: ignore[attr-defined]
    assert ClipPack.uses_face_counts.fget(None) is False  # type: ignore[attr-defined]


def test_a_failed_index_build_does_not_fail_the_batch() -> None:
    """The vectors are stored; the index is the nightly job's to build then."""

    class Failing(Repo):
        def ensure_owner_indexes(self, owners: list[str], dimension: int | None = None) -> dict:
            raise RuntimeError("out of memory building the graph")

    repo = Failing(None)
    config = defaults(Settings())
    c = SimpleNamespace(
        image_encoder=Encoder(False),
        embedding_repo=repo,
        system_config=SimpleNamespace(get=lambda: config),
    )
    embed_all([{"id": "a", "owner_id": "u1"}], [object()], c)
    assert repo.rows == [("a", "test-model")]
