"""Image headers without decoding pixels: size, orientation, EXIF blob, and the bomb check.

Shared by metadata extraction and thumbnailing so both refuse the same files for the same
reason before any pixel buffer is allocated.
"""

from __future__ import annotations

from dataclasses import dataclass

from chalicelib.media.errors import CorruptMedia, MediaTooLarge, UnsupportedMedia
from chalicelib.media.sniff import TIFF, Family, MediaType
from chalicelib.media.source import MediaSource, check_metadata_blocks, read_head

DEFAULT_MAX_PIXELS = 100_000_000
# TIFF-based files (TIFF, DNG, most RAW) are their own EXIF structure: parse a bounded
# prefix, which holds IFD0/EXIF/GPS directories in every camera file we know of.
MAX_TIFF_EXIF_BYTES = 4 * 1024 * 1024


@dataclass(frozen=True)
class ImageHeader:
    width: int  # as the decoder will deliver it (before EXIF auto-rotation)
    height: int
    orientation: int  # EXIF orientation still to apply (1 when the decoder already did)
    exif: bytes | None
    # An embedded ICC profile other than sRGB: pixels must be transformed to sRGB. (Asking
    # libvips to transform sRGB → sRGB costs ~200 ms on a preview, so we only ask when needed.)
    foreign_icc: bool = False
    # (width, height) as the file stores them, before any rotation; None = (width, height)
    stored_size: tuple[int, int] | None = None


def probe_image(
    source: MediaSource, media_type: MediaType, max_pixels: int = DEFAULT_MAX_PIXELS
) -> ImageHeader:
    check_metadata_blocks(source, media_type)
    if media_type.family is Family.VIPS:
        header = _vips_header(source, media_type)
    elif media_type.family is Family.HEIF:
        header = _heif_header(source, media_type)
    elif media_type.family is Family.RAW:
        header = _raw_header(source, media_type)
    else:
        raise UnsupportedMedia(f"{media_type.mime} is not an image")
    check_pixels(header.width, header.height, max_pixels)
    return header


def check_pixels(width: int, height: int, max_pixels: int) -> None:
    if width <= 0 or height <= 0:
        raise CorruptMedia(f"the image says it is {width}×{height} pixels")
    if width * height > max_pixels:
        raise MediaTooLarge(
            f"the image is {width}×{height} ({width * height / 1e6:.0f} MP), over the "
            f"{max_pixels / 1e6:.0f} MP limit"
        )


def corrupt(media_type: MediaType, exc: Exception) -> CorruptMedia:
    # LibRaw's errors carry bytes (b'Unsupported file format'): show them as text.
    raw = exc.args[0] if len(exc.args) == 1 and isinstance(exc.args[0], bytes) else None
    text = raw.decode("utf-8", "replace") if raw is not None else str(exc)
    detail = text.strip().splitlines()
    hint = f" ({detail[-1].strip()[:160]})" if detail else ""
    name = media_type.ext.upper()
    return CorruptMedia(f"the {name} file is corrupt or truncated and cannot be read{hint}")


def _vips_header(source: MediaSource, media_type: MediaType) -> ImageHeader:
    import pyvips

    try:
        if isinstance(source, bytes):
            image = pyvips.Image.new_from_buffer(source, "")
        else:
            image = pyvips.Image.new_from_file(str(source))
        fields = set(image.get_fields())
        exif = image.get("exif-data") if "exif-data" in fields else None
        orientation = image.get("orientation") if "orientation" in fields else 1
        width, height = image.width, image.height
        icc = image.get("icc-profile-data") if "icc-profile-data" in fields else None
    except pyvips.Error as exc:
        raise corrupt(media_type, exc) from exc
    if media_type == TIFF:
        exif = read_head(source, MAX_TIFF_EXIF_BYTES)
    return ImageHeader(
        width,
        height,
        orientation if 1 <= orientation <= 8 else 1,
        exif,
        foreign_icc=is_foreign_icc(icc),
    )


def is_foreign_icc(icc: bytes | None) -> bool:
    # The profile's description names it; every sRGB variant (IEC61966-2.1, "sRGB built-in",
    # Google's and Apple's sRGB) says "sRGB" there, and no other profile does.
    return bool(icc) and b"sRGB" not in icc[:4096]  # type: ignore[index]


def _heif_header(source: MediaSource, media_type: MediaType) -> ImageHeader:
    import pillow_heif

    try:
        heif = pillow_heif.open_heif(
            source if isinstance(source, bytes) else str(source), convert_hdr_to_8bit=True
        )
        width, height = heif.size
        exif = heif.info.get("exif")
        transforms = heif[heif.primary_index]._c_image.transformations
    except (ValueError, RuntimeError, OSError) as exc:
        raise corrupt(media_type, exc) from exc
    turns = [t for t in transforms if t and t[0] == "irot"]
    stored = (height, width) if any(t[1] in (90, 270) for t in turns) else (width, height)
    # libheif applies the file's irot/imir while decoding, and then EXIF orientation is only
    # informational (HEIF spec). Files without either (some Samsung phones) rotate by EXIF.
    if any(t and t[0] in ("irot", "imir") for t in transforms):
        orientation = 1
    else:
        orientation = _exif_orientation(exif)
    return ImageHeader(width, height, orientation, exif, stored_size=stored)


def _exif_orientation(exif: bytes | None) -> int:
    if not exif:
        return 1
    from chalicelib.media.exif import load_exif, parse_exif

    try:
        return parse_exif(load_exif(exif)).orientation or 1
    except Exception:  # unreadable EXIF: no rotation rather than no photo
        return 1


def _raw_header(source: MediaSource, media_type: MediaType) -> ImageHeader:
    import rawpy

    from chalicelib.media.source import as_path

    with as_path(source, f".{media_type.ext}") as path:
        raw = rawpy.RawPy()
        try:
            raw.open_file(str(path))
            sizes = raw.sizes
        except (rawpy.LibRawError, OSError) as exc:
            raise corrupt(media_type, exc) from exc
        finally:
            raw.close()
    # LibRaw's processed output is already flipped; report the flipped size.
    width, height = sizes.width, sizes.height
    if sizes.flip in (5, 6):
        width, height = height, width
    head = read_head(source, MAX_TIFF_EXIF_BYTES)
    exif = head if head[:4] in (b"II*\x00", b"MM\x00*") else None
    return ImageHeader(width, height, 1, exif, stored_size=(sizes.width, sizes.height))
