"""Fixtures for the stage tests: the pipeline harness (API + moto + runner) and tiny clips,
generated once per session with ffmpeg's testsrc."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tests.media.samples import ffmpeg, make_clip
from tests.pipeline.conftest import Harness, harness  # noqa: F401  (re-exported fixture)

X264 = ("-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p")


@pytest.fixture(scope="session")
def clips(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("stage-clips")
    long_static = root / "long.mp4"
    # Ten minutes of one colour at 1 fps: tiny to make, long enough to exceed Lambda's budget
    # once the preset is slow (fits_in_lambda's estimate is per second of video).
    ffmpeg("-f", "lavfi", "-i", "color=c=0x3366cc:size=64x64:rate=1:duration=600",
           *X264, str(long_static))
    return {
        # Browsers play it as is: H.264 + AAC in MP4, 4:2:0.
        "web": make_clip(root / "web.mp4", size="320x240", seconds=1, rate=10),
        # HEVC in Matroska above 720p: no browser plays it; the transcode also scales it down.
        "hevc_mkv": make_clip(root / "hevc.mkv", size="1280x960", seconds=1, rate=10,
                              vcodec=("-c:v", "libx265", "-preset", "ultrafast",
                                      "-x265-params", "log-level=error",
                                      "-pix_fmt", "yuv420p")),
        # Opens on black: its poster must come from later in the clip.
        "dark_start": make_clip(root / "dark.mp4", size="320x240", seconds=3, rate=10,
                                black_lead=1.2),
        "long": long_static,
    }


@pytest.fixture
def configure(harness: Harness) -> Callable[..., None]:  # noqa: F811
    """Changes the running container's settings (the workers read them per message)."""

    def apply(**changes: Any) -> None:
        c = harness.container
        c.settings = c.settings.model_copy(update=changes)

    return apply
