"""Running ffmpeg, and reading what ``ffmpeg -i`` says about a file.

There is no ffprobe here (imageio-ffmpeg ships ffmpeg alone), so the probe parses the input
summary ffmpeg prints to stderr. That text is stable across versions in the parts used:
the ``Input #0, <formats>`` line, ``Duration:``, ``Stream #…: Video|Audio:`` lines,
``key : value`` metadata blocks and ``Display Matrix: rotation of X degrees`` side data.
"""

from __future__ import annotations

import re
import subprocess
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

from chalicelib.media.errors import CorruptMedia, MediaToolFailed, UnsupportedMedia

PROBE_TIMEOUT_S = 30.0


@cache
def default_ffmpeg() -> str:
    import imageio_ffmpeg

    return str(imageio_ffmpeg.get_ffmpeg_exe())


def run_ffmpeg(
    args: list[str], *, timeout: float, ffmpeg: str | None = None, what: str = "ffmpeg"
) -> subprocess.CompletedProcess[bytes]:
    """Run ffmpeg with a hard time limit (the process is killed when it is exceeded)."""
    cmd = [ffmpeg or default_ffmpeg(), "-nostdin", "-hide_banner", *args]
    try:
        return subprocess.run(cmd, capture_output=True, timeout=timeout, check=False)
    except subprocess.TimeoutExpired as exc:
        raise MediaToolFailed(f"{what} took longer than {timeout:g} s and was stopped") from exc


@dataclass
class Stream:
    index: int
    kind: str  # "video" | "audio" | other ffmpeg kinds ("subtitle", "data")
    codec: str
    details: list[str]  # the top-level comma-separated parts after the codec
    metadata: dict[str, str] = field(default_factory=dict)
    rotation_ccw: float | None = None  # from the display matrix (ffmpeg: counter-clockwise)


@dataclass
class Probe:
    formats: list[str]  # demuxer names, e.g. ["mov", "mp4", "m4a", ...]
    duration: float | None
    bitrate_kbps: int | None
    metadata: dict[str, str]
    streams: list[Stream]


def probe(path: Path, *, timeout: float = PROBE_TIMEOUT_S, ffmpeg: str | None = None) -> Probe:
    result = run_ffmpeg(["-i", str(path)], timeout=timeout, ffmpeg=ffmpeg, what="reading video")
    text = result.stderr.decode("utf-8", "replace")
    if "Input #0" not in text:
        raise _probe_error(text)
    return parse_probe(text)


def _probe_error(text: str) -> Exception:
    lines = [ln.strip() for ln in text.splitlines() if ln.strip()]
    last = lines[-1] if lines else "no output"
    if "Invalid data found" in text or "moov atom not found" in text:
        return CorruptMedia("the video could not be read (it is corrupt or truncated)")
    return UnsupportedMedia(f"the video could not be opened: {last[:200]}")


_INPUT = re.compile(r"^Input #0, (?P<formats>[^ ]+), from ")
_DURATION = re.compile(
    r"^\s*Duration: (?P<d>N/A|\d+:\d\d:\d\d(?:\.\d+)?)(?:, start: [-\d.]+)?"
    r"(?:, bitrate: (?P<br>\d+) kb/s)?"
)
_STREAM = re.compile(r"^\s*Stream #0:(?P<i>\d+)\S*: (?P<kind>\w+): (?P<rest>.*)$")
_META = re.compile(r"^(?P<indent>\s+)(?P<key>[^:]+?)\s*: (?P<value>.*)$")
_ROTATION = re.compile(r"rotation of (?P<deg>-?[\d.]+) degrees", re.IGNORECASE)


def parse_probe(text: str) -> Probe:
    formats: list[str] = []
    duration: float | None = None
    bitrate: int | None = None
    metadata: dict[str, str] = {}
    streams: list[Stream] = []
    target: dict[str, str] | None = None  # where "key : value" lines currently go
    for line in text.splitlines():
        if m := _INPUT.match(line):
            formats = m["formats"].split(",")
            target = None
        elif line.startswith(("Input #1", "Output #")):
            break
        elif m := _DURATION.match(line):
            duration = _hms(m["d"])
            bitrate = int(m["br"]) if m["br"] else None
            target = None
        elif m := _STREAM.match(line):
            codec, *details = _top_level_split(m["rest"])
            streams.append(Stream(int(m["i"]), m["kind"].lower(), codec.split(" ")[0], details))
            target = None
        elif line.strip() == "Metadata:":
            target = streams[-1].metadata if streams else metadata
        elif (m := _ROTATION.search(line)) and streams:
            streams[-1].rotation_ccw = float(m["deg"])
        elif line.strip().startswith(("Chapter", "Side data:", "Program")):
            target = None
        elif target is not None and (m := _META.match(line)):
            target.setdefault(m["key"].strip(), m["value"].strip())
    return Probe(formats, duration, bitrate, metadata, streams)


def _hms(text: str) -> float | None:
    if text == "N/A":
        return None
    hours, minutes, seconds = text.split(":")
    return int(hours) * 3600 + int(minutes) * 60 + float(seconds)


def _top_level_split(text: str) -> list[str]:
    """Split on commas that are not inside parentheses or brackets."""
    parts: list[str] = []
    depth, start = 0, 0
    for i, ch in enumerate(text):
        if ch in "([":
            depth += 1
        elif ch in ")]":
            depth = max(0, depth - 1)
        elif ch == "," and depth == 0:
            parts.append(text[start:i].strip())
            start = i + 1
    parts.append(text[start:].strip())
    return [p for p in parts if p]
