"""EXIF blob → typed fields. Pillow's parser does the TIFF walking; we do the meaning.

Camera EXIF is messy: rationals with zero denominators, "0000:00:00" dates, NUL-padded
strings, GPS at (0, 0) from cameras without a fix. Every value that cannot be trusted
becomes ``None`` rather than a wrong value.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any

from PIL import Image

# Tag ids (EXIF 2.32). Named here so the parsing below reads as what it means.
MAKE, MODEL, ORIENTATION, DESCRIPTION, DATETIME = 0x010F, 0x0110, 0x0112, 0x010E, 0x0132
EXIF_IFD, GPS_IFD = 0x8769, 0x8825
EXPOSURE_TIME, F_NUMBER, ISO = 0x829A, 0x829D, 0x8827
DATETIME_ORIGINAL, DATETIME_DIGITIZED = 0x9003, 0x9004
OFFSET_TIME, OFFSET_TIME_ORIGINAL, OFFSET_TIME_DIGITIZED = 0x9010, 0x9011, 0x9012
SUBSEC_ORIGINAL, SUBSEC_DIGITIZED = 0x9291, 0x9292
FOCAL_LENGTH, USER_COMMENT, LENS_MAKE, LENS_MODEL = 0x920A, 0x9286, 0xA433, 0xA434
GPS_LAT_REF, GPS_LAT, GPS_LON_REF, GPS_LON, GPS_ALT_REF, GPS_ALT = 1, 2, 3, 4, 5, 6

_OFFSET = re.compile(r"^([+-])(\d{2}):?(\d{2})$")


@dataclass(frozen=True)
class CaptureTime:
    """When the shutter fired. ``instant`` is timezone-aware only if the camera said where."""

    instant: datetime  # aware when the offset is known, else naive (wall clock, zone unknown)
    local: datetime  # naive wall-clock time as the camera showed it
    offset: str | None  # "+02:00" when known
    # Where the time came from: "exif", "xmp", "iptc", "quicktime", "filename", "file time".
    source: str = "exif"
    # Where the offset came from: "tag" (stored with the time), "gps" (the time zone at the
    # photo's position), or None (unknown: the wall clock is all there is).
    offset_source: str | None = None
    zone: str | None = None  # IANA name, when the offset came from the GPS position


@dataclass(frozen=True)
class ExifFields:
    make: str | None = None
    model: str | None = None
    lens_model: str | None = None
    f_number: float | None = None
    exposure_time: float | None = None  # seconds
    iso: int | None = None
    focal_length: float | None = None  # mm
    orientation: int | None = None  # 1..8
    description: str | None = None
    taken: CaptureTime | None = None
    latitude: float | None = None
    longitude: float | None = None
    altitude: float | None = None  # metres, negative below sea level


def load_exif(blob: bytes) -> Image.Exif:
    """Parse a raw EXIF blob (with or without the ``Exif\\0\\0`` JPEG prefix, or a TIFF file)."""
    exif = Image.Exif()
    exif.load(blob)
    return exif


def parse_exif(exif: Image.Exif) -> ExifFields:
    ifd0: dict[int, Any] = dict(exif)
    sub = _sub_ifd(exif, EXIF_IFD)
    gps = _sub_ifd(exif, GPS_IFD)
    lat, lon, alt = _gps(gps)
    return ExifFields(
        make=_text(ifd0.get(MAKE)),
        model=_text(ifd0.get(MODEL)),
        lens_model=_text(sub.get(LENS_MODEL)),
        f_number=_positive(sub.get(F_NUMBER)),
        exposure_time=_positive(sub.get(EXPOSURE_TIME)),
        iso=_iso(sub.get(ISO)),
        focal_length=_positive(sub.get(FOCAL_LENGTH)),
        orientation=_orientation(ifd0.get(ORIENTATION)),
        description=_text(ifd0.get(DESCRIPTION)) or _user_comment(sub.get(USER_COMMENT)),
        taken=_capture_time(ifd0, sub),
        latitude=lat,
        longitude=lon,
        altitude=alt,
    )


def parse_exif_ifd(blob: bytes | None, *, gps: bool = False) -> ExifFields:
    """A TIFF block whose first directory is an Exif (or GPS) directory, as Canon's CR3
    stores them (CMT2, CMT4)."""
    if not blob:
        return ExifFields()
    try:
        tags: dict[int, Any] = dict(load_exif(blob))
    except Exception:  # a damaged block loses that block only
        return ExifFields()
    if gps:
        lat, lon, alt = _gps(tags)
        return ExifFields(latitude=lat, longitude=lon, altitude=alt)
    return ExifFields(
        lens_model=_text(tags.get(LENS_MODEL)),
        f_number=_positive(tags.get(F_NUMBER)),
        exposure_time=_positive(tags.get(EXPOSURE_TIME)),
        iso=_iso(tags.get(ISO)),
        focal_length=_positive(tags.get(FOCAL_LENGTH)),
        taken=_capture_time({}, tags),
    )


def format_exposure(seconds: float | None) -> str | None:
    """1/250 for short exposures (as photographers write them), 2.5 for long ones."""
    if seconds is None:
        return None
    if seconds < 1:
        return f"1/{round(1 / seconds)}"
    return f"{seconds:g}"


def _sub_ifd(exif: Image.Exif, tag: int) -> dict[int, Any]:
    try:
        return dict(exif.get_ifd(tag))
    except Exception:  # a broken pointer in a sub-IFD must not lose the rest
        return {}


def _text(value: Any) -> str | None:
    if isinstance(value, bytes):
        value = value.decode("utf-8", "replace")
    if not isinstance(value, str):
        return None
    cleaned = value.replace("\x00", "").strip()
    return cleaned or None


def _user_comment(value: Any) -> str | None:
    # UserComment starts with an 8-byte character-code header ("ASCII\0\0\0", "UNICODE\0").
    if not isinstance(value, bytes) or len(value) <= 8:
        return _text(value)
    code, body = value[:8], value[8:]
    if code.startswith(b"UNICODE"):
        encoding = "utf-16-be" if body[:1] == b"\x00" else "utf-16-le"
        return _text(body.decode(encoding, "replace"))
    return _text(body)


def _number(value: Any) -> float | None:
    if isinstance(value, tuple) and value:
        value = value[0]
    try:
        number = float(value)
    except (TypeError, ValueError, ZeroDivisionError):
        return None
    return number if math.isfinite(number) else None


def _positive(value: Any) -> float | None:
    number = _number(value)
    return number if number is not None and number > 0 else None


def _iso(value: Any) -> int | None:
    number = _positive(value)
    return round(number) if number is not None else None


def _orientation(value: Any) -> int | None:
    number = _number(value)
    return int(number) if number is not None and 1 <= number <= 8 else None


def _capture_time(ifd0: dict[int, Any], sub: dict[int, Any]) -> CaptureTime | None:
    # DateTimeOriginal is the shutter time; DateTimeDigitized is the same on cameras and the
    # scan time on scanners; DateTime (IFD0) is the last edit, so it is not used.
    candidates = (
        (sub.get(DATETIME_ORIGINAL), sub.get(OFFSET_TIME_ORIGINAL), sub.get(SUBSEC_ORIGINAL)),
        (sub.get(DATETIME_DIGITIZED), sub.get(OFFSET_TIME_DIGITIZED), sub.get(SUBSEC_DIGITIZED)),
    )
    for stamp, offset, subsec in candidates:
        local = _exif_datetime(stamp, subsec)
        if local is None:
            continue
        tz, label = _exif_offset(offset) or _exif_offset(sub.get(OFFSET_TIME)) or (None, None)
        instant = local.replace(tzinfo=tz) if tz else local
        return CaptureTime(
            instant=instant, local=local, offset=label, offset_source="tag" if tz else None
        )
    return None


def _exif_datetime(value: Any, subsec: Any) -> datetime | None:
    text = _text(value)
    if not text or len(text) < 19:
        return None
    # "2023:07:14 18:30:05"; some writers use '-' in the date or 'T' as the separator.
    normalized = text[:19].replace("-", ":").replace("T", " ")
    try:
        moment = datetime.strptime(normalized, "%Y:%m:%d %H:%M:%S")
    except ValueError:
        return None
    digits = "".join(ch for ch in (_text(subsec) or "") if ch.isdigit())[:6]
    if digits:
        moment = moment.replace(microsecond=int(digits.ljust(6, "0")))
    return moment


def _exif_offset(value: Any) -> tuple[timezone, str] | None:
    text = _text(value)
    match = _OFFSET.match(text or "")
    if not match:
        return None
    sign, hours, minutes = match.groups()
    delta = timedelta(hours=int(hours), minutes=int(minutes))
    if delta > timedelta(hours=14):
        return None
    label = f"{sign}{hours}:{minutes}"
    return timezone(-delta if sign == "-" else delta), label


def _gps(gps: dict[int, Any]) -> tuple[float | None, float | None, float | None]:
    lat = _dms(gps.get(GPS_LAT), _text(gps.get(GPS_LAT_REF)), "S", 90)
    lon = _dms(gps.get(GPS_LON), _text(gps.get(GPS_LON_REF)), "W", 180)
    if lat is None or lon is None or (lat == 0 and lon == 0):
        # (0, 0) is what cameras write without a fix: no location beats a wrong one.
        return None, None, None
    altitude = _number(gps.get(GPS_ALT))
    ref = gps.get(GPS_ALT_REF)
    below_sea = ref in (1, b"\x01") or (isinstance(ref, bytes) and ref[:1] == b"\x01")
    if altitude is not None and below_sea:
        altitude = -altitude
    return lat, lon, altitude


def _dms(value: Any, ref: str | None, negative_ref: str, bound: float) -> float | None:
    if not isinstance(value, tuple) or len(value) != 3:
        return None
    parts = [_number(v) for v in value]
    if any(p is None or p < 0 for p in parts):
        return None
    degrees, minutes, seconds = (float(p) for p in parts)  # type: ignore[arg-type]
    decimal = degrees + minutes / 60 + seconds / 3600
    if decimal > bound:
        return None
    if ref and ref.upper().startswith(negative_ref):
        decimal = -decimal
    return round(decimal, 7)
