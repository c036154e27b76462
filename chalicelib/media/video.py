"""Video posters and web transcodes, with ffmpeg as a bounded subprocess.

Poster: the first of a few candidate timestamps whose frame is not (nearly) black, because
many clips fade in and a black tile in the timeline says nothing. Transcode: Immich's
policy (disabled / required / optimal / all) to H.264 + AAC in a ``+faststart`` MP4 that
every browser plays while downloading.

Long videos: ``fits_in_lambda`` estimates the encode time from the duration and the input's
pixel rate. A video that does not fit is not started in Lambda (ffmpeg would be killed at the
time limit after burning 14 minutes); the stage hands it to a container task (ECS Fargate,
same image, same ``transcode()`` call, no time limit but ``max_output_bytes``).
"""

from __future__ import annotations

import shutil
import tempfile
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING

from chalicelib.media.errors import CorruptMedia, MediaTooLarge, MediaToolFailed
from chalicelib.media.ffmpeg import run_ffmpeg
from chalicelib.media.metadata import VideoMetadata
from chalicelib.media.source import MediaSource, as_path
from chalicelib.media.thumbnails import (
    PREVIEW,
    THUMBNAIL,
    RenditionSpec,
    Thumbnails,
    thumbnails_from_image,
)

if TYPE_CHECKING:
    import pyvips

# --- poster -----------------------------------------------------------------------------

POSTER_FRACTIONS = (0.0, 0.1, 0.25, 0.5, 0.75)  # of the duration, tried in order
POSTER_MIN_LUMA = 16.0  # mean luma (0-255) below which a frame counts as black
POSTER_MAX_EDGE = 1440  # frames are scaled by ffmpeg to the preview size at most
POSTER_TIMEOUT_S = 30.0


@dataclass(frozen=True)
class Poster:
    image: pyvips.Image  # upright, sRGB, ≤ POSTER_MAX_EDGE; feed to thumbnails_from_image
    timestamp: float  # seconds into the clip
    mean_luma: float
    all_dark: bool  # every candidate was dark: the brightest one was kept


def extract_poster(
    source: MediaSource,
    meta: VideoMetadata,
    *,
    fractions: tuple[float, ...] = POSTER_FRACTIONS,
    min_luma: float = POSTER_MIN_LUMA,
    max_edge: int = POSTER_MAX_EDGE,
    timeout: float = POSTER_TIMEOUT_S,
    ffmpeg: str | None = None,
) -> Poster:
    duration = meta.duration or 0.0
    # The last frames may not decode after a seek; stay a little before the end.
    stamps = sorted({round(min(f * duration, max(duration - 0.5, 0.0)), 3) for f in fractions})
    best: Poster | None = None
    with as_path(source) as path:
        for stamp in stamps:
            frame = _frame_at(path, stamp, max_edge, timeout, ffmpeg)
            if frame is None:
                continue
            luma = _mean_luma(frame)
            if luma >= min_luma:
                return Poster(frame, stamp, luma, all_dark=False)
            if best is None or luma > best.mean_luma:
                best = Poster(frame, stamp, luma, all_dark=True)
    if best is None:
        raise CorruptMedia("no frame of the video could be decoded")
    return best


def _frame_at(
    path: Path, stamp: float, max_edge: int, timeout: float, ffmpeg: str | None
) -> pyvips.Image | None:
    import pyvips

    # -ss before -i seeks by keyframe index (fast), then decodes to the exact time. ffmpeg
    # auto-rotates by the display matrix; the scale keeps aspect and never enlarges.
    scale = (
        f"scale=w='min({max_edge},iw)':h='min({max_edge},ih)':force_original_aspect_ratio=decrease"
    )
    result = run_ffmpeg(
        [
            "-loglevel",
            "error",
            "-ss",
            f"{stamp:.3f}",
            "-i",
            str(path),
            "-map",
            "0:v:0",
            "-frames:v",
            "1",
            "-vf",
            scale,
            "-f",
            "image2pipe",
            "-c:v",
            "png",
            "-",
        ],
        timeout=timeout,
        ffmpeg=ffmpeg,
        what="extracting a poster frame",
    )
    if result.returncode != 0 or not result.stdout:
        return None
    return pyvips.Image.new_from_buffer(result.stdout, "").copy_memory()


def _mean_luma(image: pyvips.Image) -> float:
    if image.hasalpha():
        image = image.flatten()
    return float(image.colourspace("b-w").avg())


# --- transcode policy ------------------------------------------------------------------


class TranscodePolicy(StrEnum):
    DISABLED = "disabled"  # never
    REQUIRED = "required"  # only what browsers cannot play
    OPTIMAL = "optimal"  # also what is larger than the target resolution
    ALL = "all"  # always


WEB_VIDEO_CODECS = frozenset({"h264"})
WEB_AUDIO_CODECS = frozenset({"aac", "mp3"})
WEB_CONTAINERS = frozenset({"mov"})  # ffmpeg's demuxer for MP4, MOV, M4V, 3GP
WEB_PIXEL_FORMATS = frozenset({"yuv420p", "yuvj420p"})  # 10-bit and 4:4:4 do not play


@dataclass(frozen=True)
class TranscodeDecision:
    transcode: bool
    reason: str


def transcode_decision(
    meta: VideoMetadata,
    policy: TranscodePolicy = TranscodePolicy.REQUIRED,
    *,
    target_resolution: int = 720,
) -> TranscodeDecision:
    if policy is TranscodePolicy.DISABLED:
        return TranscodeDecision(False, "transcoding is disabled")
    if policy is TranscodePolicy.ALL:
        return TranscodeDecision(True, "policy transcodes every video")
    problems = _not_web_playable(meta)
    if problems:
        return TranscodeDecision(True, "not web-playable: " + ", ".join(problems))
    short_edge = min(meta.width or 0, meta.height or 0)
    if policy is TranscodePolicy.OPTIMAL and short_edge > target_resolution:
        return TranscodeDecision(True, f"{short_edge}p is above the {target_resolution}p target")
    return TranscodeDecision(False, "already web-playable")


def _not_web_playable(meta: VideoMetadata) -> list[str]:
    problems = []
    if meta.video_codec not in WEB_VIDEO_CODECS:
        problems.append(f"video codec {meta.video_codec}")
    if meta.audio_codec is not None and meta.audio_codec not in WEB_AUDIO_CODECS:
        problems.append(f"audio codec {meta.audio_codec}")
    if meta.container not in WEB_CONTAINERS:
        problems.append(f"container {meta.container}")
    if meta.pixel_format not in WEB_PIXEL_FORMATS:
        problems.append(f"pixel format {meta.pixel_format}")
    return problems


# --- transcode -------------------------------------------------------------------------


@dataclass(frozen=True)
class TranscodeOptions:
    target_resolution: int = 720  # the short edge of the output, at most
    codec: str = "h264"  # Immich's names: h264 (libx264), hevc (libx265), vp9 (libvpx-vp9)
    crf: int = 23
    preset: str = "ultrafast"  # Immich's default: Lambda bills by the second
    audio_bitrate: str = "128k"
    threads: int = 0  # 0 = ffmpeg decides (all vCPUs)
    timeout: float = 14 * 60.0  # under Lambda's 15 min; longer videos go to a container task
    max_output_bytes: int = 2 * 1024**3


# Measured (bench/bench_media.py): a 1080p30 H.264 input encodes to 720p with preset
# ultrafast at ≈ 5x real time on 2 vCPUs. Slower presets and bigger inputs scale it down.
REALTIME_FACTOR_1080P30 = 5.0
_PRESET_COST = {
    "ultrafast": 1.0,
    "superfast": 1.2,
    "veryfast": 1.6,
    "faster": 2.5,
    "fast": 3.0,
    "medium": 4.0,
    "slow": 6.0,
    "slower": 10.0,
    "veryslow": 20.0,
}


# Encoder CPU per frame relative to libx264 at the same preset, measured on this project's
# ffmpeg (1080p -> 720p, ultrafast): libx265 ~2.6x; libvpx-vp9 at its realtime speeds ~1.9x.
_CODEC_COST = {"h264": 1.0, "hevc": 3.0, "vp9": 2.0}
# x264's presets, fastest first, as libvpx-vp9 speeds (-cpu-used: 8 fastest, 0 slowest).
_VP9_SPEED = {
    "ultrafast": 8,
    "superfast": 7,
    "veryfast": 6,
    "faster": 5,
    "fast": 4,
    "medium": 3,
    "slow": 2,
    "slower": 1,
    "veryslow": 0,
}


def estimated_transcode_seconds(
    meta: VideoMetadata, options: TranscodeOptions, vcpus: int = 2
) -> float:
    """A rough upper estimate of the encode time, for routing (Lambda or container)."""
    duration = meta.duration or 0.0
    pixel_rate = (meta.width or 1920) * (meta.height or 1080) * (meta.fps or 30.0)
    relative_load = max(pixel_rate / (1920 * 1080 * 30.0), 0.25)
    cost = _PRESET_COST.get(options.preset, 4.0) * relative_load * 2 / max(vcpus, 1)
    cost *= _CODEC_COST.get(options.codec, 1.0)
    return duration * cost / REALTIME_FACTOR_1080P30


def fits_in_lambda(
    meta: VideoMetadata,
    options: TranscodeOptions | None = None,
    vcpus: int = 2,
    margin: float = 2.0,
) -> bool:
    """Whether the transcode should finish inside ``options.timeout`` with a safety margin."""
    options = options or TranscodeOptions()
    return estimated_transcode_seconds(meta, options, vcpus) * margin < options.timeout


@dataclass(frozen=True)
class TranscodeResult:
    path: Path  # inside the caller's work_dir
    size: int


def transcode(
    source: MediaSource,
    work_dir: Path,
    options: TranscodeOptions | None = None,
    *,
    ffmpeg: str | None = None,
) -> TranscodeResult:
    """Encode to ``work_dir/encoded.mp4``; the caller uploads it and removes ``work_dir``."""
    options = options or TranscodeOptions()
    work_dir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=work_dir, prefix="encoding-") as tmp:
        partial = Path(tmp) / "encoded.mp4"
        with as_path(source) as path:
            result = run_ffmpeg(
                ["-loglevel", "error", "-y", "-i", str(path), *_encode_args(options), str(partial)],
                timeout=options.timeout,
                ffmpeg=ffmpeg,
                what="transcoding",
            )
        size = partial.stat().st_size if partial.exists() else 0
        if size >= options.max_output_bytes:
            raise MediaTooLarge(f"the transcoded video exceeds {options.max_output_bytes} bytes")
        if result.returncode != 0 or size == 0:
            message = result.stderr.decode("utf-8", "replace").strip().splitlines()
            raise MediaToolFailed(f"transcoding failed: {(message or ['no output'])[-1][:200]}")
        final = work_dir / "encoded.mp4"
        # Only a complete file gets the final name, so a retry never uploads half a video.
        shutil.move(partial, final)
    return TranscodeResult(final, size)


def _encode_args(options: TranscodeOptions) -> list[str]:
    res = options.target_resolution
    # Short edge to at most `res`, the other keeping aspect; both even (yuv420p needs it).
    # ffmpeg has already applied the rotation, so iw/ih are the upright frame's.
    scale = (
        f"scale=w='if(gte(iw,ih),-2,trunc(min(iw,{res})/2)*2)'"
        f":h='if(gte(iw,ih),trunc(min(ih,{res})/2)*2,-2)'"
    )
    return [
        "-map",
        "0:v:0",
        "-map",
        "0:a:0?",
        "-map_metadata",
        "0",
        "-vf",
        scale,
        *_video_codec_args(options),
        "-pix_fmt",
        "yuv420p",
        "-threads",
        str(options.threads),
        "-c:a",
        "aac",
        "-b:a",
        options.audio_bitrate,
        "-ac",
        "2",
        "-movflags",
        "+faststart",
        "-fs",
        str(options.max_output_bytes),
    ]


def _video_codec_args(options: TranscodeOptions) -> list[str]:
    """The encoder and its quality settings for ``options.codec``; the container stays MP4
    (``encoded.mp4``), which browsers play with each of them where they play the codec."""
    if options.codec == "hevc":
        # hvc1: the sample entry Safari (and QuickTime) require for HEVC in MP4.
        return [
            *("-c:v", "libx265", "-preset", options.preset, "-crf", str(options.crf)),
            *("-tag:v", "hvc1", "-x265-params", "log-level=error"),
        ]
    if options.codec == "vp9":
        speed = _VP9_SPEED.get(options.preset, 5)
        # Constant quality (-b:v 0); the realtime deadline is what makes speeds 5-8 fast.
        return [
            *("-c:v", "libvpx-vp9", "-crf", str(options.crf), "-b:v", "0"),
            *("-deadline", "realtime" if speed >= 5 else "good", "-cpu-used", str(speed)),
            *("-row-mt", "1"),
        ]
    return [
        *("-c:v", "libx264", "-preset", options.preset, "-crf", str(options.crf)),
        *("-profile:v", "high"),
    ]


# --- the thumbnail stage for videos -------------------------------------------------------


def generate_video_thumbnails(
    source: MediaSource,
    meta: VideoMetadata | None = None,
    *,
    preview: RenditionSpec = PREVIEW,
    thumbnail: RenditionSpec = THUMBNAIL,
    ffmpeg: str | None = None,
) -> tuple[Thumbnails, Poster]:
    """Preview, thumbnail and ThumbHash of a video, from its poster frame."""
    from chalicelib.media.metadata import read_video_metadata

    with as_path(source) as path:
        meta = meta or read_video_metadata(path, ffmpeg=ffmpeg)
        poster = extract_poster(
            path, meta, max_edge=max(preview.size, thumbnail.size), ffmpeg=ffmpeg
        )
    return thumbnails_from_image(poster.image, preview=preview, thumbnail=thumbnail), poster
