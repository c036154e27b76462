"""What a file really is, from its first bytes (never from its name or the client's word).

``sniff(head)`` needs the first ``SNIFF_BYTES`` of the file (a ranged GET is enough): that
covers every magic number here plus the first TIFF directory, where RAW formats that share
TIFF's header differ (DNGVersion tag, camera make).
"""

from __future__ import annotations

import struct
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path

from chalicelib.media.errors import EmptyMedia, UnsupportedMedia

SNIFF_BYTES = 64 * 1024


class AssetType(StrEnum):
    IMAGE = "IMAGE"
    VIDEO = "VIDEO"


class Family(StrEnum):
    """How the bytes get decoded: which library opens them."""

    VIPS = "vips"  # JPEG, PNG, WebP, GIF, TIFF, AVIF: libvips loads them directly
    HEIF = "heif"  # HEVC-coded HEIF: libvips' build has no HEVC decoder, pillow-heif does
    RAW = "raw"  # camera RAW (and DNG): rawpy
    VIDEO = "video"  # ffmpeg


@dataclass(frozen=True)
class MediaType:
    asset_type: AssetType
    mime: str
    ext: str  # canonical extension, lower case, no dot
    family: Family


def _image(mime: str, ext: str, family: Family = Family.VIPS) -> MediaType:
    return MediaType(AssetType.IMAGE, mime, ext, family)


def _video(mime: str, ext: str) -> MediaType:
    return MediaType(AssetType.VIDEO, mime, ext, Family.VIDEO)


JPEG = _image("image/jpeg", "jpg")
PNG = _image("image/png", "png")
GIF = _image("image/gif", "gif")
WEBP = _image("image/webp", "webp")
TIFF = _image("image/tiff", "tif")
AVIF = _image("image/avif", "avif")
HEIC = _image("image/heic", "heic", Family.HEIF)
HEIF = _image("image/heif", "heif", Family.HEIF)
DNG = _image("image/x-adobe-dng", "dng", Family.RAW)
MP4 = _video("video/mp4", "mp4")
MOV = _video("video/quicktime", "mov")
M4V = _video("video/x-m4v", "m4v")
THREE_GP = _video("video/3gpp", "3gp")
THREE_G2 = _video("video/3gpp2", "3g2")
WEBM = _video("video/webm", "webm")
MKV = _video("video/x-matroska", "mkv")
AVI = _video("video/x-msvideo", "avi")
MPEG_TS = _video("video/mp2t", "mts")
MPEG_PS = _video("video/mpeg", "mpg")
WMV = _video("video/x-ms-wmv", "wmv")


def _raw(vendor: str, ext: str) -> MediaType:
    return _image(f"image/x-{vendor}-{ext}", ext, Family.RAW)


# ftyp major/compatible brands → type. Checked major brand first, then compatible brands
# in order, so an iPhone HEIC ("heic" + "mif1") and a plain HEIF ("mif1" only) differ.
_FTYP_BRANDS: dict[bytes, MediaType] = {
    **dict.fromkeys([b"heic", b"heix", b"heim", b"heis", b"hevc", b"hevx"], HEIC),
    **dict.fromkeys([b"avif", b"avis"], AVIF),
    b"crx ": _raw("canon", "cr3"),
    b"qt  ": MOV,
    **dict.fromkeys([b"M4V ", b"M4VH", b"M4VP"], M4V),
    **dict.fromkeys([b"3gp4", b"3gp5", b"3gp6", b"3gp7", b"3gs7", b"3ge6", b"3gg6"], THREE_GP),
    **dict.fromkeys([b"3g2a", b"3g2b", b"3g2c"], THREE_G2),
    **dict.fromkeys(
        [
            b"isom",
            b"iso2",
            b"iso3",
            b"iso4",
            b"iso5",
            b"iso6",
            b"mp41",
            b"mp42",
            b"avc1",
            b"dash",
            b"mmp4",
            b"MSNV",
            b"XAVC",
            b"F4V ",
            b"NDAS",
        ],
        MP4,
    ),
}
# Brands that say "HEIF container" without naming the codec: decided last.
_GENERIC_HEIF_BRANDS = {b"mif1", b"msf1", b"miaf"}

_NOT_MEDIA_MAGIC: list[tuple[bytes, str]] = [
    (b"%PDF", "a PDF document"),
    (b"PK\x03\x04", "a ZIP archive"),
    (b"\x1f\x8b", "a gzip archive"),
    (b"BM", "a BMP image, which is not supported"),
    (b"\xff\x0a", "a JPEG XL image, which is not supported yet"),
    (b"\x00\x00\x00\x0cJXL ", "a JPEG XL image, which is not supported yet"),
    (b"ID3", "an MP3 audio file, not a photo or video"),
    (b"fLaC", "a FLAC audio file, not a photo or video"),
    (b"OggS", "an Ogg file, not a photo or video"),
    (b"8BPS", "a Photoshop document, which is not supported"),
]


def sniff(head: bytes) -> MediaType:
    """The real type of a file from its first bytes, or ``UnsupportedMedia`` saying why not."""
    if not head:
        raise EmptyMedia("the file is empty (0 bytes)")
    found = _sniff_image(head) or _sniff_video(head)
    if found is not None:
        return found
    raise UnsupportedMedia(_why_unsupported(head))


def sniff_file(path: str | Path) -> MediaType:
    with open(path, "rb") as f:
        return sniff(f.read(SNIFF_BYTES))


def _sniff_image(head: bytes) -> MediaType | None:
    if head.startswith(b"\xff\xd8\xff"):
        return JPEG
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return PNG
    if head[:6] in (b"GIF87a", b"GIF89a"):
        return GIF
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return WEBP
    if head.startswith(b"FUJIFILMCCD-RAW"):
        return _raw("fuji", "raf")
    if head[:4] in (b"IIRO", b"IIRS", b"MMOR"):
        return _raw("olympus", "orf")
    if head[:4] == b"IIU\x00":
        return _raw("panasonic", "rw2")
    if head[:4] in (b"II*\x00", b"MM\x00*"):
        return _sniff_tiff(head)
    return None


def _sniff_video(head: bytes) -> MediaType | None:
    if head[4:8] == b"ftyp":
        return _sniff_ftyp(head)
    if _is_classic_quicktime(head):
        return MOV
    if head.startswith(b"\x1a\x45\xdf\xa3"):
        # EBML header: the DocType string says WebM or Matroska.
        return WEBM if b"webm" in head[:64] else MKV
    if head[:4] == b"RIFF" and head[8:12] == b"AVI ":
        return AVI
    if head.startswith(b"\x30\x26\xb2\x75\x8e\x66\xcf\x11"):
        return WMV
    if head.startswith(b"\x00\x00\x01\xba"):
        return MPEG_PS
    if _is_transport_stream(head):
        return MPEG_TS
    return None


def _sniff_ftyp(head: bytes) -> MediaType | None:
    (box_size,) = struct.unpack(">I", head[:4])
    box_end = min(max(box_size, 16), len(head), 4096)
    major = head[8:12]
    compatible = [head[i : i + 4] for i in range(16, box_end - 3, 4)]
    if major in (b"M4A ", b"M4B ", b"M4P "):
        raise UnsupportedMedia("an audio-only MPEG-4 file (M4A), not a photo or video")
    for brand in [major, *compatible]:
        if brand in _FTYP_BRANDS:
            return _FTYP_BRANDS[brand]
    if any(b in _GENERIC_HEIF_BRANDS for b in [major, *compatible]):
        return HEIF
    return None


# Top-level atoms of QuickTime files written before the ftyp box existed (cameras of the
# 2000s): the movie header, media data, or padding first.
_QUICKTIME_ATOMS = {b"moov", b"mdat", b"free", b"wide", b"skip", b"pnot", b"PICT"}


def _is_classic_quicktime(head: bytes) -> bool:
    """Atoms all the way through the sniffed bytes (at most 8 hops), each a QuickTime
    top-level atom with a size that fits, and a movie or media atom among them."""
    pos, seen = 0, set()
    for _ in range(8):
        if pos + 8 > len(head):
            break
        size, kind = struct.unpack_from(">I4s", head, pos)
        if kind not in _QUICKTIME_ATOMS:
            return False
        seen.add(kind)
        if size == 1 and pos + 16 <= len(head):
            (size,) = struct.unpack_from(">Q", head, pos + 8)
        if size == 0:  # "to the end of the file"
            break
        if size < 8:
            return False
        pos += size
    return bool(seen & {b"moov", b"mdat"}) or (bool(seen) and pos >= len(head))


def _is_transport_stream(head: bytes) -> bool:
    # 188-byte packets (.ts) or 192-byte packets with a 4-byte timecode (.m2ts / .mts)
    for offset, stride in ((0, 188), (4, 192)):
        positions = [offset + i * stride for i in range(3)]
        if positions[-1] < len(head) and all(head[p] == 0x47 for p in positions):
            return True
    return False


def _sniff_tiff(head: bytes) -> MediaType:
    if head[8:10] == b"CR":
        return _raw("canon", "cr2")
    tags = _tiff_ifd0_tags(head)
    if 0xC612 in tags:  # DNGVersion
        return DNG
    make = tags.get(0x010F, b"").upper()
    for vendor_make, vendor, ext in (
        (b"NIKON", "nikon", "nef"),
        (b"SONY", "sony", "arw"),
        (b"PENTAX", "pentax", "pef"),
        (b"SAMSUNG", "samsung", "srw"),
    ):
        if make.startswith(vendor_make):
            return _raw(vendor, ext)
    return TIFF


def _tiff_ifd0_tags(head: bytes) -> dict[int, bytes]:
    """Tag id → raw value bytes for ASCII tags (others map to b""). Best effort, bounded."""
    order = "<" if head[:2] == b"II" else ">"
    try:
        (ifd,) = struct.unpack_from(order + "I", head, 4)
        (count,) = struct.unpack_from(order + "H", head, ifd)
    except struct.error:
        return {}
    tags: dict[int, bytes] = {}
    for i in range(min(count, 512)):
        entry = ifd + 2 + 12 * i
        if entry + 12 > len(head):
            break
        tag, typ, n = struct.unpack_from(order + "HHI", head, entry)
        value = b""
        if typ == 2:  # ASCII: inline when ≤ 4 bytes, else at an offset
            if n <= 4:
                value = head[entry + 8 : entry + 8 + n]
            else:
                (offset,) = struct.unpack_from(order + "I", head, entry + 8)
                value = head[offset : offset + min(n, 256)]
        tags[tag] = value.rstrip(b"\x00 ")
    return tags


def _why_unsupported(head: bytes) -> str:
    for magic, what in _NOT_MEDIA_MAGIC:
        if head.startswith(magic):
            return f"not a supported photo or video: the file is {what}"
    if _looks_like_text(head):
        return "not a photo or video: the file contains text"
    return f"not a photo or video format we recognise (starts with {head[:8].hex(' ')})"


def _looks_like_text(head: bytes) -> bool:
    sample = head[:1024]
    try:
        text = sample.decode("utf-8")
    except UnicodeDecodeError:
        # A sample can end mid-character: retry without its last few bytes.
        try:
            text = sample[:-3].decode("utf-8")
        except UnicodeDecodeError:
            return False
    return all(c.isprintable() or c in "\r\n\t\f" for c in text)
