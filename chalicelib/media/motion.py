"""The moving half of a photo: the content identifier that pairs an iPhone Live Photo's still
with its MOV, and the MP4 that Google and Samsung cameras append to a motion photo.

Live Photos: the still carries the identifier in Apple's MakerNote (tag 0x11,
``ContentIdentifier``), the MOV in its QuickTime keys (``com.apple.quicktime.content.
identifier``, read by ``metadata.read_video_metadata``). Motion photos: the video is the tail
of the file; XMP says how long it is (``GCamera:MicroVideoOffset``, or the ``Container:
Directory`` item whose semantic is ``MotionPhoto``), Samsung marks it ``MotionPhoto_Data``.
Either way the video is a run of ISO BMFF boxes starting with ``ftyp``: walking those boxes
gives its exact end, so a trailer after it (Samsung's SEF) is never part of the video.
"""

from __future__ import annotations

import mmap
import struct
from dataclasses import dataclass
from pathlib import Path
from typing import Any

_APPLE_MAKERNOTE = b"Apple iOS\x00"
_CONTENT_ID_TAG = 0x0011
_SAMSUNG_MARKER = b"MotionPhoto_Data"
# Top-level boxes of an MP4/MOV; the walk stops at anything else (Samsung's "sefd" trailer).
_MP4_BOXES = {
    b"ftyp",
    b"moov",
    b"mdat",
    b"free",
    b"skip",
    b"wide",
    b"uuid",
    b"meta",
    b"udta",
    b"pdin",
    b"moof",
    b"mfra",
    b"styp",
    b"sidx",
    b"pnot",
}
# A Live Photo's MOV is a few seconds; a motion photo's MP4 a few MB. Anything claiming more
# than this is not a motion part worth extracting.
MAX_MOTION_BYTES = 200 * 1024 * 1024


@dataclass(frozen=True)
class EmbeddedVideo:
    start: int  # byte offset of the MP4's ftyp box in the file
    end: int  # one past its last box

    @property
    def length(self) -> int:
        return self.end - self.start


def apple_content_identifier(maker_note: bytes) -> str | None:
    """The ContentIdentifier of an Apple MakerNote (``Apple iOS\\0``, version, ``MM``, then a
    big-endian IFD whose offsets count from the MakerNote's start)."""
    if not maker_note.startswith(_APPLE_MAKERNOTE) or maker_note[12:14] != b"MM":
        return None
    try:
        (count,) = struct.unpack_from(">H", maker_note, 14)
        for i in range(min(count, 200)):
            tag, kind, n, value = struct.unpack_from(">HHII", maker_note, 16 + 12 * i)
            if tag != _CONTENT_ID_TAG or kind != 2:  # ASCII
                continue
            raw = maker_note[16 + 12 * i + 8 : 16 + 12 * i + 8 + n] if n <= 4 else None
            if raw is None:
                raw = maker_note[value : value + n]
            text = raw.split(b"\x00", 1)[0].decode("ascii", "replace").strip()
            return text or None
    except struct.error:
        return None
    return None


def maker_note_from_exif(exif: dict[str, Any]) -> bytes | None:
    """exiv2 hands an undecoded MakerNote over as decimal byte values (``"65 112 112 …"``)."""
    value = exif.get("Exif.Photo.MakerNote")
    if not isinstance(value, str) or not value:
        return None
    try:
        return bytes(int(b) for b in value.split()[:65536])
    except ValueError:
        return None


def still_content_identifier(path: Path) -> str | None:
    """The still's Live Photo identifier, from the EXIF MakerNote (JPEG or HEIC)."""
    from chalicelib.media.tags import TagsUnreadable, read_tags

    try:
        tags = read_tags(path)
    except TagsUnreadable:
        return None
    note = maker_note_from_exif(tags.exif)
    cid = apple_content_identifier(note) if note else None
    if cid is None:  # exiv2 versions that decode Apple's MakerNote name the tag instead
        value = tags.exif.get("Exif.Apple.0x0011") or tags.exif.get("Exif.Apple.ContentIdentifier")
        cid = value.strip() if isinstance(value, str) and value.strip() else None
    return cid


def xmp_video_lengths(xmp: dict[str, Any]) -> list[int]:
    """How many bytes at the end of the file XMP says the video takes (empty: not a motion
    photo by its XMP). Writers disagree on whether the item's padding (Samsung puts its SEF
    trailer there) counts, so both readings are offered; the box walk decides."""
    found: list[int] = []
    for key, value in xmp.items():
        if key.endswith("Item:Semantic") and str(value).strip() == "MotionPhoto":
            base = key.removesuffix("Item:Semantic")
            length = _int(xmp.get(base + "Item:Length"))
            padding = _int(xmp.get(base + "Item:Padding")) or 0
            if length:
                found += [length, length + padding]
    micro = str(xmp.get("Xmp.GCamera.MicroVideo", "")).strip()
    offset = _int(xmp.get("Xmp.GCamera.MicroVideoOffset"))
    if offset and micro in ("1", ""):
        found.append(offset)
    return found


def _int(value: Any) -> int | None:
    try:
        number = int(str(value).strip())
    except (TypeError, ValueError):
        return None
    return number if number > 0 else None


def find_embedded_video(path: Path, xmp: dict[str, Any]) -> EmbeddedVideo | None:
    """The MP4 inside a motion photo, or None when the file carries none."""
    size = path.stat().st_size
    if size < 64:
        return None
    with path.open("rb") as f, mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ) as data:
        candidates = [size - n for n in xmp_video_lengths(xmp) if n < size]
        candidates += _mpvd_payloads(data, size)
        marker = data.rfind(_SAMSUNG_MARKER)
        if marker >= 0:
            candidates.append(marker + len(_SAMSUNG_MARKER))
        for start in candidates:
            found = _video_at(data, start, size)
            if found is not None:
                return found
    return None


def _mpvd_payloads(data: Any, size: int) -> list[int]:
    """Samsung's HEIC motion photos keep the video in a top-level ``mpvd`` box."""
    if data[4:8] != b"ftyp":
        return []
    pos, found = 0, list[int]()
    while pos + 8 <= size and len(found) < 4:
        box_size, box_type = struct.unpack_from(">I4s", data, pos)
        header = 8
        if box_size == 1 and pos + 16 <= size:
            (box_size,) = struct.unpack_from(">Q", data, pos + 8)
            header = 16
        elif box_size == 0:
            box_size = size - pos
        if box_size < header:
            break
        if box_type == b"mpvd":
            found.append(pos + header)
        pos += box_size
    return found


def _video_at(data: Any, start: int, size: int) -> EmbeddedVideo | None:
    """The run of boxes from ``start`` when it is an MP4 (ftyp first, a moov inside)."""
    if start < 8 or data[start + 4 : start + 8] != b"ftyp":
        return None
    pos, seen = start, set()
    while pos + 8 <= size:
        box_size, box_type = struct.unpack_from(">I4s", data, pos)
        if box_type not in _MP4_BOXES:
            break
        if box_size == 1:
            if pos + 16 > size:
                break
            (box_size,) = struct.unpack_from(">Q", data, pos + 8)
        elif box_size == 0:
            box_size = size - pos
        if box_size < 8 or pos + box_size > size:
            break
        seen.add(box_type)
        pos += box_size
    if b"moov" not in seen or pos - start > MAX_MOTION_BYTES:
        return None
    return EmbeddedVideo(start, pos)


def extract(path: Path, video: EmbeddedVideo, out: Path) -> None:
    with path.open("rb") as src, out.open("wb") as dst:
        src.seek(video.start)
        remaining = video.length
        while remaining:
            chunk = src.read(min(remaining, 1 << 20))
            if not chunk:
                break
            dst.write(chunk)
            remaining -= len(chunk)
