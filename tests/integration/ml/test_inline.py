"""smart_search runs inside the faces Lambda on the previews faces decoded (pipeline
``inline``), through the real handlers and the local event-source runner on PostgreSQL + moto:
its vectors match what its own Lambda computes, nothing waits in its queue, and when the
inline run cannot finish, the messages go to its queue and its own Lambda finishes the work."""

from __future__ import annotations

import time
from typing import Any

import numpy as np
import pytest

from tests.support.harness import Harness
from tests.support.ml import upload_all

UP_TO_FACES = ("ingest", "thumbnail", "faces")


def by_asset(h: Harness, sql: str, ids: list[str]) -> dict[str, Any]:
    """asset id -> ``value`` of the rows ``sql`` selects (it filters ``ANY(%s::uuid[])``)."""
    with h.container.pool.connection() as conn:
        rows = conn.execute(sql, (ids,)).fetchall()
    return {r["id"]: r["value"] for r in rows}


def vectors(h: Harness, ids: list[str]) -> dict[str, np.ndarray]:
    found = by_asset(
        h,
        "SELECT asset_id::text AS id, embedding::text AS value FROM smart_search_384"
        " WHERE asset_id = ANY(%s::uuid[])",
        ids,
    )
    return {a: np.array(v.strip("[]").split(","), dtype=np.float32) for a, v in found.items()}


def written(h: Harness, ids: list[str]) -> dict[str, Any]:
    """When each vector was last written."""
    return by_asset(
        h,
        "SELECT asset_id::text AS id, updated_at AS value FROM smart_search_384"
        " WHERE asset_id = ANY(%s::uuid[])",
        ids,
    )


def statuses(h: Harness, ids: list[str]) -> dict[str, str]:
    return by_asset(
        h,
        "SELECT asset_id::text AS id, status AS value FROM asset_stages"
        " WHERE stage = 'smart_search' AND asset_id = ANY(%s::uuid[])",
        ids,
    )


class BrokenEncoder:
    """An encoder that cannot run here (say the model did not fit in the faces Lambda)."""

    def __init__(self, encoder: Any) -> None:
        self._encoder = encoder

    def __getattr__(self, name: str) -> Any:
        return getattr(self._encoder, name)

    def embed_images(self, *args: Any, **kwargs: Any) -> Any:
        raise MemoryError("Cannot allocate memory")


def test_the_faces_lambda_embeds_what_it_decoded(
    module_harness: Harness, photos: dict[str, bytes]
) -> None:
    h = module_harness
    token = h.user("inline@example.com")
    names = ("chelsea", "astronaut", "coffee")
    # When the photos go through the faces Lambda only,
    ids = upload_all(h, token, {n: photos[n] for n in names}, stages=UP_TO_FACES)
    asset_ids = list(ids.values())

    # then each has its smart-search vector and its stage done, with no message left over,
    inline = vectors(h, asset_ids)
    assert sorted(inline) == sorted(asset_ids)
    assert statuses(h, asset_ids) == dict.fromkeys(asset_ids, "done")
    assert h.runner.run_once("smart_search", wait_seconds=0).size == 0
    # which search ranks: the cat photo first for "cat",
    r = h.call("POST", "/api/search/smart", {"query": "cat"}, token=token)
    assert r.status_code == 200, r.body
    assert r.json["items"][0]["id"] == ids["chelsea"]

    # and the vectors are the ones smart_search's own Lambda computes from its own decode.
    for asset_id in asset_ids:
        h.container.stage_queue.send("smart_search", [asset_id], force=True)
    assert h.runner.run_once("smart_search", wait_seconds=0).size == 3
    own = vectors(h, asset_ids)
    for asset_id in asset_ids:
        cosine = float(inline[asset_id] @ own[asset_id])
        assert cosine > 0.98, (asset_id, cosine)
    # (different photos stay far apart: the check above can fail)
    assert float(own[ids["chelsea"]] @ own[ids["coffee"]]) < 0.9


def test_what_the_inline_run_cannot_finish_goes_to_the_queue(
    module_harness: Harness, photos: dict[str, bytes]
) -> None:
    h = module_harness
    c = h.container
    token = h.user("fallback@example.com")
    c.__dict__["image_encoder"] = BrokenEncoder(c.image_encoder)
    try:
        # Given an encoder that fails in the faces Lambda,
        ids = upload_all(h, token, {"flower": photos["flower"]}, stages=UP_TO_FACES)
    finally:
        c.__dict__.pop("image_encoder", None)
    asset_id = ids["flower"]
    # faces is done and its faces stored, smart_search is not done and has no vector,
    with c.pool.connection() as conn:
        faces = conn.execute(
            "SELECT status FROM asset_stages WHERE stage = 'faces' AND asset_id = %s", (asset_id,)
        ).fetchone()
    assert faces["status"] == "done"
    assert statuses(h, [asset_id])[asset_id] != "done"
    assert vectors(h, [asset_id]) == {}

    # and its message waits in smart_search's queue: that Lambda finishes it.
    assert h.runner.run_once("smart_search", wait_seconds=0).size == 1
    assert statuses(h, [asset_id]) == {asset_id: "done"}
    assert list(vectors(h, [asset_id])) == [asset_id]


def test_inline_stages_off_hands_off_by_message(
    module_harness: Harness, photos: dict[str, bytes]
) -> None:
    h = module_harness
    c = h.container
    token = h.user("off@example.com")
    c.settings.inline_stages = False
    try:
        ids = upload_all(h, token, {"coffee": photos["coffee"]}, stages=UP_TO_FACES)
    finally:
        c.settings.inline_stages = True
    asset_id = ids["coffee"]
    assert vectors(h, [asset_id]) == {}
    assert statuses(h, [asset_id]) == {asset_id: "queued"}
    assert h.runner.run_once("smart_search", wait_seconds=0).size == 1
    assert list(vectors(h, [asset_id])) == [asset_id]


class Killed(BaseException):
    """What a Lambda timeout or an out-of-memory kill is to the code: nothing after it runs."""


def test_a_lambda_that_dies_mid_inline_run_loses_nothing(
    module_harness: Harness, photos: dict[str, bytes], monkeypatch
) -> None:
    from chalicelib.workers import smart_search

    h = module_harness
    c = h.container
    token = h.user("killed@example.com")
    ids = upload_all(h, token, {"astronaut": photos["astronaut"]}, stages=("ingest", "thumbnail"))
    asset_id = ids["astronaut"]

    def dies(*args: Any) -> Any:
        raise Killed

    monkeypatch.setattr(smart_search, "handle_decoded", dies)
    monkeypatch.setattr(c.settings, "inline_net_seconds", 1)
    # Given the faces Lambda killed while smart_search runs inline,
    with pytest.raises(Killed):
        h.runner.run_once("faces", wait_seconds=0)
    monkeypatch.undo()
    assert statuses(h, [asset_id]) == {asset_id: "queued"} and vectors(h, [asset_id]) == {}
    # the net it sent first reaches smart_search's own Lambda once its delay is over,
    time.sleep(1.5)
    result = h.runner.run_once("smart_search", wait_seconds=1)
    assert result.size == 1 and result.failed == ()
    # which does the work: nothing was lost.
    assert statuses(h, [asset_id]) == {asset_id: "done"}
    assert list(vectors(h, [asset_id])) == [asset_id]


def test_the_net_after_a_finished_inline_run_is_skipped_without_a_get(
    module_harness: Harness, photos: dict[str, bytes], monkeypatch
) -> None:
    h = module_harness
    c = h.container
    token = h.user("net@example.com")
    monkeypatch.setattr(c.settings, "inline_net_seconds", 1)
    ids = upload_all(h, token, {n: photos[n] for n in ("china", "coffee")}, stages=UP_TO_FACES)
    asset_ids = list(ids.values())
    assert statuses(h, asset_ids) == dict.fromkeys(asset_ids, "done")
    before = written(h, asset_ids)
    opened: list[str] = []
    real_open = c.store.open
    monkeypatch.setattr(c.store, "open", lambda key: opened.append(key) or real_open(key))
    # When the nets arrive after the inline run finished,
    time.sleep(1.5)
    result = h.runner.run_once("smart_search", wait_seconds=1)
    # they are taken and skipped: no preview fetched, nothing embedded again.
    assert result.size == 2 and result.failed == ()
    assert opened == []
    assert written(h, asset_ids) == before
