"""When a photo or video was taken: one rule for both (docs/media.md, "Capture time").

1. The time: the first trustworthy tag (photos: EXIF original, EXIF digitized, XMP, IPTC;
   videos: QuickTime ``creationdate``, ``©day``, then the UTC ``creation_time``), else a
   date-time in the file name, else the client's file time.
2. The offset: the one stored with the time (``tag``), else the time zone at the GPS position
   (``gps``, from the offline polygons of ``tzfpy``), else none.
3. The timeline shows the local wall-clock time; the instant (``takenAt``) is exact when the
   offset is known, and the wall clock read as UTC when it is not.
"""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import UTC, datetime
from functools import lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from chalicelib.media.exif import CaptureTime


def with_gps_zone(
    taken: CaptureTime | None, latitude: float | None, longitude: float | None
) -> CaptureTime | None:
    """``taken`` with its offset from the GPS position's time zone when the file gave none."""
    if taken is None or taken.offset is not None or latitude is None or longitude is None:
        return taken
    name = zone_at(latitude, longitude)
    if name is None:
        return taken
    zone = ZoneInfo(name)
    if taken.instant.tzinfo is not None:
        # A UTC instant (QuickTime creation_time): the local clock follows from the zone.
        moment = taken.instant.astimezone(zone)
        local = moment.replace(tzinfo=None)
    else:
        # A wall-clock time: the zone's rules on that date give the offset (summer time too).
        moment = taken.local.replace(tzinfo=zone)
        local = taken.local
    return replace(
        taken,
        instant=moment,
        local=local,
        offset=_label(moment),
        offset_source="gps",
        zone=name,
    )


@lru_cache(maxsize=4096)
def zone_at(latitude: float, longitude: float) -> str | None:
    """The IANA time zone at a position (land and territorial waters), offline."""
    import tzfpy

    try:
        name = tzfpy.get_tz(float(longitude), float(latitude))
        ZoneInfo(name)
    except (ValueError, ZoneInfoNotFoundError):
        return None
    return name or None


def _label(moment: datetime) -> str:
    offset = moment.utcoffset()
    minutes = int(offset.total_seconds() // 60) if offset is not None else 0
    sign = "-" if minutes < 0 else "+"
    hours, mins = divmod(abs(minutes), 60)
    return f"{sign}{hours:02d}:{mins:02d}"


# Phones and cameras name files after the moment: IMG_20200101_172822.jpg,
# PXL_20221215_011015207.jpg, VID-20190724-WA0003 has no time (ignored), 2019-07-24 11.25.40.
_FILENAME = re.compile(
    r"(?<!\d)((?:19|20)\d{2})[-_.]?(0[1-9]|1[0-2])[-_.]?(0[1-9]|[12]\d|3[01])"
    r"[-_ T.]?([01]\d|2[0-3])[-_.:h]?([0-5]\d)[-_.:m]?([0-5]\d)"
)


# Google Pixel names files after the UTC moment (PXL_20221215_011015207 is 01:10:15 UTC),
# not the phone's wall clock as other cameras do.
_UTC_NAME_PREFIXES = ("pxl_",)


def from_filename(name: str | None) -> CaptureTime | None:
    """A date-time in the file name: a wall clock (no offset: the name does not say where),
    or, for the phones that name files in UTC, an instant whose local clock the GPS zone
    can give."""
    base = (name or "").rsplit("/", 1)[-1]
    m = _FILENAME.search(base)
    if not m:
        return None
    try:
        year, month, day, hour, minute, second = (int(g) for g in m.groups())
        local = datetime(year, month, day, hour, minute, second)
    except ValueError:
        return None
    if base.lower().startswith(_UTC_NAME_PREFIXES):
        return CaptureTime(
            instant=local.replace(tzinfo=UTC), local=local, offset=None, source="filename"
        )
    return CaptureTime(instant=local, local=local, offset=None, source="filename")


def from_file_time(moment: datetime) -> CaptureTime:
    """The client's file time: an instant, shown in UTC (nothing says where)."""
    aware = moment if moment.tzinfo else moment.replace(tzinfo=UTC)
    utc = aware.astimezone(UTC)
    return CaptureTime(instant=utc, local=utc.replace(tzinfo=None), offset=None, source="file time")


def decide(
    taken: CaptureTime | None,
    latitude: float | None,
    longitude: float | None,
    file_name: str | None,
    file_time: datetime,
) -> CaptureTime:
    """The capture time the library files the asset under, by the rule above."""
    chosen = taken or from_filename(file_name)
    if chosen is None:
        return from_file_time(file_time)
    return with_gps_zone(chosen, latitude, longitude) or chosen


def timeline_fields(taken: CaptureTime) -> tuple[datetime, datetime]:
    """(takenAt as a UTC instant, localDateTime as the wall clock labelled UTC, the way
    Immich stores it)."""
    local = taken.local.replace(tzinfo=UTC)
    if taken.instant.tzinfo is None:
        return local, local  # zone unknown: the wall clock is the best instant we have
    return taken.instant.astimezone(UTC), local
