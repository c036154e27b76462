"""Metadata of an original for the ingest stage: what the asset JSON's ``exifInfo`` shows.

``read_metadata(source)`` sniffs the type and dispatches; images never decode pixels,
videos run one bounded ``ffmpeg -i``. Fields the file does not carry are ``None``; the
caller decides fallbacks (e.g. the client's file time when there is no capture time).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from dataclasses import fields as dataclass_fields
from datetime import UTC, datetime
from pathlib import Path

from chalicelib.media.errors import CorruptMedia
from chalicelib.media.exif import CaptureTime, ExifFields, load_exif, parse_exif, parse_exif_ifd
from chalicelib.media.ffmpeg import PROBE_TIMEOUT_S, Probe, Stream, probe
from chalicelib.media.probe import (
    DEFAULT_MAX_PIXELS,
    MAX_TIFF_EXIF_BYTES,
    ImageHeader,
    probe_image,
)
from chalicelib.media.sniff import SNIFF_BYTES, AssetType, MediaType
from chalicelib.media.source import MediaSource, as_path, read_head, sniff_source
from chalicelib.media.tags import (
    Tags,
    TagsUnreadable,
    cr3_exif,
    fields_from_tags,
    parse_stamp,
    read_tags,
)

# A camera's EXIF is ≤ 64 KB in JPEG; TIFF-based files hand us a prefix of this size.
MAX_EXIF_BYTES = MAX_TIFF_EXIF_BYTES


@dataclass(frozen=True, kw_only=True)
class ImageMetadata(ExifFields):
    mime: str
    width: int  # as displayed, i.e. after applying the orientation
    height: int
    stored_width: int = 0  # as stored, before the orientation is applied (EXIF's meaning)
    stored_height: int = 0
    warnings: tuple[str, ...] = ()
    # exiv2's reading these fields came from (None when it could not read the file), for what
    # else the file says: ingest's pairing looks for a Live Photo's MakerNote and a motion
    # photo's XMP in it instead of opening the file with exiv2 a second time.
    tags: Tags | None = field(default=None, repr=False, compare=False)


@dataclass(frozen=True, kw_only=True)
class VideoMetadata:
    mime: str
    container: str  # ffmpeg demuxer, e.g. "mov" (MP4/MOV/3GP), "matroska", "avi"
    duration: float | None  # seconds
    video_codec: str | None
    pixel_format: str | None
    audio_codec: str | None
    width: int | None  # as displayed (after rotation)
    height: int | None
    coded_width: int | None  # as stored in the stream
    coded_height: int | None
    fps: float | None
    rotation: int  # clockwise degrees to display upright: 0, 90, 180 or 270
    bitrate_kbps: int | None
    created_at: datetime | None  # aware (UTC unless the file gave an offset)
    # The capture time by the rule of capture.py: local date-time with offset when the file
    # has one (QuickTime creationdate, ©day), else the UTC creation_time (offset unknown).
    taken: CaptureTime | None = None
    make: str | None = None
    model: str | None = None
    location: str | None = None  # ISO 6709, as stored, e.g. "+48.8577+002.2950/"
    latitude: float | None = None
    longitude: float | None = None
    altitude: float | None = None
    # An iPhone Live Photo's MOV: the identifier its still carries too (media/motion.py).
    content_identifier: str | None = None
    warnings: tuple[str, ...] = field(default=())


def read_metadata(
    source: MediaSource, *, max_pixels: int = DEFAULT_MAX_PIXELS, timeout: float = PROBE_TIMEOUT_S
) -> ImageMetadata | VideoMetadata:
    media_type = sniff_source(source)
    if media_type.asset_type is AssetType.VIDEO:
        return read_video_metadata(source, media_type, timeout=timeout)
    return read_image_metadata(source, media_type, max_pixels=max_pixels)


def read_image_metadata(
    source: MediaSource,
    media_type: MediaType | None = None,
    *,
    max_pixels: int = DEFAULT_MAX_PIXELS,
) -> ImageMetadata:
    media_type = media_type or sniff_source(source)
    header = probe_image(source, media_type, max_pixels)
    fields, warnings, tags = image_fields(source, media_type, header)
    width, height = header.width, header.height
    # The decoder delivers stored pixels; orientations 5-8 transpose them for display.
    if header.orientation >= 5:
        width, height = height, width
    stored_w, stored_h = header.stored_size or (header.width, header.height)
    return ImageMetadata(
        **vars(fields),
        mime=media_type.mime,
        width=width,
        height=height,
        stored_width=stored_w,
        stored_height=stored_h,
        warnings=tuple(warnings),
        tags=tags,
    )


def image_fields(
    source: MediaSource, media_type: MediaType, header: ImageHeader
) -> tuple[ExifFields, list[str], Tags | None]:
    """exiv2's reading of every block (EXIF, XMP, IPTC), with gaps filled from the EXIF
    blob the decoder found (or, for a CR3 exiv2 refuses, from its CMT boxes); and that
    reading itself, None when exiv2 could not read the file."""
    warnings: list[str] = []
    tags: Tags | None = None
    try:
        tags = read_tags(source)
        fields = fields_from_tags(tags)
    except TagsUnreadable as exc:
        fields = ExifFields()
        warnings.append(f"metadata could not be read by exiv2 ({exc})")
    if fields.make and fields.taken:
        return fields, warnings, tags
    fallback = _blob_fields(source, media_type, header, warnings)
    return _merged(fields, fallback), warnings, tags


def _blob_fields(
    source: MediaSource, media_type: MediaType, header: ImageHeader, warnings: list[str]
) -> ExifFields:
    if media_type.ext == "cr3":
        return _cr3_fields(read_head(source, SNIFF_BYTES * 4))
    if not header.exif:
        return ExifFields()
    if len(header.exif) > MAX_EXIF_BYTES:
        warnings.append(f"EXIF block of {len(header.exif)} bytes ignored (over the limit)")
        return ExifFields()
    try:
        return parse_exif(load_exif(header.exif))
    except Exception as exc:  # unreadable EXIF loses EXIF only, never the photo
        warnings.append(f"EXIF could not be read: {exc}")
        return ExifFields()


def _cr3_fields(head: bytes) -> ExifFields:
    ifd0, exif_ifd, gps_ifd = cr3_exif(head)
    if ifd0 is None:
        return ExifFields()
    base = parse_exif(load_exif(ifd0))
    sub = parse_exif_ifd(exif_ifd)
    gps = parse_exif_ifd(gps_ifd, gps=True)
    return _merged(_merged(base, sub), gps)


def _merged(primary: ExifFields, fallback: ExifFields) -> ExifFields:
    """``primary``'s values, with its gaps filled from ``fallback``."""
    values = {
        f.name: getattr(primary, f.name)
        if getattr(primary, f.name) is not None
        else getattr(fallback, f.name)
        for f in dataclass_fields(ExifFields)
    }
    return ExifFields(**values)


def read_video_metadata(
    source: MediaSource,
    media_type: MediaType | None = None,
    *,
    timeout: float = PROBE_TIMEOUT_S,
    ffmpeg: str | None = None,
) -> VideoMetadata:
    media_type = media_type or sniff_source(source)
    with as_path(source, f".{media_type.ext}") as path:
        info = probe(Path(path), timeout=timeout, ffmpeg=ffmpeg)
    return video_metadata_from_probe(info, media_type)


def video_metadata_from_probe(info: Probe, media_type: MediaType) -> VideoMetadata:
    video = _first(info, "video")
    audio = _first(info, "audio")
    if video is None:
        raise CorruptMedia("the file has no video stream")
    coded = _size(video)
    rotation = _clockwise(video.rotation_ccw)
    shown = coded[::-1] if coded and rotation in (90, 270) else coded
    tags = info.metadata
    location = _tag(tags, "com.apple.quicktime.location.ISO6709", "location", "location-eng")
    lat, lon, alt = parse_iso6709(location) if location else (None, None, None)
    return VideoMetadata(
        mime=media_type.mime,
        container=info.formats[0] if info.formats else "unknown",
        duration=info.duration,
        video_codec=video.codec,
        pixel_format=_pixel_format(video),
        audio_codec=audio.codec if audio else None,
        width=shown[0] if shown else None,
        height=shown[1] if shown else None,
        coded_width=coded[0] if coded else None,
        coded_height=coded[1] if coded else None,
        fps=_fps(video),
        rotation=rotation,
        bitrate_kbps=info.bitrate_kbps,
        created_at=_created_at(tags, video),
        taken=video_capture_time(tags, video),
        make=_tag(tags, "com.apple.quicktime.make", "make"),
        model=_tag(tags, "com.apple.quicktime.model", "model"),
        location=location,
        latitude=lat,
        longitude=lon,
        altitude=alt,
        content_identifier=_tag(tags, "com.apple.quicktime.content.identifier"),
    )


def _first(info: Probe, kind: str) -> Stream | None:
    for stream in info.streams:
        # Cover art in MP4/MKV is a one-frame "video" stream flagged as an attached picture.
        if stream.kind == kind and not any("attached pic" in d for d in stream.details):
            return stream
    return None


def _tag(tags: dict[str, str], *keys: str) -> str | None:
    for key in keys:
        value = tags.get(key, "").split(";")[0].strip()  # ffmpeg joins duplicates with ';'
        if value:
            return value
    return None


_SIZE = re.compile(r"^(\d{1,5})x(\d{1,5})\b")
_FPS = re.compile(r"^([\d.]+)(k?) fps$")


def _size(stream: Stream) -> tuple[int, int] | None:
    for part in stream.details:
        if m := _SIZE.match(part):
            return int(m[1]), int(m[2])
    return None


def _pixel_format(stream: Stream) -> str | None:
    # The first detail is the pixel format, e.g. "yuv420p(tv, bt709, progressive)".
    if stream.details and not _SIZE.match(stream.details[0]):
        return stream.details[0].split("(")[0].strip() or None
    return None


def _fps(stream: Stream) -> float | None:
    for part in stream.details:
        if m := _FPS.match(part):
            return float(m[1]) * (1000 if m[2] else 1)
    return None


def _clockwise(rotation_ccw: float | None) -> int:
    if rotation_ccw is None:
        return 0
    return int(round(-rotation_ccw / 90)) * 90 % 360


def _created_at(tags: dict[str, str], video: Stream) -> datetime | None:
    # Apple's creationdate keeps the local offset; creation_time is UTC (or 1904/1970 zeros
    # from cameras whose clock was never set, which we refuse).
    for value in (
        _tag(tags, "com.apple.quicktime.creationdate"),
        _tag(tags, "creation_time"),
        _tag(video.metadata, "creation_time"),
    ):
        moment = _iso_datetime(value)
        if moment is not None and moment.year > 1970:
            return moment
    return None


def video_capture_time(tags: dict[str, str], video: Stream) -> CaptureTime | None:
    """QuickTime's local date-time with its offset (Apple's ``creationdate`` key, then the
    ``©day`` user data when it holds a time), else the UTC ``creation_time`` of the movie or
    its video track, whose wall clock is unknown until a GPS time zone says it."""
    for key in ("com.apple.quicktime.creationdate", "date"):
        stamp = _tag(tags, key)
        if stamp:
            taken = parse_stamp(stamp.replace("Z", "+00:00"), None, None, "quicktime")
            if taken is not None and taken.offset is not None:
                return taken
    for value in (_tag(tags, "creation_time"), _tag(video.metadata, "creation_time")):
        moment = _iso_datetime(value)
        if moment is not None and moment.year > 1970:
            utc = moment.astimezone(UTC)
            return CaptureTime(
                instant=utc, local=utc.replace(tzinfo=None), offset=None, source="quicktime"
            )
    return None


def _iso_datetime(value: str | None) -> datetime | None:
    if not value:
        return None
    text = value.strip().replace("Z", "+00:00")
    text = re.sub(r"([+-]\d{2})(\d{2})$", r"\1:\2", text)  # +0200 → +02:00
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


_ISO6709 = re.compile(
    r"^(?P<lat>[+-]\d{2}(?:\.\d+)?)(?P<lon>[+-]\d{3}(?:\.\d+)?)(?P<alt>[+-]\d+(?:\.\d+)?)?"
)


def parse_iso6709(text: str) -> tuple[float | None, float | None, float | None]:
    """Decimal-degree ISO 6709 as phones write it: ``+48.8577+002.2950+035.000/``."""
    m = _ISO6709.match(text.strip())
    if not m:
        return None, None, None
    lat, lon = float(m["lat"]), float(m["lon"])
    if abs(lat) > 90 or abs(lon) > 180 or (lat == 0 and lon == 0):
        return None, None, None
    return lat, lon, float(m["alt"]) if m["alt"] else None
