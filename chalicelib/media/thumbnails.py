"""Preview JPEG, thumbnail WebP and ThumbHash of an image, from one decode.

The original is decoded once, straight to the preview's size (libvips shrink-on-load);
the thumbnail is resized from that in-memory preview, and the ThumbHash from the
thumbnail. Derivatives carry no metadata (no EXIF, no GPS, no ICC: they are sRGB).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

from chalicelib.media.decode import Box, decode, to_srgb8
from chalicelib.media.errors import UnsupportedMedia
from chalicelib.media.placeholders import MAX_SIDE, thumbhash_base64
from chalicelib.media.probe import DEFAULT_MAX_PIXELS, probe_image
from chalicelib.media.sniff import AssetType, MediaType
from chalicelib.media.source import MediaSource, sniff_source

if TYPE_CHECKING:
    import pyvips


@dataclass(frozen=True)
class RenditionSpec:
    size: int
    quality: int
    format: Literal["jpeg", "webp"]
    # "inside": the long edge is `size` (previews). "outside": the short edge is `size`, as
    # Immich's thumbnails, so they fill square and justified grid cells without upscaling.
    fit: Literal["inside", "outside"] = "inside"


PREVIEW = RenditionSpec(size=1440, quality=80, format="jpeg", fit="inside")
THUMBNAIL = RenditionSpec(size=250, quality=80, format="webp", fit="outside")
FLATTEN_BACKGROUND = (255, 255, 255)  # JPEG has no alpha: transparent areas become white


@dataclass(frozen=True)
class Rendition:
    data: bytes
    width: int
    height: int
    format: Literal["jpeg", "webp"]

    @property
    def mime(self) -> str:
        return f"image/{self.format}"


@dataclass(frozen=True)
class Thumbnails:
    preview: Rendition
    thumbnail: Rendition
    thumbhash: str  # base64, as Immich's asset JSON carries it


def generate_thumbnails(
    source: MediaSource,
    media_type: MediaType | None = None,
    *,
    preview: RenditionSpec = PREVIEW,
    thumbnail: RenditionSpec = THUMBNAIL,
    max_pixels: int = DEFAULT_MAX_PIXELS,
) -> Thumbnails:
    """Derivatives of an image original (bytes or path); raises a ``MediaError`` subclass."""
    media_type = media_type or sniff_source(source)
    if media_type.asset_type is not AssetType.IMAGE:
        raise UnsupportedMedia(f"{media_type.mime} is a video: extract a poster frame first")
    header = probe_image(source, media_type, max_pixels)
    width, height = header.width, header.height
    if header.orientation >= 5:
        width, height = height, width
    base = decode(source, media_type, header, box_for(preview, width, height))
    return thumbnails_from_image(base, preview=preview, thumbnail=thumbnail)


def thumbnails_from_image(
    base: pyvips.Image, *, preview: RenditionSpec = PREVIEW, thumbnail: RenditionSpec = THUMBNAIL
) -> Thumbnails:
    """Derivatives of an already decoded, upright image (e.g. a video's poster frame)."""
    base = to_srgb8(base)
    first = _fit(base, preview)
    small = _fit(first, thumbnail)
    return Thumbnails(
        preview=_encode(first, preview),
        thumbnail=_encode(small, thumbnail),
        thumbhash=_thumbhash(small),
    )


def box_for(spec: RenditionSpec, width: int, height: int) -> Box:
    if spec.fit == "inside":
        return Box(spec.size, spec.size)
    scale = spec.size / min(width, height)
    if scale >= 1:
        return Box(width, height)
    # A box whose long side is a hair larger than the exact size, so rounding in libvips
    # never makes the short edge one pixel short.
    return Box(max(1, round(width * scale)), max(1, round(height * scale)))


def _fit(image: pyvips.Image, spec: RenditionSpec) -> pyvips.Image:
    box = box_for(spec, image.width, image.height)
    if image.width <= box.width and image.height <= box.height:
        return image
    return image.thumbnail_image(box.width, height=box.height, size="down").copy_memory()


def _encode(image: pyvips.Image, spec: RenditionSpec) -> Rendition:
    import pyvips

    keep = pyvips.enums.ForeignKeep.NONE
    if spec.format == "jpeg":
        if image.hasalpha():
            image = image.flatten(background=list(FLATTEN_BACKGROUND)).cast("uchar")
        data = image.jpegsave_buffer(Q=spec.quality, keep=keep)
    else:
        data = image.webpsave_buffer(Q=spec.quality, keep=keep)
    return Rendition(data=data, width=image.width, height=image.height, format=spec.format)


def _thumbhash(image: pyvips.Image) -> str:
    import numpy as np

    small = image.thumbnail_image(MAX_SIDE, height=MAX_SIDE, size="down")
    pixels = small.numpy()
    if pixels.ndim == 2:
        pixels = pixels[..., None]
    if pixels.shape[2] == 3:
        opaque = np.full(pixels.shape[:2] + (1,), 255, dtype=np.uint8)
        pixels = np.concatenate([pixels, opaque], axis=2)
    return thumbhash_base64(np.ascontiguousarray(pixels, dtype=np.uint8))
