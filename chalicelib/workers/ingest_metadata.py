"""Turns what the media library reads from a file into asset facts and an EXIF row."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from chalicelib.settings import Settings

if TYPE_CHECKING:
    from chalicelib.media.tags import Tags


def _exposure(seconds: float | None) -> str | None:
    if seconds is None or seconds <= 0:
        return None
    if seconds >= 1:
        return f"{seconds:g}"
    return f"1/{round(1 / seconds)}"


def describe(
    path: Path, asset: dict[str, Any], settings: Settings
) -> tuple[dict[str, Any], dict[str, Any], Tags | None]:
    """(the asset's facts, its EXIF row, exiv2's reading of a still: what pairing reads the
    Live Photo and motion photo hints from; None for a video or a file exiv2 cannot read)."""
    from chalicelib.media.capture import decide, timeline_fields
    from chalicelib.media.geocode import place_fields
    from chalicelib.media.metadata import ImageMetadata, read_metadata

    meta = read_metadata(path)
    # One rule for photos and videos (media/capture.py): the file's own time, else a time in
    # the file name, else the client's file time; its offset from a tag, else the GPS zone.
    taken = decide(
        meta.taken,
        meta.latitude,
        meta.longitude,
        asset.get("original_file_name"),
        asset["file_created_at"],
    )
    taken_at, local = timeline_fields(taken)
    exif: dict[str, Any] = {
        "file_size_in_byte": asset["file_size"],
        "make": meta.make,
        "model": meta.model,
        "latitude": meta.latitude,
        "longitude": meta.longitude,
        "altitude": meta.altitude,
        "date_time_original": taken_at if taken.source != "file time" else None,
        "time_zone": taken.offset,
        "date_source": taken.source,
        "time_zone_source": taken.offset_source,
    }
    if isinstance(meta, ImageMetadata):
        exif.update(
            {
                # Immich's meaning: the size as stored, before the orientation is applied.
                "exif_image_width": meta.stored_width or meta.width,
                "exif_image_height": meta.stored_height or meta.height,
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
        content_identifier = None  # a still's is in its MakerNote (workers/pairing.py)
        tags = meta.tags
    else:
        exif.update(
            {
                "exif_image_width": meta.coded_width,
                "exif_image_height": meta.coded_height,
                "fps": meta.fps,
                "video_codec": meta.video_codec,
                "audio_codec": meta.audio_codec,
                "rotation": meta.rotation,
            }
        )
        duration = meta.duration
        kind = "VIDEO"
        content_identifier = meta.content_identifier
        tags = None
    facts = {
        "type": kind,
        "mime": meta.mime,
        "taken_at": taken_at,
        "local_date_time": local,
        "duration": duration,
        "width": meta.width,
        "height": meta.height,
        "content_identifier": content_identifier,
        "date_source": taken.source,
    }
    exif.update(place_fields(meta.latitude, meta.longitude))  # offline reverse geocoding
    return facts, exif, tags
