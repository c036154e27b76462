"""Fixtures for the stage tests: the pipeline harness (API + moto + runner) and tiny clips,
generated once per session with ffmpeg's testsrc."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from chalice.test import Client

from app import app
from chalicelib.container import Container
from chalicelib.local.runner import EventSourceRunner
from chalicelib.pipeline import STAGES
from chalicelib.services.bootstrap import ensure_first_admin
from tests.support.harness import Harness
from tests.support.samples import ffmpeg, make_clip

X264 = ("-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p")


@pytest.fixture(scope="session")
def clips(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("stage-clips")
    long_static = root / "long.mp4"
    # Ten minutes of one colour at 1 fps: tiny to make, long enough to exceed Lambda's budget
    # once the preset is slow (fits_in_lambda's estimate is per second of video).
    ffmpeg(
        "-f",
        "lavfi",
        "-i",
        "color=c=0x3366cc:size=64x64:rate=1:duration=600",
        *X264,
        str(long_static),
    )
    return {
        # Browsers play it as is: H.264 + AAC in MP4, 4:2:0.
        "web": make_clip(root / "web.mp4", size="320x240", seconds=1, rate=10),
        # HEVC in Matroska above 720p: no browser plays it; the transcode also scales it down.
        "hevc_mkv": make_clip(
            root / "hevc.mkv",
            size="1280x960",
            seconds=1,
            rate=10,
            vcodec=(
                "-c:v",
                "libx265",
                "-preset",
                "ultrafast",
                "-x265-params",
                "log-level=error",
                "-pix_fmt",
                "yuv420p",
            ),
        ),
        # Opens on black: its poster must come from later in the clip.
        "dark_start": make_clip(
            root / "dark.mp4", size="320x240", seconds=3, rate=10, black_lead=1.2
        ),
        "long": long_static,
    }


@pytest.fixture
def configure(harness: Harness) -> Callable[..., None]:
    """Changes the running container's settings (the workers read them per message)."""

    def apply(**changes: Any) -> None:
        c = harness.container
        c.settings = c.settings.model_copy(update=changes)

    return apply


# The stages these tests are about. Later ones (faces, smart search, duplicates) load models
# and would triple the run time; their queues just keep the hand-offs.
MEDIA_STAGES = ("ingest", "thumbnail", "transcode")


class StageHarness(Harness):
    def drain(self, stages: tuple[str, ...] | None = MEDIA_STAGES, rounds: int = 2) -> int:
        return super().drain(stages, rounds)


@pytest.fixture
def harness(aws_container: Container) -> Iterator[Harness]:
    """tests/integration's harness, minus the batching windows (the runner would wait a second
    per stage for batches to fill: the same handlers, called sooner)."""
    ensure_first_admin(aws_container)
    stages = tuple(replace(s, batching_window_seconds=0) for s in STAGES)
    runner = EventSourceRunner(stages, aws_container.sqs, aws_container.settings)
    with Client(app) as client:
        yield StageHarness(client, aws_container, runner)
