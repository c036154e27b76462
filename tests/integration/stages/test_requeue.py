"""POST /api/admin/stages/{stage}/requeue: "missing" sends only assets whose stage is not done,
"all" sends every asset of the stage's types (forced); re-runs change nothing they need not."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from chalicelib.repositories.media import MediaRepository
from chalicelib.services.requeue import RequeueService
from tests.support.bulk_jobs import finish
from tests.support.fakes import RecordingQueue
from tests.support.harness import Harness
from tests.support.samples import jpeg, quadrants
from tests.support.stages import bucket_keys, stage_row, upload_file


def requeue(h: Harness, stage: str, mode: str) -> Any:
    """The re-queue job, run by the bulk_jobs worker: what it shows when done (or the refusal)."""
    admin = h.login("admin@example.com", "admin-password-1")
    r = h.call("POST", f"/api/admin/stages/{stage}/requeue", {"mode": mode}, token=admin)
    if r.status_code != 202:
        return r
    job = finish(h, r, admin)
    assert job["status"] == "succeeded", job
    return job


def run_stage(h: Harness, stage: str) -> int:
    """Runs one stage until its queue is empty; returns how many messages it handled.
    The stages after it (faces, smart search...) get hand-offs: ``drain()`` runs those."""
    handled = 0
    while batch := h.runner.run_once(stage, wait_seconds=0).size:
        handled += batch
    return handled


def all_files(h: Harness) -> list[tuple[str, str, str]]:
    with h.container.pool.connection() as conn:
        rows = conn.execute(
            "SELECT asset_id, kind, storage_key FROM asset_files ORDER BY asset_id, kind"
        ).fetchall()
    return [(str(r["asset_id"]), r["kind"], r["storage_key"]) for r in rows]


def library(h: Harness, clips: dict[str, Path]) -> tuple[str, list[str], str]:
    token = h.user("lib@example.com")
    images = [
        str(h.upload(token, f"{i}.jpg", jpeg(quadrants(200 + i, 150)))["assetId"]) for i in range(2)
    ]
    video = upload_file(h, token, clips["hevc_mkv"], drain=False)
    h.drain()
    return token, images, video


def test_missing_then_all_counts_and_idempotent_reruns(
    harness: Harness, clips: dict[str, Path]
) -> None:
    _, images, video = library(harness, clips)
    files_before, keys_before = all_files(harness), bucket_keys(harness)
    assert len(files_before) == 7  # 3 x (preview, thumbnail) + encoded

    # Everything is done: nothing is missing.
    job = requeue(harness, "thumbnail", "missing")
    assert (job["params"], job["processed"]) == ({"stage": "thumbnail", "mode": "missing"}, 0)
    assert harness.drain() == 0

    # One asset's thumbnail stage failed earlier: "missing" picks exactly that one.
    harness.container.pipeline_repo.set_stage(images[1], "thumbnail", "failed", "was broken")
    assert requeue(harness, "thumbnail", "missing")["processed"] == 1
    assert run_stage(harness, "thumbnail") == 1
    harness.drain()
    assert stage_row(harness, images[1], "thumbnail")["status"] == "done"

    # "all" re-runs every asset, even finished ones; transcode covers videos only.
    assert requeue(harness, "thumbnail", "all")["processed"] == 3
    assert requeue(harness, "transcode", "all")["processed"] == 1
    assert run_stage(harness, "thumbnail") == 3
    assert run_stage(harness, "transcode") == 1
    harness.drain()
    assert stage_row(harness, video, "transcode")["attempts"] == 2  # run, re-run

    # Same rows, same keys, same objects: nothing duplicated.
    assert all_files(harness) == files_before
    assert bucket_keys(harness) == keys_before


def test_missing_includes_skipped_videos(
    harness: Harness, configure, clips: dict[str, Path]
) -> None:
    configure(transcode_policy="disabled")
    _, _, video = library(harness, clips)
    assert stage_row(harness, video, "transcode")["status"] == "skipped"

    # Transcoding is switched on: the videos skipped before are what "missing" finds.
    configure(transcode_policy="required")
    assert requeue(harness, "transcode", "missing")["processed"] == 1
    harness.drain()
    assert stage_row(harness, video, "transcode")["status"] == "done"
    assert any(k.endswith(f"{video}/encoded.mp4") for k in bucket_keys(harness))


def test_unknown_and_upload_triggered_stages_are_refused(harness: Harness) -> None:
    r = requeue(harness, "nope", "all")
    assert (r.status_code, r.json["message"]) == (404, "No pipeline stage named 'nope'")
    r = requeue(harness, "ingest", "missing")
    assert r.status_code == 400
    assert "starts from uploads to S3" in r.json["message"]
    r = requeue(harness, "archive", "all")
    assert r.status_code == 400
    assert "not run per asset" in r.json["message"]
    r = requeue(harness, "thumbnail", "some")
    assert r.status_code == 400
    assert r.json["details"][0]["field"] == "mode"


def test_pages_cover_every_asset_once(harness: Harness) -> None:
    # Keyset pages smaller than the library: each asset sent exactly once, in id order.
    token = harness.user("pages@example.com")
    for i in range(3):
        harness.upload(token, f"{i}.jpg", jpeg(quadrants(100 + i, 80)))
    harness.drain(stages=("ingest",))
    queue = RecordingQueue()
    sent = queue.sent
    service = RequeueService(MediaRepository(harness.container.pool), queue)
    first = service.requeue_page("thumbnail", "all", None, 2)
    assert first[0] == 2 and first[1] is not None
    assert service.requeue_page("thumbnail", "all", first[1], 2) == (1, None)
    ids = [i for _, page, _ in sent for i in page]
    assert [len(page) for _, page, _ in sent] == [2, 1]
    assert ids == sorted(ids) and len(set(ids)) == 3
    assert {(stage, force) for stage, _, force in sent} == {("thumbnail", True)}
