"""EXIF, IPTC and XMP from any container a camera writes, through exiv2 (``pyexiv2``).

exiv2 finds the metadata in JPEG, TIFF, PNG (``eXIf`` anywhere in the file, ``iTXt`` XMP),
WebP, HEIF/AVIF/CR3 (ISO BMFF) and every RAW container (CR2, NEF, ARW, DNG, PEF, ORF, RW2,
RAF): one reader instead of a parser per format. It answers each tag as exiv2's text
(``"1/250"``, ``"48/1 51/1 2959/100"``, ``"2023:07:14 18:30:05"``); ``fields_from_tags``
turns that text into the same typed fields as ``exif.parse_exif``, with the same distrust of
camera values (zero denominators, zero dates, GPS at 0,0).

Canon's CR3 keeps its TIFF directories in ``CMT1``..``CMT4`` boxes; when exiv2 refuses a CR3
(it does on files whose image data it cannot walk), ``cr3_exif`` lifts those blocks out with
a bounded box walk and Pillow parses them.
"""

from __future__ import annotations

import math
import re
import struct
import threading
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

from chalicelib.media.exif import CaptureTime, ExifFields
from chalicelib.media.source import MediaSource

_lock = threading.Lock()  # exiv2's log level is process-wide; set once


@dataclass(frozen=True)
class Tags:
    """exiv2's keys → text (lists for XMP bags/seqs and repeatable IPTC datasets)."""

    exif: dict[str, Any] = field(default_factory=dict)
    iptc: dict[str, Any] = field(default_factory=dict)
    xmp: dict[str, Any] = field(default_factory=dict)


class TagsUnreadable(Exception):
    """exiv2 could not make sense of the file's metadata (the caller falls back)."""


def read_tags(source: MediaSource) -> Tags:
    """Every metadata block of the file. Raises ``TagsUnreadable``, never exiv2's errors."""
    pyexiv2 = _pyexiv2()
    try:
        if isinstance(source, bytes):
            with pyexiv2.ImageData(source) as image:
                return _read(image)
        with pyexiv2.Image(str(source)) as image:
            return _read(image)
    except Exception as exc:  # exiv2 raises RuntimeError/ValueError with its own text
        raise TagsUnreadable(str(exc).strip().splitlines()[0] if str(exc) else "") from exc


def read_sidecar(data: bytes) -> Tags:
    """An XMP sidecar (``IMG_0001.xmp`` next to ``IMG_0001.CR3``): its XMP only, as written
    (exiv2 would also copy XMP into pretend EXIF keys for sidecars)."""
    pyexiv2 = _pyexiv2()
    try:
        with pyexiv2.ImageData(_utf8(data)) as image:
            return Tags(xmp=dict(image.read_xmp()))
    except Exception as exc:
        raise TagsUnreadable(str(exc).strip()[:200]) from exc


def _utf8(data: bytes) -> bytes:
    """XMP is UTF-8 inside files, but sidecars saved by some Windows tools are UTF-16 with a
    byte-order mark, which exiv2 does not recognise as XMP."""
    if data[:2] in (b"\xff\xfe", b"\xfe\xff"):
        return data.decode("utf-16", "replace").encode("utf-8")
    return data.removeprefix(b"\xef\xbb\xbf")


def _pyexiv2() -> Any:
    import pyexiv2

    with _lock:
        # Warnings and errors go to stderr and some become exceptions; we judge the values.
        pyexiv2.set_log_level(4)
    return pyexiv2


def _read(image: Any) -> Tags:
    def safe(read: Any) -> dict[str, Any]:
        try:
            return dict(read())
        except Exception:  # one unreadable block (bad IPTC charset) must not lose the others
            return {}

    return Tags(exif=safe(image.read_exif), iptc=safe(image.read_iptc), xmp=safe(image.read_xmp))


# --- text → fields ----------------------------------------------------------------------


def fields_from_tags(tags: Tags) -> ExifFields:
    exif = tags.exif
    lat, lon, alt = _gps(exif)
    if lat is None:
        lat, lon, alt = _xmp_gps(tags.xmp)
    return ExifFields(
        make=_text(exif.get("Exif.Image.Make")) or _text(tags.xmp.get("Xmp.tiff.Make")),
        model=_text(exif.get("Exif.Image.Model")) or _text(tags.xmp.get("Xmp.tiff.Model")),
        lens_model=_text(exif.get("Exif.Photo.LensModel")) or _text(tags.xmp.get("Xmp.aux.Lens")),
        f_number=_positive(exif.get("Exif.Photo.FNumber")),
        exposure_time=_positive(exif.get("Exif.Photo.ExposureTime")),
        iso=_iso(exif.get("Exif.Photo.ISOSpeedRatings") or exif.get("Exif.Image.ISOSpeedRatings")),
        focal_length=_positive(exif.get("Exif.Photo.FocalLength")),
        orientation=_orientation(exif),
        description=_description(tags),
        taken=tag_capture_time(tags),
        latitude=lat,
        longitude=lon,
        altitude=alt,
    )


def _text(value: Any) -> str | None:
    if isinstance(value, list):
        value = value[0] if value else None
    if isinstance(value, dict):  # XMP language alternatives: {'lang="x-default"': text}
        value = next(iter(value.values()), None)
    if not isinstance(value, str):
        return None
    cleaned = value.replace("\x00", "").strip()
    return cleaned or None


def _numbers(value: Any) -> list[float | None]:
    text = _text(value) or ""
    out: list[float | None] = []
    for part in text.split():
        try:
            if "/" in part:
                num, den = part.split("/", 1)
                out.append(float(num) / float(den) if float(den) else None)
            else:
                out.append(float(part))
        except ValueError:
            out.append(None)
    return [n if n is None or math.isfinite(n) else None for n in out]


def _number(value: Any) -> float | None:
    numbers = _numbers(value)
    return numbers[0] if numbers else None


def _positive(value: Any) -> float | None:
    number = _number(value)
    return number if number is not None and number > 0 else None


def _iso(value: Any) -> int | None:
    number = _positive(value)
    return round(number) if number is not None else None


def _orientation(exif: dict[str, Any]) -> int | None:
    # IFD0 names the main image; NEF and some RAWs put it on the full-size sub-image only.
    keys = ["Exif.Image.Orientation"] + sorted(
        k for k in exif if k.endswith(".Orientation") and k.startswith("Exif.SubImage")
    )
    for key in keys:
        number = _number(exif.get(key))
        if number is not None and 1 <= number <= 8:
            return int(number)
    return None


_CHARSET = re.compile(r"^charset=\S+\s?")


def _description(tags: Tags) -> str | None:
    comment = _text(tags.exif.get("Exif.Photo.UserComment"))
    if comment:
        comment = _text(_CHARSET.sub("", comment))
    return (
        _text(tags.exif.get("Exif.Image.ImageDescription"))
        or comment
        or _text(tags.xmp.get("Xmp.dc.description"))
        or _text(tags.iptc.get("Iptc.Application2.Caption"))
    )


def _gps(exif: dict[str, Any]) -> tuple[float | None, float | None, float | None]:
    lat = _dms(exif.get("Exif.GPSInfo.GPSLatitude"), exif.get("Exif.GPSInfo.GPSLatitudeRef"), "S")
    lon = _dms(exif.get("Exif.GPSInfo.GPSLongitude"), exif.get("Exif.GPSInfo.GPSLongitudeRef"), "W")
    return _checked(
        lat, lon, exif.get("Exif.GPSInfo.GPSAltitude"), exif.get("Exif.GPSInfo.GPSAltitudeRef")
    )


def _checked(
    lat: float | None, lon: float | None, altitude: Any, altitude_ref: Any
) -> tuple[float | None, float | None, float | None]:
    if lat is None or lon is None or abs(lat) > 90 or abs(lon) > 180 or (lat == 0 and lon == 0):
        # (0, 0) is what cameras write without a fix: no location beats a wrong one.
        return None, None, None
    alt = _number(altitude)
    if alt is not None and _number(altitude_ref) == 1:
        alt = -alt
    return round(lat, 7), round(lon, 7), alt


def _dms(value: Any, ref: Any, negative: str) -> float | None:
    parts = _numbers(value)
    if len(parts) != 3 or any(p is None or p < 0 for p in parts):
        return None
    degrees, minutes, seconds = (float(p) for p in parts)  # type: ignore[arg-type]
    decimal = degrees + minutes / 60 + seconds / 3600
    ref_text = (_text(ref) or "").upper()
    return -decimal if ref_text.startswith(negative) else decimal


_XMP_GPS = re.compile(r"^(\d+),(\d+(?:\.\d+)?)(?:,(\d+(?:\.\d+)?))?([NSEW])$")


def _xmp_gps(xmp: dict[str, Any]) -> tuple[float | None, float | None, float | None]:
    """XMP's ``exif:GPSLatitude`` is ``"48,51.4933N"`` (degrees, decimal minutes)."""

    def coordinate(value: Any) -> float | None:
        m = _XMP_GPS.match((_text(value) or "").replace(" ", ""))
        if not m:
            return None
        decimal = int(m[1]) + float(m[2]) / 60 + float(m[3] or 0) / 3600
        return -decimal if m[4] in "SW" else decimal

    return _checked(
        coordinate(xmp.get("Xmp.exif.GPSLatitude")),
        coordinate(xmp.get("Xmp.exif.GPSLongitude")),
        xmp.get("Xmp.exif.GPSAltitude"),
        xmp.get("Xmp.exif.GPSAltitudeRef"),
    )


# --- capture time from tags ---------------------------------------------------------------

_OFFSET = re.compile(r"^([+-])(\d{2}):?(\d{2})$")
# EXIF "2023:07:14 18:30:05", XMP/IPTC ISO 8601 "2023-07-14T18:30:05.25+02:00" (or no time)
_STAMP = re.compile(
    r"^(\d{4})[:-](\d{2})[:-](\d{2})(?:[ T](\d{2}):(\d{2})(?::(\d{2}))?(?:[.,](\d{1,9}))?)?"
    r"\s*(Z|[+-]\d{2}:?\d{2})?$"
)


def tag_capture_time(tags: Tags) -> CaptureTime | None:
    """The first trustworthy capture time in the order of ``docs/media.md``: EXIF original,
    EXIF digitized, XMP (exif:DateTimeOriginal, photoshop:DateCreated, xmp:CreateDate), IPTC
    (DateCreated + TimeCreated). The offset is the one stored with it, or EXIF's OffsetTime."""
    exif, xmp, iptc = tags.exif, tags.xmp, tags.iptc
    spare_offset = exif.get("Exif.Photo.OffsetTime")
    candidates: list[tuple[str, Any, Any, Any]] = [
        (
            "exif",
            exif.get("Exif.Photo.DateTimeOriginal") or exif.get("Exif.Image.DateTimeOriginal"),
            exif.get("Exif.Photo.SubSecTimeOriginal"),
            exif.get("Exif.Photo.OffsetTimeOriginal") or spare_offset,
        ),
        (
            "exif",
            exif.get("Exif.Photo.DateTimeDigitized"),
            exif.get("Exif.Photo.SubSecTimeDigitized"),
            exif.get("Exif.Photo.OffsetTimeDigitized") or spare_offset,
        ),
        ("xmp", xmp.get("Xmp.exif.DateTimeOriginal"), None, None),
        ("xmp", xmp.get("Xmp.photoshop.DateCreated"), None, None),
        ("xmp", xmp.get("Xmp.xmp.CreateDate"), None, None),
        (
            "iptc",
            iptc.get("Iptc.Application2.DateCreated"),
            None,
            _iptc_offset(iptc.get("Iptc.Application2.TimeCreated")),
        ),
    ]
    for source, stamp, subsec, offset in candidates:
        taken = parse_stamp(
            _text(stamp), _text(subsec), _text(offset), source, date_only=source == "iptc"
        )
        if taken is not None:
            if source == "iptc":
                taken = _with_iptc_time(taken, _text(iptc.get("Iptc.Application2.TimeCreated")))
            return taken if taken.offset else _offset_from_xmp(taken, xmp)
    return None


def _offset_from_xmp(taken: CaptureTime, xmp: dict[str, Any]) -> CaptureTime:
    """Cameras and editors that leave EXIF's offset out often write the same moment to XMP
    with its offset (Pentax, Lightroom): borrow it when the wall clocks agree to the second."""
    for key in ("Xmp.exif.DateTimeOriginal", "Xmp.photoshop.DateCreated", "Xmp.xmp.CreateDate"):
        twin = parse_stamp(_text(xmp.get(key)), None, None, "xmp")
        same = twin is not None and twin.local.replace(microsecond=0) == taken.local.replace(
            microsecond=0
        )
        if twin is not None and same and twin.offset and twin.instant.tzinfo:
            return replace(
                taken,
                instant=taken.local.replace(tzinfo=twin.instant.tzinfo),
                offset=twin.offset,
                offset_source="tag",
            )
    return taken


def _iptc_offset(value: Any) -> str | None:
    text = _text(value) or ""
    m = re.search(r"([+-]\d{2}:?\d{2})$", text)
    return m[1] if m else None


def _with_iptc_time(taken: CaptureTime, time_text: str | None) -> CaptureTime:
    m = re.match(r"^(\d{2}):?(\d{2}):?(\d{2})", time_text or "")
    if not m:
        return taken
    local = taken.local.replace(hour=int(m[1]), minute=int(m[2]), second=int(m[3]))
    instant = local.replace(tzinfo=taken.instant.tzinfo) if taken.instant.tzinfo else local
    return replace(taken, local=local, instant=instant)


def parse_stamp(
    text: str | None,
    subsec: str | None,
    offset: str | None,
    source: str,
    *,
    date_only: bool = False,
) -> CaptureTime | None:
    """A camera's date-time text as a ``CaptureTime``; ``None`` for zeros and nonsense."""
    m = _STAMP.match((text or "").strip())
    if not m or (m[4] is None and not date_only):
        return None
    year, month, day = int(m[1]), int(m[2]), int(m[3])
    hour, minute, second = int(m[4] or 0), int(m[5] or 0), int(m[6] or 0)
    digits = (m[7] or "".join(ch for ch in (subsec or "") if ch.isdigit()))[:6]
    try:
        local = datetime(year, month, day, hour, minute, second, int(digits.ljust(6, "0") or 0))
    except ValueError:
        return None
    if year < 1826:  # before the first photograph: a zeroed or unset camera clock
        return None
    zone = parse_offset(m[8] or offset)
    if zone is None:
        return CaptureTime(instant=local, local=local, offset=None, source=source)
    tz, label = zone
    return CaptureTime(
        instant=local.replace(tzinfo=tz),
        local=local,
        offset=label,
        source=source,
        offset_source="tag",
    )


def parse_offset(text: str | None) -> tuple[timezone, str] | None:
    if text in ("Z", "z"):
        return UTC, "+00:00"
    m = _OFFSET.match((text or "").strip())
    if not m:
        return None
    sign, hours, minutes = m.groups()
    delta = timedelta(hours=int(hours), minutes=int(minutes))
    if delta > timedelta(hours=14):
        return None
    return timezone(-delta if sign == "-" else delta), f"{sign}{hours}:{minutes}"


# --- CR3 --------------------------------------------------------------------------------

CANON_UUID = bytes.fromhex("85c0b687820f11e08111f4ce462b6a48")
MAX_BOXES = 4096


def cr3_exif(head: bytes) -> tuple[bytes | None, bytes | None, bytes | None]:
    """(IFD0, Exif IFD, GPS IFD) TIFF blocks of a CR3 from the first bytes of the file
    (``moov`` comes first in every CR3: the blocks are within the first 64 KB)."""
    moov = _child(head, 0, len(head), b"moov")
    if moov is None:
        return None, None, None
    start, end = moov
    pos, found = start, {}
    for _ in range(MAX_BOXES):
        box = _box(head, pos, end)
        if box is None:
            break
        kind, body, box_end = box
        if kind == b"uuid" and head[body : body + 16] == CANON_UUID:
            inner, inner_end = body + 16, box_end
            for _ in range(MAX_BOXES):
                child = _box(head, inner, inner_end)
                if child is None:
                    break
                name, child_body, child_end = child
                if name in (b"CMT1", b"CMT2", b"CMT4"):
                    found[name] = head[child_body:child_end]
                inner = child_end
            break
        pos = box_end
    return found.get(b"CMT1"), found.get(b"CMT2"), found.get(b"CMT4")


def _child(data: bytes, pos: int, end: int, name: bytes) -> tuple[int, int] | None:
    for _ in range(MAX_BOXES):
        box = _box(data, pos, end)
        if box is None:
            return None
        kind, body, box_end = box
        if kind == name:
            return body, box_end
        pos = box_end
    return None


def _box(data: bytes, pos: int, end: int) -> tuple[bytes, int, int] | None:
    if pos + 8 > end:
        return None
    size, kind = struct.unpack_from(">I4s", data, pos)
    header = 8
    if size == 1 and pos + 16 <= end:
        (size,) = struct.unpack_from(">Q", data, pos + 8)
        header = 16
    elif size == 0:
        size = end - pos
    if size < header:
        return None
    return kind, pos + header, min(pos + size, end)
