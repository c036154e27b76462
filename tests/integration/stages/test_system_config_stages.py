"""Server settings reach the workers and the API without a redeploy: the next thumbnail
stage renders at the size and quality an admin PUT, the transcode stage encodes with the
CRF set, the trash purge keeps the days set, and tickets refuse what the upload limit does
(real PostgreSQL, moto, pyvips and ffmpeg)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pyvips

from tests.support.bulk_jobs import finish
from tests.support.harness import Harness
from tests.support.samples import jpeg, quadrants
from tests.support.stages import files, object_bytes, upload_file


def _admin(h: Harness) -> str:
    return h.login("admin@example.com", "admin-password-1")


def _set(h: Harness, token: str, change: dict[str, Any]) -> dict[str, Any]:
    config = h.call("GET", "/api/system-config", token=token).json

    def merge(into: dict[str, Any], patch: dict[str, Any]) -> None:
        for key, value in patch.items():
            if isinstance(value, dict):
                merge(into[key], value)
            else:
                into[key] = value

    merge(config, change)
    r = h.call("PUT", "/api/system-config", config, token=token)
    assert r.status_code == 200, r.body
    return r.json


def test_a_new_thumbnail_size_is_what_the_next_stage_run_renders(harness: Harness) -> None:
    h = harness
    admin, token = _admin(h), h.user("sizes@example.com")
    first = str(h.upload(token, "a.jpg", jpeg(quadrants(800, 600)))["assetId"])
    h.drain(("ingest", "thumbnail"))
    before = pyvips.Image.new_from_buffer(
        object_bytes(h, files(h, first)["thumbnail"]["storage_key"]), ""
    )
    assert min(before.width, before.height) == 250  # the environment's default

    r = _set(h, admin, {"image": {"thumbnail": {"size": 120, "format": "jpeg", "quality": 50}}})
    assert r["requeue"] == [
        {"stage": "thumbnail", "reason": "thumbnail and preview settings changed", "mode": "all"}
    ]
    second = str(h.upload(token, "b.jpg", jpeg(quadrants(801, 600)))["assetId"])
    h.drain(("ingest", "thumbnail"))
    row = files(h, second)["thumbnail"]
    data = object_bytes(h, row["storage_key"])
    image = pyvips.Image.new_from_buffer(data, "")
    assert data[:3] == b"\xff\xd8\xff" and row["storage_key"].endswith("/thumbnail.jpeg")
    assert (image.width, image.height) == (160, 120) == (row["width"], row["height"])

    # The offered re-run redoes the first asset with the new settings; its old object goes.
    old_key = files(h, first)["thumbnail"]["storage_key"]
    started = h.call("POST", "/api/admin/stages/thumbnail/requeue", {"mode": "all"}, token=admin)
    job = finish(h, started, admin)
    assert (job["kind"], job["status"], job["processed"], job["total"]) == (
        "requeue",
        "succeeded",
        2,
        2,
    )
    h.drain(("thumbnail",))
    redone = files(h, first)["thumbnail"]
    assert (redone["width"], redone["height"]) == (160, 120)
    assert old_key.endswith("thumbnail.webp") and old_key not in h.container.store.keys("derived/")


def test_the_transcode_stage_encodes_with_the_crf_set(
    harness: Harness, clips: dict[str, Path], monkeypatch
) -> None:
    from chalicelib.media import video

    h = harness
    admin, token = _admin(h), h.user("crf@example.com")
    seen: list[Any] = []
    real = video.transcode

    def recorded(src: Path, work: Path, options: Any) -> Any:
        seen.append(options)
        return real(src, work, options)

    monkeypatch.setattr(video, "transcode", recorded)
    _set(h, admin, {"ffmpeg": {"crf": 35, "targetResolution": 480, "transcode": "all"}})
    asset = upload_file(h, token, clips["web"])
    assert [(o.crf, o.target_resolution) for o in seen] == [(35, 480)]
    encoded = files(h, asset)["encoded"]
    assert min(encoded["width"], encoded["height"]) <= 480

    _set(h, admin, {"ffmpeg": {"transcode": "disabled"}})
    other = upload_file(h, token, clips["dark_start"])
    assert len(seen) == 1 and "encoded" not in files(h, other)


def test_trash_days_and_the_upload_limit_follow_the_settings(harness: Harness) -> None:
    h = harness
    admin, token = _admin(h), h.user("trash@example.com")
    asset = str(h.upload(token, "t.jpg", jpeg(quadrants(64, 48)))["assetId"])
    h.drain(("ingest", "thumbnail"))
    h.call("DELETE", "/api/assets", {"ids": [asset]}, token=token)
    with h.container.pool.connection() as conn:
        conn.execute(
            "UPDATE assets SET trashed_at = now() - interval '3 days' WHERE id = %s", (asset,)
        )
    run = h.call("POST", "/api/admin/jobs/purge-trash/run", token=admin).json
    assert run["result"] == {"purged": 0}  # 30 days by default
    _set(h, admin, {"trash": {"days": 2}})
    run = h.call("POST", "/api/admin/jobs/purge-trash/run", token=admin).json
    assert run["result"] == {"purged": 1}

    _set(h, admin, {"upload": {"maxFileSizeInBytes": 1000}})
    r = h.start_upload(token, "big.jpg", jpeg(quadrants(300, 200)))
    assert r.status_code == 413
    assert "(1000 bytes)" in r.json["message"]
