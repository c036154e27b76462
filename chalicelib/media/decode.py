"""Original → one upright, sRGB, 8-bit pyvips image no larger than needed.

libvips decodes JPEG/PNG/WebP/GIF/TIFF/AVIF itself with shrink-on-load (a 12 MP JPEG
bound for 1440 px decodes at 1/2 scale in the DCT). HEVC HEIF goes through pillow-heif
(the libvips build here has no HEVC decoder) and camera RAW through rawpy; both hand
pixels to libvips from memory. Every path ends in the same normalisation.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from chalicelib.media.errors import CorruptMedia
from chalicelib.media.probe import ImageHeader, corrupt, is_foreign_icc
from chalicelib.media.sniff import JPEG, Family, MediaType
from chalicelib.media.source import MediaSource, as_path

if TYPE_CHECKING:
    import pyvips

# Fail on truncated data instead of returning a half-grey picture, but tolerate the minor
# warnings (extraneous bytes, bad Huffman tables) that many real cameras produce.
FAIL_ON = "truncated"


@dataclass(frozen=True)
class Box:
    """Fit within width × height, never enlarging."""

    width: int
    height: int


def decode(
    source: MediaSource, media_type: MediaType, header: ImageHeader, box: Box
) -> pyvips.Image:
    import pyvips

    try:
        if media_type.family is Family.HEIF:
            image = _heif(source, box if header.orientation < 5 else Box(box.height, box.width))
            image = orient(image, header.orientation)
        elif media_type.family is Family.RAW:
            image = _raw(source, media_type, box)
        elif media_type == JPEG:
            image = _jpeg(source, box, header)
        else:
            image = _vips(source, box, header.foreign_icc)
        image = to_srgb8(image).copy_memory()  # decoded once; reused by every output
    except pyvips.Error as exc:
        raise corrupt(media_type, exc) from exc
    return image


def _vips(source: MediaSource, box: Box, foreign_icc: bool) -> pyvips.Image:
    import pyvips

    # thumbnail() auto-rotates by EXIF, picks shrink-on-load and turns CMYK into sRGB. Only
    # with output_profile set does it transform an embedded ICC profile to sRGB.
    options: dict[str, object] = dict(height=box.height, size="down")
    if foreign_icc:
        options["output_profile"] = "srgb"
    # thumbnail()'s own fail_on argument does not reach the loader (libvips 8.18, nor does
    # "file.jpg[fail_on=…]"): loader options only work through option_string.
    loader_options = f"fail_on={FAIL_ON}"
    if isinstance(source, bytes):
        return pyvips.Image.thumbnail_buffer(
            source, box.width, option_string=loader_options, **options
        )
    return pyvips.Image.thumbnail_source(
        pyvips.Source.new_from_file(str(source)), box.width, option_string=loader_options, **options
    )


def _jpeg(source: MediaSource, box: Box, header: ImageHeader) -> pyvips.Image:
    """JPEG with the largest DCT shrink-on-load that still covers the box.

    thumbnail() keeps a 2x gap: for 4000 px → 1440 px it decodes at full size (≈ 67 ms per
    core for 12 MP) where a 1/2-scale decode is ≈ 29 ms. Like sharp's default
    fastShrinkOnLoad (Immich) and Pillow's draft(), we take the larger shrink and let a
    Lanczos-3 resize do the rest.
    """
    import pyvips

    upright = header.orientation < 5
    stored_box = box if upright else Box(box.height, box.width)
    factor = shrink_factor(header.width, header.height, stored_box)
    options: dict[str, object] = dict(shrink=factor, fail_on=FAIL_ON, access="sequential")
    if isinstance(source, bytes):
        image = pyvips.Image.new_from_buffer(source, "", **options)
    else:
        image = pyvips.Image.new_from_file(str(source), **options)
    # Resize first and rotate after: rotating the small image is cheaper, and a rotation
    # needs random access that a sequential decode does not give.
    image = image.thumbnail_image(
        stored_box.width, height=stored_box.height, size="down", no_rotate=True
    ).copy_memory()
    if header.orientation != 1:
        image = image.autorot()
    if image.interpretation == "cmyk":
        image = image.icc_transform("srgb", input_profile="cmyk", embedded=True)
    elif header.foreign_icc:
        image = image.icc_transform("srgb", embedded=True, input_profile="srgb")
    return image


def orient(image: pyvips.Image, orientation: int) -> pyvips.Image:
    """Applies an EXIF orientation (1-8) to pixels that arrive as stored."""
    import pyvips

    if orientation == 1:
        return image
    image = image.copy()
    image.set_type(pyvips.GValue.gint_type, "orientation", orientation)
    return image.autorot()


def shrink_factor(width: int, height: int, box: Box) -> int:
    """The largest JPEG DCT scale (1, 2, 4, 8) whose output still covers the fitted box."""
    scale = min(box.width / width, box.height / height, 1.0)
    target_w, target_h = width * scale, height * scale
    for factor in (8, 4, 2):
        # libjpeg rounds the scaled size up
        if -(-width // factor) >= target_w and -(-height // factor) >= target_h:
            return factor
    return 1


def _heif(source: MediaSource, stored_box: Box) -> pyvips.Image:
    """HEVC HEIF decoded by libheif (its grid tiles on ``DECODE_THREADS`` threads), shrunk to
    the box, then turned into sRGB: the colour transform runs on the preview's pixels, not
    on all twelve million."""
    import pillow_heif
    import pyvips

    try:
        heif = pillow_heif.open_heif(
            source if isinstance(source, bytes) else str(source), convert_hdr_to_8bit=True
        )
        image = _heif_pixels(heif)  # decodes; libheif applies irot/imir here
    except (ValueError, RuntimeError, OSError) as exc:
        raise CorruptMedia(
            f"the HEIF file is corrupt or truncated and cannot be read ({exc})"
        ) from exc
    image = image.thumbnail_image(stored_box.width, height=stored_box.height, size="down")
    icc = heif.info.get("icc_profile")
    if icc:
        image = image.copy_memory()
        image.set_type(pyvips.GValue.blob_type, "icc-profile-data", icc)
        image = image.icc_transform("srgb", embedded=True, input_profile="srgb")
    return image


def _heif_pixels(heif: object) -> pyvips.Image:
    """The decoded pixels as a libvips image, without copying them when rows are packed."""
    import numpy as np
    import pyvips

    width, height = heif.size  # type: ignore[attr-defined]
    bands = len(heif.mode)  # type: ignore[attr-defined]  # "RGB" or "RGBA"
    if heif.stride == width * bands:  # type: ignore[attr-defined]
        # pyvips keeps a reference to the buffer for as long as the image lives.
        pixels = pyvips.Image.new_from_memory(heif.data, width, height, bands, "uchar")  # type: ignore[attr-defined]
        return pixels.copy(interpretation="srgb")
    return pyvips.Image.new_from_array(np.asarray(heif), interpretation="srgb")


# A RAW file holds at least this many bytes per sensor pixel, even with lossy compression
# (Canon C-RAW, Fujifilm lossy ≈ 0.5). Far fewer means the pixel data is cut off or stripped:
# LibRaw would "decode" whatever bytes it finds into noise.
MIN_RAW_BYTES_PER_PIXEL = 0.1
# A demosaic this close to white or black, or this flat, is a failed rendering (film-scanner
# NEFs come out white, pixel data of zeros black): the camera's own preview is better.
DEGENERATE_MEAN = (4.0, 250.0)
FLAT_DEVIATION = 0.5


def _raw(source: MediaSource, media_type: MediaType, box: Box) -> pyvips.Image:
    import rawpy

    name = media_type.ext.upper()
    with as_path(source, f".{media_type.ext}") as path:
        try:
            raw = rawpy.imread(str(path))
        except (rawpy.LibRawError, OSError) as exc:
            raise _raw_error(name, "cannot be opened as a camera RAW", exc) from exc
        with raw:
            preview = _embedded_preview(raw, box)
            if preview is not None and not _index_sized(preview, box):
                return preview
            if _truncated(raw, path.stat().st_size):
                return _preview_or_fail(preview, name, "is cut off (its pixel data is missing)")
            try:
                rgb = _demosaic(raw, box)
            except (rawpy.LibRawError, MemoryError) as exc:
                return _preview_or_fail(preview, name, "has pixels that cannot be decoded", exc)
    import pyvips

    image = pyvips.Image.new_from_array(rgb, interpretation="srgb")
    mean, deviation = float(image.avg()), float(image.deviate())
    degenerate = not DEGENERATE_MEAN[0] <= mean <= DEGENERATE_MEAN[1]
    if preview is not None and (degenerate or deviation < FLAT_DEVIATION):
        return preview
    if deviation < FLAT_DEVIATION:
        raise CorruptMedia(f"the {name} file decodes to a blank image and has no preview")
    return image.thumbnail_image(box.width, height=box.height, size="down")


def _demosaic(raw: object, box: Box) -> object:
    # At half size (4x fewer pixels, 4x faster) when that still covers the box, as it does
    # for any camera of the last twenty years.
    sizes = raw.sizes  # type: ignore[attr-defined]
    half = max(sizes.width, sizes.height) // 2 >= max(box.width, box.height)
    return raw.postprocess(use_camera_wb=True, half_size=half, output_bps=8)  # type: ignore[attr-defined]


def _truncated(raw: object, file_size: int) -> bool:
    sizes = raw.sizes  # type: ignore[attr-defined]
    pixels = max(sizes.raw_width * sizes.raw_height, 1)
    return bool(file_size / pixels < MIN_RAW_BYTES_PER_PIXEL)


def _index_sized(preview: pyvips.Image, box: Box) -> bool:
    """A 160 px index thumbnail: only good when the pixels cannot be had."""
    return bool(max(preview.width, preview.height) < min(max(box.width, box.height), 1024))


def _preview_or_fail(
    preview: pyvips.Image | None, name: str, what: str, exc: Exception | None = None
) -> pyvips.Image:
    if preview is not None:
        return preview
    raise _raw_error(name, what + " and has no usable embedded preview", exc)


def _raw_error(name: str, what: str, exc: Exception | None) -> CorruptMedia:
    detail = str(exc).strip().strip("b'\"") if exc is not None else ""
    hint = f" (LibRaw: {detail[:120]})" if detail else ""
    return CorruptMedia(f"the {name} file {what}{hint}")


def _embedded_preview(raw: object, box: Box) -> pyvips.Image | None:
    """The camera's own JPEG rendering, upright, fitted to the box; None when there is none
    (or it is not a JPEG, or it does not decode)."""
    import pyvips
    import rawpy

    try:
        thumb = raw.extract_thumb()  # type: ignore[attr-defined]
    except (rawpy.LibRawError, MemoryError):
        return None
    if thumb.format != rawpy.ThumbFormat.JPEG:
        return None
    try:
        header = pyvips.Image.new_from_buffer(thumb.data, "")
        fields = header.get_fields()
        # LibRaw writes an EXIF orientation into the previews it extracts from some formats;
        # thumbnail() applies that one. Otherwise the preview is in sensor orientation.
        tagged = "orientation" in fields and header.get("orientation") != 1
        icc = header.get("icc-profile-data") if "icc-profile-data" in fields else None
        options: dict[str, object] = dict(height=box.height, size="down")
        if is_foreign_icc(icc):
            options["output_profile"] = "srgb"
        image = pyvips.Image.thumbnail_buffer(
            thumb.data, box.width, option_string=f"fail_on={FAIL_ON}", **options
        ).copy_memory()
    except pyvips.Error:
        return None  # a garbage preview: the pixels (or a clear failure) decide
    if not tagged:
        flip = raw.sizes.flip  # type: ignore[attr-defined]
        # LibRaw's flip codes: 3 = 180°, 5 = 90° counter-clockwise, 6 = 90° clockwise.
        image = {3: image.rot180, 5: image.rot270, 6: image.rot90}.get(flip, lambda: image)()
    return image


def to_srgb8(image: pyvips.Image) -> pyvips.Image:
    """8-bit sRGB with 3 bands, or 4 with alpha: what JPEG, WebP and ThumbHash expect."""
    if image.interpretation not in ("srgb",) or image.format != "uchar":
        # Handles 16-bit (rgb16/grey16 → scaled, not clipped), greyscale and float images.
        image = image.colourspace("srgb")
    if image.format != "uchar":
        image = image.cast("uchar")
    if image.bands > 4:
        image = image.extract_band(0, n=4)
    return image
