"""Turns what the media library reads from a file into asset facts and an EXIF row."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from chalicelib.settings import Settings


def _exposure(seconds: float | None) -> str | None:
    if seconds is None or seconds <= 0:
        return None
    if seconds >= 1:
        return f"{seconds:g}"
    return f"1/{round(1 / seconds)}"


def _utc_label(local: datetime) -> datetime:
    """Wall-clock time stored as if it were UTC (Immich's localDateTime convention)."""
    return local.replace(tzinfo=UTC) if local.tzinfo is None else local


def describe(
    path: Path, asset: dict[str, Any], settings: Settings
) -> tuple[dict[str, Any], dict[str, Any]]:
    from chalicelib.media.geocode import place_fields
    from chalicelib.media.metadata import ImageMetadata, read_metadata

    meta = read_metadata(path)
    fallback = asset["file_created_at"]  # the client's file time, never "now"
    exif: dict[str, Any] = {
        "file_size_in_byte": asset["file_size"],
        "make": meta.make,
        "model": meta.model,
        "latitude": meta.latitude,
        "longitude": meta.longitude,
        "altitude": meta.altitude,
        "exif_image_width": meta.width,
        "exif_image_height": meta.height,
    }
    if isinstance(meta, ImageMetadata):
        taken_at, local, zone = _image_times(meta, fallback)
        exif.update(
            {
                "lens_model": meta.lens_model,
                "f_number": meta.f_number,
                "exposure_time": _exposure(meta.exposure_time),
                "iso": meta.iso,
                "focal_length": meta.focal_length,
                "orientation": meta.orientation,
                "description": meta.description,
            }
        )
        duration = None
        kind = "IMAGE"
    else:
        taken_at = meta.created_at or fallback
        local, zone = _utc_label(taken_at), None
        exif.update(
            {
                "fps": meta.fps,
                "video_codec": meta.video_codec,
                "audio_codec": meta.audio_codec,
                "rotation": meta.rotation,
            }
        )
        duration = meta.duration
        kind = "VIDEO"
    exif.update(
        {"date_time_original": taken_at if taken_at is not fallback else None, "time_zone": zone}
    )
    facts = {
        "type": kind,
        "mime": meta.mime,
        "taken_at": taken_at,
        "local_date_time": local,
        "duration": duration,
        "width": meta.width,
        "height": meta.height,
    }
    exif.update(place_fields(meta.latitude, meta.longitude))  # offline reverse geocoding
    return facts, exif


def _image_times(meta: Any, fallback: datetime) -> tuple[datetime, datetime, str | None]:
    taken = meta.taken
    if taken is None:
        return fallback, _utc_label(fallback), None
    if taken.instant.tzinfo is not None:
        return taken.instant.astimezone(UTC), _utc_label(taken.local), taken.offset
    # No offset recorded: the wall-clock time is all we know; keep it as the instant too.
    return _utc_label(taken.local), _utc_label(taken.local), None
