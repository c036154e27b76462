"""What an ``.xmp`` sidecar says about its photo, or why it is ignored.

A sidecar is the user's (or their editor's) word on the photo, so its values win over the
file's, as in Immich: capture time, description, rating, GPS position and keywords. A
sidecar that cannot be read never fails the photo: ``SidecarIgnored`` carries a reason a
person can act on, and the caller records it on the asset.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from chalicelib.media.exif import CaptureTime

MAX_SIDECAR_BYTES = 1 << 20  # a rich Lightroom sidecar is a few tens of KB
MAX_TAGS = 100
MAX_TAG_LENGTH = 200


class SidecarIgnored(Exception):
    """The sidecar was not applied; ``str(exc)`` says why."""


@dataclass(frozen=True)
class SidecarValues:
    taken: CaptureTime | None = None
    description: str | None = None
    rating: int | None = None
    latitude: float | None = None
    longitude: float | None = None
    altitude: float | None = None
    tags: list[str] = field(default_factory=list)  # "Travel/Japan" paths, as Immich's tags


def sidecar_values(data: bytes) -> SidecarValues:
    from chalicelib.media.tags import (
        Tags,
        TagsUnreadable,
        _text,
        _xmp_gps,
        read_sidecar,
        tag_capture_time,
    )

    _check_envelope(data)
    try:
        xmp = read_sidecar(data).xmp
    except TagsUnreadable as exc:
        # exiv2's own words ("corrupted image metadata") speak of images, not sidecars.
        raise SidecarIgnored("the sidecar is not well-formed XMP") from exc
    if not xmp:
        raise SidecarIgnored("the sidecar holds no XMP properties")
    lat, lon, alt = _xmp_gps(xmp)
    return SidecarValues(
        taken=tag_capture_time(Tags(xmp=xmp)),
        description=_text(xmp.get("Xmp.dc.description")),
        rating=_rating(xmp.get("Xmp.xmp.Rating")),
        latitude=lat,
        longitude=lon,
        altitude=alt,
        tags=_keywords(xmp),
    )


def _check_envelope(data: bytes) -> None:
    """Refuses what no XMP writer produces before exiv2's parser sees it."""
    if len(data) > MAX_SIDECAR_BYTES:
        raise SidecarIgnored(f"the sidecar is larger than {MAX_SIDECAR_BYTES} bytes")
    if not data.strip():
        raise SidecarIgnored("the sidecar is empty")
    try:
        if data[:2] in (b"\xff\xfe", b"\xfe\xff"):
            text = data.decode("utf-16")
        else:
            text = data.removeprefix(b"\xef\xbb\xbf").decode("utf-8")
    except UnicodeDecodeError as exc:
        raise SidecarIgnored(
            "the sidecar is not UTF-8 (or UTF-16 with a byte-order mark) text"
        ) from exc
    if "<!DOCTYPE" in text or "<!ENTITY" in text:
        # XMP never declares a DTD; entities are how XML bombs and external reads start.
        raise SidecarIgnored("the sidecar declares a DTD or entities, which XMP never uses")


def _rating(value: Any) -> int | None:
    """XMP's 0-5 stars; -1 ("rejected") counts as none, as in Immich."""
    from chalicelib.media.tags import _number

    number = _number(value)
    if number is None or not 0 <= number <= 5:
        return None
    return int(number)


def _keywords(xmp: dict[str, Any]) -> list[str]:
    """Lightroom's ``lr:hierarchicalSubject`` ("Travel|Japan") when present, else the flat
    ``dc:subject`` keywords; each becomes a tag path ("Travel/Japan")."""
    raw = xmp.get("Xmp.lr.hierarchicalSubject") or xmp.get("Xmp.dc.subject") or []
    items = raw if isinstance(raw, list) else [raw]
    hierarchical = "Xmp.lr.hierarchicalSubject" in xmp
    out: list[str] = []
    for item in items:
        if not isinstance(item, str):
            continue
        text = item.replace("|", "/") if hierarchical else item
        parts = [p.strip() for p in text.split("/") if p.strip()]
        path = "/".join(parts)
        if path and len(path) <= MAX_TAG_LENGTH and path not in out:
            out.append(path)
    return out[:MAX_TAGS]
