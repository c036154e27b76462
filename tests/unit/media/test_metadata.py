from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import numpy as np
import pytest
from PIL import Image

from chalicelib.media.errors import CorruptMedia, EmptyMedia, MediaTooLarge, UnsupportedMedia
from chalicelib.media.exif import format_exposure
from chalicelib.media.metadata import ImageMetadata, read_image_metadata, read_metadata
from tests.support.samples import (
    camera_exif,
    encode,
    jpeg,
    jpeg_claiming,
    png_with_header,
)

PIXELS = np.full((300, 400, 3), 128, np.uint8)  # stored 400 wide, 300 high


def test_jpeg_exif_fields_are_parsed() -> None:
    meta = read_image_metadata(jpeg(PIXELS, exif=camera_exif()))

    assert isinstance(meta, ImageMetadata)
    assert (meta.mime, meta.width, meta.height) == ("image/jpeg", 400, 300)
    assert (meta.make, meta.model, meta.lens_model) == ("Canon", "Canon EOS R5", "RF50mm F1.8 STM")
    assert meta.f_number == pytest.approx(2.8)
    assert meta.exposure_time == pytest.approx(1 / 250)
    assert format_exposure(meta.exposure_time) == "1/250"
    assert (meta.iso, meta.focal_length, meta.orientation) == (400, 50.0, 1)
    assert meta.description == "Pont Neuf at dusk"
    assert meta.latitude == pytest.approx(48 + 51 / 60 + 29.52 / 3600, abs=1e-6)
    assert meta.longitude == pytest.approx(2 + 17 / 60 + 40.2 / 3600, abs=1e-6)
    assert meta.altitude == pytest.approx(35.5)


def test_capture_time_is_timezone_aware_with_offset_and_local_time_kept() -> None:
    taken = read_image_metadata(jpeg(PIXELS, exif=camera_exif(offset="+02:00"))).taken

    assert taken is not None
    assert taken.instant == datetime(
        2023, 7, 14, 18, 30, 5, 250000, tzinfo=timezone(timedelta(hours=2))
    )
    assert taken.instant.astimezone(UTC).hour == 16
    assert taken.local == datetime(2023, 7, 14, 18, 30, 5, 250000)
    assert taken.local.tzinfo is None
    assert taken.offset == "+02:00"


def test_capture_time_without_offset_stays_naive() -> None:
    taken = read_image_metadata(jpeg(PIXELS, exif=camera_exif(offset=None))).taken

    assert taken is not None
    assert taken.instant.tzinfo is None
    assert taken.offset is None
    assert taken.instant == taken.local == datetime(2023, 7, 14, 18, 30, 5, 250000)


def test_negative_offset_is_west_of_utc() -> None:
    taken = read_image_metadata(jpeg(PIXELS, exif=camera_exif(offset="-05:30"))).taken
    assert taken is not None
    assert taken.instant.utcoffset() == -timedelta(hours=5, minutes=30)


def test_gps_refs_sign_the_coordinates() -> None:
    meta = read_image_metadata(
        jpeg(PIXELS, exif=camera_exif(lat_ref="S", lon_ref="W", below_sea=True))
    )

    assert meta.latitude is not None and meta.latitude < 0
    assert meta.longitude is not None and meta.longitude < 0
    assert meta.altitude == pytest.approx(-35.5)


def test_gps_at_zero_zero_is_dropped() -> None:
    exif = camera_exif()
    gps = exif.get_ifd(0x8825)
    gps[2] = gps[4] = (0.0, 0.0, 0.0)
    assert read_image_metadata(jpeg(PIXELS, exif=exif)).latitude is None


@pytest.mark.parametrize("orientation", [5, 6, 7, 8])
def test_width_and_height_are_after_orientation(orientation: int) -> None:
    meta = read_image_metadata(jpeg(PIXELS, exif=camera_exif(orientation=orientation)))
    assert (meta.width, meta.height, meta.orientation) == (300, 400, orientation)


def test_tiff_ifd0_tags_are_read() -> None:
    # Pillow writes only IFD0 into a TIFF (no EXIF/GPS sub-directories), so check those.
    data = encode(Image.fromarray(PIXELS), "TIFF", exif=camera_exif(orientation=6))
    meta = read_image_metadata(data)
    assert (meta.mime, meta.make, meta.model, meta.orientation) == (
        "image/tiff",
        "Canon",
        "Canon EOS R5",
        6,
    )
    assert (meta.width, meta.height, meta.description) == (300, 400, "Pont Neuf at dusk")
    assert meta.taken is None  # IFD0 DateTime is the last edit, never the capture time


@pytest.mark.parametrize("fmt", ["PNG", "WEBP"])
def test_exif_is_read_from_png_and_webp(fmt: str) -> None:
    data = encode(Image.fromarray(PIXELS), fmt, exif=camera_exif(orientation=6))
    meta = read_image_metadata(data)
    assert (meta.make, meta.iso, meta.orientation) == ("Canon", 400, 6)
    assert (meta.width, meta.height) == (300, 400)
    assert meta.taken is not None and meta.taken.offset == "+02:00"


def test_heic_metadata() -> None:
    import pillow_heif

    exif = camera_exif()
    heif = pillow_heif.from_pillow(Image.fromarray(PIXELS))
    import io

    out = io.BytesIO()
    heif.save(out, quality=80, exif=exif.tobytes())
    meta = read_metadata(out.getvalue())
    assert isinstance(meta, ImageMetadata)
    assert (meta.mime, meta.width, meta.height, meta.model) == (
        "image/heic",
        400,
        300,
        "Canon EOS R5",
    )
    assert meta.latitude == pytest.approx(48.858200, abs=1e-5)


def test_image_without_exif_has_only_dimensions() -> None:
    meta = read_image_metadata(encode(Image.fromarray(PIXELS), "PNG"))
    assert (meta.width, meta.height, meta.make, meta.taken, meta.latitude) == (
        400,
        300,
        None,
        None,
        None,
    )


def test_garbage_exif_values_become_none() -> None:
    exif = Image.Exif()
    sub = exif.get_ifd(0x8769)
    sub[0x9003] = "0000:00:00 00:00:00"
    sub[0x829D] = 0  # f/0
    sub[0x9011] = "+99:00"
    exif[0x010F] = "  \x00\x00"
    meta = read_image_metadata(jpeg(PIXELS, exif=exif))
    assert (meta.taken, meta.f_number, meta.make) == (None, None, None)


def test_pixel_bomb_is_refused_before_decoding() -> None:
    # 30000 × 30000 RGB would need 2.7 GB decoded; the file is a few hundred bytes.
    with pytest.raises(MediaTooLarge) as info:
        read_image_metadata(png_with_header(30_000, 30_000))
    assert "900 MP" in info.value.reason and "100 MP limit" in info.value.reason


def test_jpeg_bomb_and_configurable_limit() -> None:
    with pytest.raises(MediaTooLarge):
        read_image_metadata(jpeg_claiming(20_000, 20_000))
    with pytest.raises(MediaTooLarge):
        read_image_metadata(jpeg(PIXELS), max_pixels=100_000)
    assert read_image_metadata(jpeg(PIXELS), max_pixels=120_000).width == 400


def test_huge_metadata_block_is_refused_without_reading_it() -> None:
    # An eXIf chunk header claiming 2 GB: the decoder would try to allocate it in one go.
    huge = b"\x77\x35\x94\x00" + b"eXIf" + b"\x00" * 16
    with pytest.raises(MediaTooLarge) as info:
        read_image_metadata(png_with_header(100, 100, extra_chunks=huge))
    assert "eXIf" in info.value.reason


def test_zero_byte_file_fails_with_reason(tmp_path) -> None:
    path = tmp_path / "empty.jpg"
    path.write_bytes(b"")
    with pytest.raises(EmptyMedia) as info:
        read_metadata(path)
    assert info.value.reason == "the file is empty (0 bytes)"


def test_header_truncated_jpeg_is_corrupt() -> None:
    with pytest.raises(CorruptMedia) as info:
        read_metadata(jpeg(PIXELS, exif=camera_exif())[:40])
    assert "JPG" in info.value.reason and "corrupt or truncated" in info.value.reason


def test_text_is_unsupported() -> None:
    with pytest.raises(UnsupportedMedia):
        read_metadata(b"just some words\n")
