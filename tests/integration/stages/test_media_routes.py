"""GET /api/assets/{id}/thumbnail and /playback: 302s to presigned GETs of the right object,
with cache headers, and 404s with reasons (not generated, not playable, not yours)."""

from __future__ import annotations

import io
from pathlib import Path

import httpx
import numpy as np
from PIL import Image

from chalicelib.services import media as service
from tests.support.harness import Harness
from tests.support.samples import jpeg, quadrants
from tests.support.stages import files, object_bytes, presigned_key, query, upload_file


def test_thumbnail_redirects_per_size_with_cache_headers(harness: Harness) -> None:
    token = harness.user("t@example.com")
    asset_id = str(harness.upload(token, "card.jpg", jpeg(quadrants(800, 600)))["assetId"])

    # Given an uploaded image whose stages have not run yet: a 404 that says why.
    r = harness.call("GET", f"/api/assets/{asset_id}/thumbnail", token=token)
    assert (r.status_code, r.json["message"]) == (404, "The thumbnail has not been generated yet")

    harness.drain()
    stored = files(harness, asset_id)
    for size, suffix, magic in (
        ("thumbnail", "thumbnail.webp", b"WEBP"),
        ("preview", "preview.jpeg", b"\xff\xd8\xff"),
    ):
        r = harness.call("GET", f"/api/assets/{asset_id}/thumbnail?size={size}", token=token)
        assert r.status_code == 302, r.body
        assert r.headers["Cache-Control"] == "private, max-age=3300"
        url = r.headers["Location"]
        assert presigned_key(url) == stored[size]["storage_key"]
        assert presigned_key(url).endswith(f"/{asset_id}/{suffix}")
        params = query(url)
        assert params["response-cache-control"] == "private, max-age=3600, immutable"
        assert params["response-content-type"] == stored[size]["mime_type"]
        assert params["X-Amz-Expires"] == "3600"
        # Following the redirect gets exactly the stored derivative.
        got = httpx.get(url)
        body = got.content
        assert got.headers["cache-control"] == "private, max-age=3600, immutable"
        assert magic in body[:12]
        assert body == object_bytes(harness, stored[size]["storage_key"])


def test_thumbnail_defaults_to_the_small_one_and_refuses_other_sizes(harness: Harness) -> None:
    token = harness.user("d@example.com")
    asset_id = str(harness.upload(token, "card.jpg", jpeg(quadrants()))["assetId"])
    harness.drain()

    r = harness.call("GET", f"/api/assets/{asset_id}/thumbnail", token=token)
    assert presigned_key(r.headers["Location"]).endswith("/thumbnail.webp")
    r = harness.call("GET", f"/api/assets/{asset_id}/thumbnail?size=fullsize", token=token)
    assert r.status_code == 400
    assert r.json["details"][0]["field"] == "size"


def test_someone_elses_asset_is_a_404_like_a_missing_one(harness: Harness) -> None:
    owner = harness.user("owner@example.com")
    other = harness.user("other@example.com")
    asset_id = str(harness.upload(owner, "card.jpg", jpeg(quadrants()))["assetId"])
    harness.drain()

    for path in (
        f"/api/assets/{asset_id}/thumbnail",
        f"/api/assets/{asset_id}/playback",
        "/api/assets/00000000-0000-0000-0000-000000000001/thumbnail",
    ):
        r = harness.call("GET", path, token=other)
        assert r.status_code == 404, path
        assert r.json["message"] == "Asset not found"
        assert "Location" not in r.headers
    assert harness.call("GET", "/api/assets/not-a-uuid/thumbnail", token=other).status_code == 404
    # The owner, with the same URL, gets the redirect.
    r = harness.call("GET", f"/api/assets/{asset_id}/thumbnail", token=owner)
    assert r.status_code == 302


def test_playback_is_the_encoded_video_when_there_is_one(
    harness: Harness, clips: dict[str, Path]
) -> None:
    token = harness.user("p@example.com")
    asset_id = upload_file(harness, token, clips["hevc_mkv"])

    r = harness.call("GET", f"/api/assets/{asset_id}/playback", token=token)
    assert r.status_code == 302
    encoded = files(harness, asset_id)["encoded"]
    assert presigned_key(r.headers["Location"]) == encoded["storage_key"]
    assert query(r.headers["Location"])["response-content-type"] == "video/mp4"
    assert httpx.get(r.headers["Location"]).content[4:8] == b"ftyp"


def test_playback_is_the_original_when_browsers_play_it(
    harness: Harness, clips: dict[str, Path]
) -> None:
    token = harness.user("o@example.com")
    asset_id = upload_file(harness, token, clips["web"])

    r = harness.call("GET", f"/api/assets/{asset_id}/playback", token=token)
    assert r.status_code == 302
    assert presigned_key(r.headers["Location"]).endswith(f"/{asset_id}/original.mp4")
    assert httpx.get(r.headers["Location"]).content == clips["web"].read_bytes()


def test_playback_without_a_playable_version_is_a_404_with_a_reason(
    harness: Harness, configure, clips: dict[str, Path]
) -> None:
    configure(transcode_policy="disabled")
    token = harness.user("n@example.com")
    video = upload_file(harness, token, clips["hevc_mkv"])
    image = str(harness.upload(token, "card.jpg", jpeg(quadrants()))["assetId"])
    harness.drain()

    r = harness.call("GET", f"/api/assets/{video}/playback", token=token)
    assert (r.status_code, r.json["message"]) == (
        404,
        "The video is not web-playable and has no transcode yet",
    )
    r = harness.call("GET", f"/api/assets/{image}/playback", token=token)
    assert (r.status_code, r.json["message"]) == (404, "Only videos have a playback stream")


def test_playback_falls_back_to_stored_metadata_when_the_stage_did_not_judge(
    harness: Harness, configure, clips: dict[str, Path]
) -> None:
    # Transcoding disabled: no stage verdict, so the codecs ingest stored decide.
    configure(transcode_policy="disabled")
    token = harness.user("m@example.com")
    asset_id = upload_file(harness, token, clips["web"])
    r = harness.call("GET", f"/api/assets/{asset_id}/playback", token=token)
    assert presigned_key(r.headers["Location"]).endswith("/original.mp4")


def test_video_thumbnail_comes_from_a_frame_that_is_not_black(
    harness: Harness, clips: dict[str, Path]
) -> None:
    token = harness.user("poster@example.com")
    asset_id = upload_file(harness, token, clips["dark_start"])

    r = harness.call("GET", f"/api/assets/{asset_id}/thumbnail?size=preview", token=token)
    preview = Image.open(io.BytesIO(httpx.get(r.headers["Location"]).content)).convert("L")
    assert preview.size == (320, 240)
    # The first 1.2 s are pure black; testsrc's colour bars average far above that.
    mean = float(np.asarray(preview).mean())
    assert mean > 60
    assert harness.asset(token, asset_id)["thumbhash"]


def test_api_rules_for_playable_originals_match_the_media_library() -> None:
    # The API cannot import chalicelib.media.video (Pillow, numpy); its copy must not drift.
    from chalicelib.media import video
    from chalicelib.services.media_types import ACCEPTED

    assert service.WEB_VIDEO_CODECS == video.WEB_VIDEO_CODECS
    assert service.WEB_AUDIO_CODECS == video.WEB_AUDIO_CODECS
    assert {"mov"} == video.WEB_CONTAINERS  # ffmpeg's demuxer for MP4, MOV, M4V, 3GP
    mov_family = {
        mime
        for mime, (kind, ext) in ACCEPTED.items()
        if kind == "VIDEO" and ext in ("mp4", "mov", "m4v", "3gp")
    }
    assert mov_family == service.WEB_CONTAINER_MIMES
