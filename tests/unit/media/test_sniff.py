from __future__ import annotations

import struct

import numpy as np
import pytest
from PIL import Image

from chalicelib.media.errors import EmptyMedia, UnsupportedMedia
from chalicelib.media.sniff import AssetType, Family, sniff, sniff_file
from tests.support.samples import encode, jpeg


def ftyp(major: bytes, *compatible: bytes) -> bytes:
    body = major + b"\x00\x00\x02\x00" + b"".join(compatible)
    return struct.pack(">I", 8 + len(body)) + b"ftyp" + body + b"\x00\x00\x00\x08free"


def tiff_with_tags(*entries: tuple[int, bytes]) -> bytes:
    """Little-endian TIFF header + IFD0 holding ASCII tags (values stored after the IFD)."""
    ifd_offset, n = 8, len(entries)
    data_offset = ifd_offset + 2 + 12 * n + 4
    ifd, blobs = struct.pack("<H", n), b""
    for tag, value in entries:
        value += b"\x00"
        ifd += struct.pack("<HHII", tag, 2, len(value), data_offset + len(blobs))
        blobs += value
    return b"II*\x00" + struct.pack("<I", ifd_offset) + ifd + b"\x00" * 4 + blobs


SMALL = Image.new("RGB", (8, 8), (10, 20, 30))


@pytest.mark.parametrize(
    ("head", "mime", "ext", "kind"),
    [
        (jpeg(np.zeros((8, 8, 3), np.uint8)), "image/jpeg", "jpg", AssetType.IMAGE),
        (encode(SMALL, "PNG"), "image/png", "png", AssetType.IMAGE),
        (encode(SMALL, "GIF"), "image/gif", "gif", AssetType.IMAGE),
        (encode(SMALL, "WEBP"), "image/webp", "webp", AssetType.IMAGE),
        (encode(SMALL, "TIFF"), "image/tiff", "tif", AssetType.IMAGE),
        (ftyp(b"heic", b"mif1", b"heic"), "image/heic", "heic", AssetType.IMAGE),
        (ftyp(b"mif1", b"mif1", b"heic"), "image/heic", "heic", AssetType.IMAGE),
        (ftyp(b"mif1", b"mif1", b"miaf"), "image/heif", "heif", AssetType.IMAGE),
        (ftyp(b"avif", b"mif1", b"avif"), "image/avif", "avif", AssetType.IMAGE),
        (ftyp(b"crx ", b"crx "), "image/x-canon-cr3", "cr3", AssetType.IMAGE),
        (tiff_with_tags((0xC612, b"\x01\x04")), "image/x-adobe-dng", "dng", AssetType.IMAGE),
        (
            tiff_with_tags((0x010F, b"NIKON CORPORATION")),
            "image/x-nikon-nef",
            "nef",
            AssetType.IMAGE,
        ),
        (tiff_with_tags((0x010F, b"SONY")), "image/x-sony-arw", "arw", AssetType.IMAGE),
        (
            b"II*\x00\x10\x00\x00\x00CR\x02\x00" + b"\x00" * 32,
            "image/x-canon-cr2",
            "cr2",
            AssetType.IMAGE,
        ),
        (b"FUJIFILMCCD-RAW 0201" + b"\x00" * 32, "image/x-fuji-raf", "raf", AssetType.IMAGE),
        (b"IIU\x00" + b"\x00" * 32, "image/x-panasonic-rw2", "rw2", AssetType.IMAGE),
        (ftyp(b"isom", b"isom", b"iso2", b"avc1", b"mp41"), "video/mp4", "mp4", AssetType.VIDEO),
        (ftyp(b"qt  ", b"qt  "), "video/quicktime", "mov", AssetType.VIDEO),
        (ftyp(b"M4V ", b"M4V ", b"M4A ", b"mp42"), "video/x-m4v", "m4v", AssetType.VIDEO),
        (ftyp(b"3gp4", b"isom", b"3gp4"), "video/3gpp", "3gp", AssetType.VIDEO),
        (
            b"\x1a\x45\xdf\xa3\x9f\x42\x86\x81\x01\x42\x82\x84webm" + b"\x00" * 16,
            "video/webm",
            "webm",
            AssetType.VIDEO,
        ),
        (
            b"\x1a\x45\xdf\xa3\xa3\x42\x86\x81\x01\x42\x82\x88matroska" + b"\x00" * 16,
            "video/x-matroska",
            "mkv",
            AssetType.VIDEO,
        ),
        (b"RIFF\x00\x10\x00\x00AVI LIST" + b"\x00" * 16, "video/x-msvideo", "avi", AssetType.VIDEO),
        ((b"\x47" + b"\x00" * 187) * 4, "video/mp2t", "mts", AssetType.VIDEO),
    ],
)
def test_sniffs_real_type_from_bytes(head: bytes, mime: str, ext: str, kind: AssetType) -> None:
    found = sniff(head)
    assert (found.mime, found.ext, found.asset_type) == (mime, ext, kind)


def test_a_png_named_jpg_is_a_png(tmp_path) -> None:
    path = tmp_path / "holiday.jpg"
    path.write_bytes(encode(SMALL, "PNG"))
    assert sniff_file(path).mime == "image/png"


def test_families_pick_the_decoder() -> None:
    assert sniff(ftyp(b"heic", b"mif1")).family is Family.HEIF
    assert sniff(ftyp(b"avif", b"mif1")).family is Family.VIPS
    assert sniff(tiff_with_tags((0xC612, b"\x01\x04"))).family is Family.RAW
    assert sniff(ftyp(b"mp42")).family is Family.VIDEO


def test_text_file_named_jpg_is_refused_with_a_reason(tmp_path) -> None:
    path = tmp_path / "notes.jpg"
    path.write_text("Shopping list:\n- milk\n- bread\n")
    with pytest.raises(UnsupportedMedia) as info:
        sniff_file(path)
    assert "text" in info.value.reason


@pytest.mark.parametrize(
    ("head", "words"),
    [
        (b"%PDF-1.7\n", "PDF"),
        (b"PK\x03\x04\x14\x00", "ZIP"),
        (ftyp(b"M4A ", b"M4A ", b"mp42", b"isom"), "audio"),
        (b"\x00\x01\x02\x03\xfe\xfd\xfc\xfb" * 8, "00 01 02 03"),
    ],
)
def test_other_files_are_refused_with_what_they_are(head: bytes, words: str) -> None:
    with pytest.raises(UnsupportedMedia) as info:
        sniff(head)
    assert words in info.value.reason


def test_empty_file_is_refused() -> None:
    with pytest.raises(EmptyMedia) as info:
        sniff(b"")
    assert "empty" in info.value.reason
