"""smart_search's own Lambda (the faces Lambda runs it inline; this is the path for re-runs,
reembeds and what the inline run left) takes a whole SQS batch in one model call, through the
real Lambda handler and the local event-source runner, and still settles every record on its
own: a corrupt preview fails its asset's stage only, a missing one is retried alone
(batchItemFailures), and redelivered or duplicate records add no rows."""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import Any

from tests.support.harness import Harness
from tests.support.ml import upload_all

BEFORE_SMART_SEARCH = ("ingest", "thumbnail", "faces", "duplicates")


class SpyEncoder:
    """The real encoder, remembering how many images each call got."""

    def __init__(self, encoder: Any) -> None:
        self._encoder = encoder
        self.calls: list[int] = []

    def __getattr__(self, name: str) -> Any:
        return getattr(self._encoder, name)

    def embed_images(self, images: Sequence[Any], face_counts: Sequence[int] | None = None) -> Any:
        self.calls.append(len(images))
        return self._encoder.embed_images(images, face_counts=face_counts)


def embedding_rows(h: Harness, asset_ids: list[str]) -> dict[str, dict[str, Any]]:
    with h.container.pool.connection() as conn:
        rows = conn.execute(
            "SELECT asset_id::text AS id, model_id, updated_at FROM smart_search_384"
            " WHERE asset_id = ANY(%s::uuid[])",
            (asset_ids,),
        ).fetchall()
    return {r["id"]: r for r in rows}


def stage(h: Harness, asset_id: str) -> dict[str, Any]:
    with h.container.pool.connection() as conn:
        row = conn.execute(
            "SELECT status, error FROM asset_stages WHERE asset_id = %s AND stage = 'smart_search'",
            (asset_id,),
        ).fetchone()
    assert row is not None
    return dict(row)


def preview_key(h: Harness, asset_id: str) -> str:
    return str(h.container.media_repo.files(asset_id)["preview"]["storage_key"])


def smart_search_batch(h: Harness, expected: int) -> Any:
    """The next SQS batch of the stage, through its real Lambda handler."""
    result = h.runner.run_once("smart_search", wait_seconds=2)
    assert result.size == expected, result
    return result


def test_one_model_call_per_batch_and_one_outcome_per_record(
    module_harness: Harness, photos: dict[str, bytes]
) -> None:
    h = module_harness
    c = h.container
    token = h.user("batch@example.com")
    names = ("chelsea", "astronaut", "coffee", "flower")
    # Given four previews whose smart_search messages wait in the queue (not run inline),
    c.settings.inline_stages = False
    try:
        ids = upload_all(h, token, {n: photos[n] for n in names}, stages=BEFORE_SMART_SEARCH)
    finally:
        c.settings.inline_stages = True
    # one of them corrupt (the file's fault) and one missing (a failure worth retrying).
    corrupt, missing = ids["chelsea"], ids["coffee"]
    c.store.put(preview_key(h, corrupt), b"not a jpeg at all", "image/jpeg")
    missing_bytes = c.s3.get_object(Bucket=c.settings.bucket, Key=preview_key(h, missing))
    missing_bytes = missing_bytes["Body"].read()
    c.store.delete(preview_key(h, missing))
    spy = SpyEncoder(c.image_encoder)
    c.__dict__["image_encoder"] = spy
    try:
        # When the stage gets them as one SQS batch,
        result = smart_search_batch(h, expected=4)

        # Then the two good previews were embedded together, in one model call,
        assert spy.calls == [2]
        good = [ids["astronaut"], ids["flower"]]
        rows = embedding_rows(h, list(ids.values()))
        assert sorted(rows) == sorted(good)
        assert {r["model_id"] for r in rows.values()} == {c.image_encoder.model_id}
        assert all(stage(h, i)["status"] == "done" for i in good)
        # the corrupt one failed its own stage, with the reason, and is not retried,
        assert stage(h, corrupt)["status"] == "failed"
        assert "preview cannot be decoded" in stage(h, corrupt)["error"]
        # and only the missing one is reported back to SQS, to be delivered again.
        assert len(result.failed) == 1 and len(result.deleted) == 3
        assert stage(h, missing)["status"] == "running"

        # Given its preview is back, a duplicate of its message, and a redelivery of a done one,
        c.store.put(preview_key(h, missing), missing_bytes, "image/jpeg")
        c.stage_queue.send("smart_search", [missing])
        c.stage_queue.send("smart_search", [ids["astronaut"]])
        # when the retry comes round with them (the queue's visibility timeout is 2 s here),
        time.sleep(2.5)
        result = smart_search_batch(h, expected=3)

        # then the asset is embedded once, the done one is skipped, and nothing is retried.
        assert spy.calls == [2, 1]
        assert result.failed == () and len(result.deleted) == 3
        after = embedding_rows(h, list(ids.values()))
        assert sorted(after) == sorted([*good, missing])
        assert after[ids["astronaut"]]["updated_at"] == rows[ids["astronaut"]]["updated_at"]
        assert stage(h, missing)["status"] == "done"
        with c.pool.connection() as conn:
            count = conn.execute(
                "SELECT count(*) AS n FROM smart_search_384 WHERE asset_id = ANY(%s::uuid[])",
                (list(ids.values()),),
            ).fetchone()
        assert count["n"] == 3
    finally:
        c.__dict__.pop("image_encoder", None)
