"""Transcode stage: a web-playable ``encoded.mp4`` (H.264, or the HEVC or VP9 the server
settings name, + AAC, ``+faststart``) next to a video's original, when the policy in settings
asks for one (Immich's disabled / required / optimal / all).

Outcomes, as the asset's ``transcode`` stage row shows them:
- ``done`` with an ``encoded`` asset file: transcoded.
- ``done`` without one: not needed, the original plays in browsers (a stale encoded.mp4 from
  an earlier policy is removed).
- ``skipped`` with a reason: the policy is ``disabled``, or the video would not finish within
  this Lambda's time limit (docs/video.md: the container task that takes those over).
- ``failed`` with a reason: ffmpeg could not make it (the original stays; the asset is still
  ready, because this stage is optional).
"""

from __future__ import annotations

import os
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any
from uuid import UUID

from chalicelib.observability import logger
from chalicelib.services.system_config import FfmpegConfig
from chalicelib.settings import Settings
from chalicelib.storage import keys
from chalicelib.workers import stage
from chalicelib.workers.context import MediaContext
from chalicelib.workers.originals import local_original

if TYPE_CHECKING:
    from chalicelib.media.video import TranscodeOptions

STAGE = "transcode"
ENCODED = "encoded.mp4"
ENCODED_MIME = "video/mp4"
# Lambda's hard limit is the stage's 900 s; keep time to upload the result and record it.
BUDGET_SECONDS = 14 * 60.0
MIN_ENCODE_SECONDS = 30.0


@dataclass(frozen=True)
class Outcome:
    status: str  # "done" | "skipped"
    reason: str


def handle(body: str, container: MediaContext) -> None:
    outcomes: list[tuple[UUID, Outcome]] = []

    def work_and_remember(asset: dict[str, Any], c: MediaContext) -> None:
        outcomes.append((asset["id"], work(asset, c)))

    stage.run(body, container, STAGE, work_and_remember)
    # stage.run records success as "done"; a skip is recorded over it, with its reason, so
    # "re-queue missing" picks it up again (for instance once a container task exists).
    for asset_id, outcome in outcomes:
        if outcome.status == "skipped":
            container.pipeline_repo.set_stage(asset_id, STAGE, "skipped", outcome.reason)


def work(asset: dict[str, Any], c: MediaContext) -> Outcome:
    from chalicelib.media.metadata import read_video_metadata
    from chalicelib.media.video import TranscodePolicy, fits_in_lambda, transcode_decision

    started = time.monotonic()
    ffmpeg = c.system_config.get().ffmpeg  # the admin's policy, CRF and resolution
    policy = TranscodePolicy(ffmpeg.transcode)
    if policy is TranscodePolicy.DISABLED:
        return Outcome("skipped", "transcoding is disabled")
    with local_original(c, asset) as path:
        meta = read_video_metadata(path)
        decision = transcode_decision(meta, policy, target_resolution=ffmpeg.target_resolution)
        if not decision.transcode:
            _drop_stale_encoded(c, asset["id"])
            logger.info("no transcode needed", extra={"reason": decision.reason})
            return Outcome("done", decision.reason)
        options = transcode_options(
            ffmpeg, c.settings, BUDGET_SECONDS - (time.monotonic() - started)
        )
        if options.timeout < MIN_ENCODE_SECONDS or not fits_in_lambda(
            meta, options, vcpus=os.cpu_count() or 1
        ):
            return Outcome("skipped", _too_long_reason(meta.duration))
        _encode_and_store(c, asset, path, options)
    return Outcome("done", decision.reason)


def transcode_options(ffmpeg: FfmpegConfig, settings: Settings, timeout: float) -> TranscodeOptions:
    from chalicelib.media.video import TranscodeOptions

    return TranscodeOptions(
        target_resolution=ffmpeg.target_resolution,
        codec=ffmpeg.target_video_codec,
        crf=ffmpeg.crf,
        preset=ffmpeg.preset,
        timeout=timeout,
        max_output_bytes=settings.transcode_max_output_bytes,
    )


def _encode_and_store(
    c: MediaContext, asset: dict[str, Any], original: Path, options: TranscodeOptions
) -> None:
    from chalicelib.media.metadata import read_video_metadata
    from chalicelib.media.video import transcode

    key = keys.derivative_key(asset["owner_id"], asset["id"], ENCODED)
    with tempfile.TemporaryDirectory(prefix="skyroll-transcode-", dir=original.parent) as work_dir:
        result = transcode(original, Path(work_dir), options)
        out = read_video_metadata(result.path)
        # Streamed multipart upload: an encoded video can be far larger than Lambda's memory.
        c.store.upload_file(key, str(result.path), ENCODED_MIME)
    c.pipeline_repo.save_files(
        asset["id"],
        [
            {
                "kind": "encoded",
                "storage_key": key,
                "mime_type": ENCODED_MIME,
                "width": out.width,
                "height": out.height,
                "byte_size": result.size,
            }
        ],
    )


def _drop_stale_encoded(c: MediaContext, asset_id: UUID) -> None:
    """A forced re-run under a policy that no longer transcodes this video: the old
    encoded.mp4 would keep being served and billed."""
    key = c.media_repo.remove_file(asset_id, "encoded")
    if key is not None:
        c.store.delete(key)


def _too_long_reason(duration: float | None) -> str:
    length = f"{duration / 60:.0f} min " if duration else ""
    return (
        f"the {length}video is too long to transcode within the Lambda time limit"
        " (see docs/video.md); the original is kept"
    )
