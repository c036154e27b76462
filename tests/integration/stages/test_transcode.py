"""The transcode stage through the real pipeline: upload → ingest → transcode (ffmpeg) →
encoded.mp4 in the bucket and an asset_files row, or a recorded reason for not doing it."""

from __future__ import annotations

from pathlib import Path

from chalicelib.media.metadata import read_video_metadata
from tests.support.harness import Harness
from tests.support.stages import bucket_keys, files, object_bytes, stage_row, upload_file


def ready_after_all_stages(h: Harness, token: str, asset_id: str) -> bool:
    """Optional stages never hold an asset back: once every stage (ML ones included) has run,
    it is ready whatever the transcode did."""
    h.drain(stages=None)
    asset = h.asset(token, asset_id)
    return asset["status"] == "ready" and asset["failureReason"] is None


def test_hevc_mkv_becomes_h264_720p_mp4(
    harness: Harness, clips: dict[str, Path], tmp_path: Path
) -> None:
    token = harness.user("vid@example.com")
    asset_id = upload_file(harness, token, clips["hevc_mkv"])

    assert stage_row(harness, asset_id, "transcode")["status"] == "done"
    encoded = files(harness, asset_id)["encoded"]
    assert encoded["storage_key"].endswith(f"/{asset_id}/encoded.mp4")
    assert (encoded["mime_type"], encoded["width"], encoded["height"]) == ("video/mp4", 960, 720)
    data = object_bytes(harness, encoded["storage_key"])
    assert len(data) == encoded["byte_size"]
    out = tmp_path / "encoded.mp4"
    out.write_bytes(data)
    meta = read_video_metadata(out)
    assert (meta.container, meta.video_codec, meta.pixel_format) == ("mov", "h264", "yuv420p")
    assert (meta.width, meta.height, meta.audio_codec) == (960, 720, "aac")
    # +faststart: the index (moov) comes before the media data, so playback starts at once.
    assert data.index(b"moov") < data.index(b"mdat")
    # Optional stage done: the asset is ready, and the original is still there.
    assert ready_after_all_stages(harness, token, asset_id)
    assert any(k.endswith("/original.mkv") for k in bucket_keys(harness))


def test_web_playable_mp4_is_not_transcoded_under_required(
    harness: Harness, clips: dict[str, Path]
) -> None:
    token = harness.user("web@example.com")
    asset_id = upload_file(harness, token, clips["web"])

    assert stage_row(harness, asset_id, "transcode") == {
        "status": "done",
        "error": None,
        "attempts": 1,
    }  # queued by ingest, then run once
    assert "encoded" not in files(harness, asset_id)
    assert not any(k.endswith("encoded.mp4") for k in bucket_keys(harness))


def test_optimal_policy_downscales_a_web_playable_video(
    harness: Harness, configure, clips: dict[str, Path]
) -> None:
    configure(transcode_policy="optimal", transcode_target_resolution=144)
    token = harness.user("opt@example.com")
    asset_id = upload_file(harness, token, clips["web"])

    encoded = files(harness, asset_id)["encoded"]
    assert (encoded["width"], encoded["height"]) == (192, 144)


def test_disabled_policy_skips_with_a_reason(
    harness: Harness, configure, clips: dict[str, Path]
) -> None:
    configure(transcode_policy="disabled")
    token = harness.user("off@example.com")
    asset_id = upload_file(harness, token, clips["hevc_mkv"])

    row = stage_row(harness, asset_id, "transcode")
    assert (row["status"], row["error"]) == ("skipped", "transcoding is disabled")
    assert "encoded" not in files(harness, asset_id)
    assert ready_after_all_stages(harness, token, asset_id)


def test_video_too_long_for_lambda_is_skipped_with_a_reason(
    harness: Harness, configure, clips: dict[str, Path]
) -> None:
    # Ten minutes at the slowest preset: the estimate (with its safety margin) is far over
    # the 14 minutes a Lambda may spend, so ffmpeg is not even started.
    configure(transcode_policy="all", transcode_preset="veryslow")
    token = harness.user("long@example.com")
    asset_id = upload_file(harness, token, clips["long"])

    row = stage_row(harness, asset_id, "transcode")
    assert row["status"] == "skipped"
    assert row["error"].startswith("the 10 min video is too long to transcode")
    assert "docs/video.md" in row["error"]
    assert "encoded" not in files(harness, asset_id)
    assert ready_after_all_stages(harness, token, asset_id)


def test_images_never_reach_the_transcode_stage(harness: Harness) -> None:
    from tests.support.samples import jpeg, quadrants

    token = harness.user("img@example.com")
    r = harness.upload(token, "a.jpg", jpeg(quadrants()))
    harness.drain()
    assert stage_row(harness, str(r["assetId"]), "transcode") is None


def test_forced_rerun_after_a_policy_change_removes_the_stale_encode(
    harness: Harness, configure, clips: dict[str, Path]
) -> None:
    configure(transcode_policy="all")
    token = harness.user("stale@example.com")
    asset_id = upload_file(harness, token, clips["web"])
    assert "encoded" in files(harness, asset_id)

    configure(transcode_policy="required")
    admin = harness.login("admin@example.com", "admin-password-1")
    r = harness.call("POST", "/api/admin/stages/transcode/requeue", {"mode": "all"}, token=admin)
    assert r.json["queued"] == 1
    harness.drain()

    assert "encoded" not in files(harness, asset_id)
    assert not any(k.endswith("encoded.mp4") for k in bucket_keys(harness))
    assert stage_row(harness, asset_id, "transcode")["status"] == "done"
