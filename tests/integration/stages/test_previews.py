"""``workers.previews``: an ML batch's previews are fetched together, each once, and a failed
prefetch fails exactly as the stage's own request would (real PostgreSQL and moto)."""

from __future__ import annotations

import json
from uuid import UUID

import pytest

from chalicelib.media.errors import MediaError
from chalicelib.workers import previews
from tests.support.harness import Harness
from tests.support.samples import jpeg, quadrants


def body(asset_id: UUID) -> str:
    return json.dumps({"assetId": str(asset_id), "stage": "faces"})


@pytest.fixture
def library(harness: Harness) -> tuple[Harness, list[UUID]]:
    token = harness.user("previews@example.com")
    ids = [
        UUID(str(harness.upload(token, f"{i}.jpg", jpeg(quadrants(90 + i, 70)))["assetId"]))
        for i in range(3)
    ]
    harness.drain(("ingest", "thumbnail"))
    return harness, ids


def spy(monkeypatch: pytest.MonkeyPatch, obj: object, name: str) -> list[tuple]:
    calls: list[tuple] = []
    real = getattr(obj, name)

    def recorded(*args: object) -> object:
        calls.append(args)
        return real(*args)

    monkeypatch.setattr(obj, name, recorded)
    return calls


def stored(h: Harness, asset_id: UUID) -> bytes:
    key = h.container.media_repo.files(asset_id)["preview"]["storage_key"]
    return h.container.store.open(key).read()


def test_a_batch_fetches_each_preview_once(library, monkeypatch) -> None:
    h, ids = library
    c = h.container
    expected = {a: stored(h, a) for a in ids}
    opens = spy(monkeypatch, c.store, "open")
    rows = spy(monkeypatch, c.media_repo, "files")
    with previews.prefetched(c, [body(a) for a in ids]):
        got = {a: previews.fetch(c, a) for a in ids}
    assert got == expected
    assert sorted(args[0] for args in opens) == sorted(
        c.media_repo.preview_keys(ids).values()
    )  # one GET a preview, started by the prefetch
    assert rows == []  # the keys came from one query for the batch


def test_a_missing_object_fails_like_the_stages_own_request(library) -> None:
    h, ids = library
    c = h.container
    gone = c.media_repo.preview_keys([ids[0]])[ids[0]]
    c.store.delete(gone)
    with previews.prefetched(c, [body(a) for a in ids]):
        with pytest.raises(FileNotFoundError, match="missing"):
            previews.fetch(c, ids[0])
        assert previews.fetch(c, ids[1]) == stored(h, ids[1])  # the others are unharmed


def test_no_preview_is_the_files_fault_with_or_without_prefetch(library) -> None:
    h, ids = library
    c = h.container
    with c.pool.connection() as conn:
        conn.execute("DELETE FROM asset_files WHERE asset_id = %s", (ids[0],))
    with (
        previews.prefetched(c, [body(a) for a in ids]),
        pytest.raises(MediaError, match="no preview"),
    ):
        previews.fetch(c, ids[0])
    with pytest.raises(MediaError, match="no preview"):
        previews.fetch(c, ids[0])


def test_one_thread_or_a_database_error_means_no_prefetch(library, monkeypatch) -> None:
    h, ids = library
    c = h.container
    opens = spy(monkeypatch, c.store, "open")
    monkeypatch.setattr(c.settings, "io_threads", 1)
    with previews.prefetched(c, [body(a) for a in ids]):
        assert opens == []  # nothing started
        assert previews.fetch(c, ids[1]) == stored(h, ids[1])
    monkeypatch.setattr(c.settings, "io_threads", 8)

    def down(asset_ids: list[UUID]) -> dict:
        raise ConnectionError("server closed the connection unexpectedly")

    monkeypatch.setattr(c.media_repo, "preview_keys", down)
    with previews.prefetched(c, [*(body(a) for a in ids), "{not json"]):
        assert previews.fetch(c, ids[2]) == stored(h, ids[2])  # the stage's own request
