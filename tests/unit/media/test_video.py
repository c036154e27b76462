from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pytest

from chalicelib.media.errors import CorruptMedia, MediaToolFailed
from chalicelib.media.ffmpeg import parse_probe
from chalicelib.media.metadata import (
    VideoMetadata,
    parse_iso6709,
    read_metadata,
    read_video_metadata,
    video_metadata_from_probe,
)
from chalicelib.media.sniff import MP4
from chalicelib.media.thumbnails import thumbnails_from_image
from chalicelib.media.video import (
    TranscodeOptions,
    TranscodePolicy,
    extract_poster,
    transcode,
    transcode_decision,
)
from tests.support.samples import ffmpeg, make_clip


@pytest.fixture(scope="module")
def clips(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("clips")
    plain = make_clip(root / "plain.mp4")
    phone = root / "phone.mp4"
    # A phone-style clip: display matrix (ffmpeg: 90° counter-clockwise), creation time and
    # the QuickTime ISO 6709 location; remuxed so the stream data stays as encoded.
    ffmpeg(
        "-display_rotation:v:0",
        "90",
        "-i",
        str(plain),
        "-c",
        "copy",
        "-metadata",
        "creation_time=2024-05-01T10:00:00Z",
        "-metadata",
        "location=+48.8577+002.2950/",
        "-metadata",
        "com.apple.quicktime.location.ISO6709=+48.8577+002.2950+035.000/",
        "-movflags",
        "+use_metadata_tags",
        str(phone),
    )
    return {
        "plain": plain,
        "phone": phone,
        "dark_start": make_clip(root / "dark.mp4", seconds=3, black_lead=1.2),
        "webm": make_clip(
            root / "clip.webm",
            size="256x144",
            seconds=1,
            vcodec=("-c:v", "libvpx-vp9", "-deadline", "realtime", "-cpu-used", "8"),
            acodec=("-c:a", "libopus"),
        ),
        "hd": make_clip(root / "hd.mp4", size="1920x1080", seconds=1, rate=30),
    }


def test_video_metadata_from_a_phone_style_clip(clips: dict[str, Path]) -> None:
    meta = read_metadata(clips["phone"])

    assert isinstance(meta, VideoMetadata)
    assert (meta.mime, meta.container) == ("video/mp4", "mov")
    assert meta.duration == pytest.approx(2.0, abs=0.1)
    assert (meta.video_codec, meta.audio_codec, meta.pixel_format) == ("h264", "aac", "yuv420p")
    assert (meta.coded_width, meta.coded_height) == (320, 240)
    assert meta.rotation == 270  # 90° counter-clockwise = 270° clockwise
    assert (meta.width, meta.height) == (240, 320)  # as displayed
    assert meta.fps == 25.0
    assert meta.created_at == datetime(2024, 5, 1, 10, 0, tzinfo=UTC)
    assert meta.location == "+48.8577+002.2950+035.000/"
    assert (meta.latitude, meta.longitude, meta.altitude) == (48.8577, 2.295, 35.0)


def test_webm_metadata(clips: dict[str, Path]) -> None:
    meta = read_video_metadata(clips["webm"])
    assert (meta.mime, meta.container, meta.video_codec, meta.audio_codec) == (
        "video/webm",
        "matroska",
        "vp9",
        "opus",
    )
    assert (meta.width, meta.height, meta.rotation) == (256, 144, 0)


def test_metadata_from_bytes_equals_metadata_from_path(clips: dict[str, Path]) -> None:
    assert read_metadata(clips["plain"].read_bytes()) == read_metadata(clips["plain"])


def test_truncated_video_fails_with_reason(clips: dict[str, Path], tmp_path: Path) -> None:
    cut = tmp_path / "cut.mp4"
    data = clips["plain"].read_bytes()
    cut.write_bytes(data[: len(data) // 3])  # the moov atom is at the end: now missing
    with pytest.raises(CorruptMedia) as info:
        read_metadata(cut)
    assert "corrupt or truncated" in info.value.reason


def test_parse_probe_handles_cover_art_fractional_fps_and_iso6709() -> None:
    text = """Input #0, mov,mp4,m4a,3gp,3g2,mj2, from 'x.mov':
  Metadata:
    major_brand     : qt  
    com.apple.quicktime.make: Apple
    com.apple.quicktime.model: iPhone 15
    com.apple.quicktime.creationdate: 2023-12-24T18:05:09+0100
    com.apple.quicktime.location.ISO6709: -33.8568+151.2153+005.100/
  Duration: 00:01:02.50, start: 0.000000, bitrate: 9000 kb/s
  Stream #0:0[0x1](und): Video: hevc (Main 10) (hvc1 / 0x31637668), yuv420p10le(tv, bt2020nc/bt2020/arib-std-b67), 3840x2160, 8000 kb/s, 29.97 fps, 29.97 tbr, 600 tbn (default)
    Side data:
      Display Matrix: rotation of -90.00 degrees
  Stream #0:1[0x2](und): Audio: aac (LC) (mp4a / 0x6134706D), 44100 Hz, stereo, fltp, 256 kb/s (default)
  Stream #0:2: Video: mjpeg (Baseline), yuvj420p(pc, bt470bg/unknown/unknown), 512x512, 90k tbr, 90k tbn (attached pic)
"""  # noqa: E501, W291
    meta = video_metadata_from_probe(parse_probe(text), MP4)
    assert (meta.video_codec, meta.pixel_format, meta.fps) == ("hevc", "yuv420p10le", 29.97)
    assert meta.rotation == 90 and (meta.width, meta.height) == (2160, 3840)
    assert meta.duration == 62.5 and meta.bitrate_kbps == 9000
    assert (meta.make, meta.model) == ("Apple", "iPhone 15")
    assert (
        meta.created_at is not None and meta.created_at.isoformat() == "2023-12-24T18:05:09+01:00"
    )
    assert (meta.latitude, meta.longitude, meta.altitude) == (-33.8568, 151.2153, 5.1)
    assert (
        transcode_decision(meta).reason
        == "not web-playable: video codec hevc, pixel format yuv420p10le"
    )


def test_iso6709_rejects_nonsense() -> None:
    assert parse_iso6709("+91.0000+002.0000/") == (None, None, None)
    assert parse_iso6709("+00.0000+000.0000/") == (None, None, None)
    assert parse_iso6709("garbage") == (None, None, None)
    assert parse_iso6709("+40.7128-074.0060/") == (40.7128, -74.006, None)


def test_poster_skips_a_black_opening(clips: dict[str, Path]) -> None:
    meta = read_video_metadata(clips["dark_start"])
    poster = extract_poster(clips["dark_start"], meta)

    assert poster.timestamp >= 1.2 and not poster.all_dark
    assert poster.mean_luma > 60  # testsrc's colour bars, not black
    assert (poster.image.width, poster.image.height) == (320, 240)
    thumbs = thumbnails_from_image(poster.image)
    assert (thumbs.preview.width, thumbs.preview.height) == (320, 240)
    # The short edge (240) is already under the thumbnail's 250: never enlarged.
    assert (thumbs.thumbnail.width, thumbs.thumbnail.height) == (320, 240)


def test_poster_of_a_rotated_clip_is_upright(clips: dict[str, Path]) -> None:
    meta = read_video_metadata(clips["phone"])
    poster = extract_poster(clips["phone"], meta)
    assert (poster.image.width, poster.image.height) == (240, 320)


def test_poster_is_scaled_to_the_preview_size(clips: dict[str, Path]) -> None:
    poster = extract_poster(clips["hd"], read_video_metadata(clips["hd"]))
    assert (poster.image.width, poster.image.height) == (1440, 810)


def test_all_dark_clip_keeps_the_brightest_frame(tmp_path: Path) -> None:
    dark = tmp_path / "night.mp4"
    ffmpeg(
        "-f",
        "lavfi",
        "-i",
        "color=c=0x080808:size=160x120:rate=10:duration=2",
        "-c:v",
        "libx264",
        "-preset",
        "ultrafast",
        "-pix_fmt",
        "yuv420p",
        str(dark),
    )
    poster = extract_poster(dark, read_video_metadata(dark))
    assert poster.all_dark and poster.mean_luma < 16


def meta_of(**changes: object) -> VideoMetadata:
    base: dict[str, object] = dict(
        mime="video/mp4",
        container="mov",
        duration=10.0,
        video_codec="h264",
        pixel_format="yuv420p",
        audio_codec="aac",
        width=1280,
        height=720,
        coded_width=1280,
        coded_height=720,
        fps=30.0,
        rotation=0,
        bitrate_kbps=4000,
        created_at=None,
    )
    return VideoMetadata(**{**base, **changes})  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("policy", "changes", "expected"),
    [
        (TranscodePolicy.DISABLED, {"video_codec": "hevc"}, False),
        (TranscodePolicy.ALL, {}, True),
        (TranscodePolicy.REQUIRED, {}, False),
        (TranscodePolicy.REQUIRED, {"video_codec": "hevc"}, True),
        (TranscodePolicy.REQUIRED, {"audio_codec": "pcm_s16le"}, True),
        (TranscodePolicy.REQUIRED, {"audio_codec": None}, False),
        (TranscodePolicy.REQUIRED, {"container": "avi"}, True),
        (TranscodePolicy.REQUIRED, {"pixel_format": "yuv420p10le"}, True),
        (TranscodePolicy.REQUIRED, {"width": 3840, "height": 2160}, False),
        (TranscodePolicy.OPTIMAL, {"width": 3840, "height": 2160}, True),
        (TranscodePolicy.OPTIMAL, {"width": 720, "height": 1280}, False),  # portrait 720p
        (TranscodePolicy.OPTIMAL, {"width": 1080, "height": 1920}, True),
    ],
)
def test_transcode_policy(
    policy: TranscodePolicy, changes: dict[str, object], expected: bool
) -> None:
    assert transcode_decision(meta_of(**changes), policy).transcode is expected


def test_transcode_makes_web_playable_720p_mp4(clips: dict[str, Path], tmp_path: Path) -> None:
    meta = read_video_metadata(clips["webm"])
    assert transcode_decision(meta).transcode

    result = transcode(clips["hd"], tmp_path / "work")
    out = read_video_metadata(result.path)
    assert result.path.name == "encoded.mp4" and result.size == result.path.stat().st_size
    assert (out.video_codec, out.audio_codec, out.pixel_format) == ("h264", "aac", "yuv420p")
    assert (out.width, out.height) == (1280, 720)
    assert out.duration == pytest.approx(1.0, abs=0.1)
    data = result.path.read_bytes()
    # +faststart: the index (moov) comes before the media data (mdat) for streaming.
    assert 0 < data.find(b"moov") < data.find(b"mdat")
    assert not transcode_decision(out, TranscodePolicy.OPTIMAL).transcode


def test_transcode_of_rotated_portrait_keeps_it_upright(
    clips: dict[str, Path], tmp_path: Path
) -> None:
    result = transcode(clips["phone"], tmp_path, TranscodeOptions(target_resolution=120))
    out = read_video_metadata(result.path)
    assert (out.width, out.height, out.rotation) == (120, 160, 0)


def test_transcode_of_webm_without_downscale_keeps_size(
    clips: dict[str, Path], tmp_path: Path
) -> None:
    result = transcode(clips["webm"], tmp_path)
    out = read_video_metadata(result.path)
    assert (out.video_codec, out.audio_codec, out.width, out.height) == ("h264", "aac", 256, 144)


@pytest.mark.parametrize(
    ("codec", "probed", "tag"), [("hevc", "hevc", b"hvc1"), ("vp9", "vp9", b"vp09")]
)
def test_transcode_to_hevc_or_vp9(
    clips: dict[str, Path], tmp_path: Path, codec: str, probed: str, tag: bytes
) -> None:
    """The project's ffmpeg (the imageio-ffmpeg wheel the transcode image ships) has libx265
    and libvpx-vp9: the other codecs system-config offers, still in MP4 with AAC."""
    options = TranscodeOptions(codec=codec, target_resolution=120, crf=30)
    result = transcode(clips["phone"], tmp_path, options)
    out = read_video_metadata(result.path)
    assert (out.video_codec, out.audio_codec, out.pixel_format) == (probed, "aac", "yuv420p")
    assert (out.width, out.height, out.rotation) == (120, 160, 0)
    data = result.path.read_bytes()
    assert data[4:8] == b"ftyp" and tag in data[: data.find(b"mdat")]
    assert 0 < data.find(b"moov") < data.find(b"mdat")


def test_transcode_time_limit_stops_ffmpeg(clips: dict[str, Path], tmp_path: Path) -> None:
    with pytest.raises(MediaToolFailed) as info:
        transcode(clips["hd"], tmp_path, TranscodeOptions(timeout=0.01, preset="veryslow"))
    assert "longer than" in info.value.reason
    assert not (tmp_path / "encoded.mp4").exists()


def test_video_thumbnails_come_from_a_non_black_poster(clips: dict[str, Path]) -> None:
    import io

    from PIL import Image

    from chalicelib.media.video import generate_video_thumbnails

    thumbs, poster = generate_video_thumbnails(clips["hd"].read_bytes())
    assert (thumbs.preview.width, thumbs.preview.height) == (1440, 810)
    assert (thumbs.thumbnail.width, thumbs.thumbnail.height) == (444, 250)
    preview = np.asarray(Image.open(io.BytesIO(thumbs.preview.data)).convert("L"))
    assert preview.mean() > 60
    assert thumbs.thumbhash and not poster.all_dark


def test_long_or_heavy_videos_do_not_fit_in_lambda() -> None:
    from chalicelib.media.video import estimated_transcode_seconds, fits_in_lambda

    short_hd = meta_of(duration=60.0, width=1920, height=1080)
    assert fits_in_lambda(short_hd)
    assert estimated_transcode_seconds(short_hd, TranscodeOptions()) == pytest.approx(12.0)
    assert not fits_in_lambda(meta_of(duration=3 * 3600.0))  # a 3-hour recording
    uhd = meta_of(duration=20 * 60.0, width=3840, height=2160, fps=60.0)
    assert not fits_in_lambda(uhd)
    assert estimated_transcode_seconds(uhd, TranscodeOptions()) == pytest.approx(1920.0)
    assert not fits_in_lambda(uhd, vcpus=6)  # Lambda's maximum (10 GB memory)
    assert fits_in_lambda(meta_of(duration=5 * 60.0, width=3840, height=2160), vcpus=6)
    slow = TranscodeOptions(preset="veryslow")
    assert estimated_transcode_seconds(short_hd, slow) == pytest.approx(240.0)
    # HEVC costs about three times H.264's CPU, VP9 (realtime speeds) about twice.
    assert estimated_transcode_seconds(short_hd, TranscodeOptions(codec="hevc")) == pytest.approx(
        36.0
    )
    assert estimated_transcode_seconds(short_hd, TranscodeOptions(codec="vp9")) == pytest.approx(
        24.0
    )
