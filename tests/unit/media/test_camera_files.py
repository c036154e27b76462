"""Real camera files from public collections (tests/fixtures/camera/SOURCES.md): date, offset, GPS,
camera, orientation, sizes and upright thumbnails, with exiftool's readings as the oracle."""

from __future__ import annotations

import struct
import zlib
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pytest

from chalicelib.media.capture import decide, timeline_fields
from chalicelib.media.errors import CorruptMedia
from chalicelib.media.metadata import ImageMetadata, VideoMetadata, read_metadata
from chalicelib.media.sniff import MOV, sniff
from chalicelib.media.tags import read_sidecar, tag_capture_time
from chalicelib.media.thumbnails import generate_thumbnails
from tests.support.samples import CAMERA_SAMPLES

SAMPLES = CAMERA_SAMPLES
FILE_TIME = datetime(2030, 1, 1, 12, 0, tzinfo=UTC)  # what a client would send; never wins


def sample(name: str) -> Path:
    return SAMPLES / name


def capture(name: str) -> tuple[object, str | None]:
    """(metadata, ISO local time with offset or None) after the whole capture-time rule."""
    meta = read_metadata(sample(name))
    taken = decide(meta.taken, meta.latitude, meta.longitude, name, FILE_TIME)
    return meta, taken


# file, make, model, local wall clock, offset, date source, offset source, lat, lon,
# orientation, displayed (w, h), stored (w, h)
PHOTOS = [
    ("Canon_40D.jpg", "Canon", "Canon EOS 40D", "2008-05-30T15:56:01", None, "exif", None,
     None, None, 1, (100, 68), (100, 68)),
    ("Fujifilm_FinePix_E500.jpg", "FUJIFILM", "FinePix E500", "2006-08-17T09:24:48", None,
     "exif", None, None, None, 1, (59, 100), (59, 100)),
    ("Kodak_CX7530.jpg", "EASTMAN KODAK COMPANY", "KODAK CX7530 ZOOM DIGITAL CAMERA",
     "2005-08-13T09:47:23", "+03:00", "exif", "gps", -0.3713, 36.0564167, 1, (100, 78),
     (100, 78)),
    ("Konica_Minolta_DiMAGE_Z3.jpg", "KONICA MINOLTA", "DiMAGE Z3", "2005-03-10T15:10:48",
     None, "exif", None, None, None, 1, (70, 100), (70, 100)),
    ("Olympus_C8080WZ.jpg", "OLYMPUS CORPORATION", "C8080WZ", "2006-10-22T15:44:29", None,
     "exif", None, None, None, 1, (100, 72), (100, 72)),
    ("Panasonic_DMC-FZ30.jpg", "Panasonic", "DMC-FZ30", "2008-07-16T11:33:20", None, "exif",
     None, None, None, 1, (100, 75), (100, 75)),
    # EXIF has no offset; XMP holds the same moment with +09:00.
    ("Pentax_K10D.jpg", "PENTAX Corporation", "PENTAX K10D", "2008-05-04T16:47:24", "+09:00",
     "exif", "tag", None, None, 1, (100, 72), (100, 72)),
    ("Ricoh_Caplio_RR330.jpg", "Caplio", "RR330", "2004-08-31T19:52:58", None, "exif", None,
     None, None, None, (100, 75), (100, 75)),
    ("Samsung_Digimax_i50_MP3.jpg", "Samsung Techwin", "<Digimax i50 MP3, Samsung #1 MP3>",
     "2006-08-15T17:50:57", None, "exif", None, None, None, 1, (100, 75), (100, 75)),
    ("Sony_HDR-HC3.jpg", "SONY", "HDR-HC3", "2007-06-15T04:42:32", None, "exif", None, None,
     None, 1, (100, 64), (100, 64)),
    # Italy in October 2008: summer time, +02:00, from the GPS position.
    ("nikon-coolpix-gps.jpg", "NIKON", "COOLPIX P6000", "2008-10-22T16:28:39", "+02:00",
     "exif", "gps", 43.4674483, 11.8851267, 1, (640, 480), (640, 480)),
    # The iPhone's own offset wins over the GPS zone (Mongolia, +08:00).
    ("iphone11pro-irot.heic", "Apple", "iPhone 11 Pro", "2020-05-04T18:39:11.644000", "-04:00",
     "exif", "tag", 47.2071241, 106.2431051, 1, (3024, 4032), (3024, 4032)),
    ("samplefilehub-no-irot.heif", None, None, None, None, "file time", None, None, None, 1,
     (640, 426), (640, 426)),
    ("portrait_6.jpg", None, None, None, None, "file time", None, None, None, 6, (450, 600),
     (600, 450)),
    # DateTimeOriginal (02:00) wins over CreateDate (04-04) and the IPTC time.
    ("immich-date-priority-test.jpg", None, None, "2023-02-02T02:00:00", None, "exif", None,
     None, None, None, (100, 100), (100, 100)),
    # Only IPTC DateCreated.
    ("exiftool-IPTC.jpg", None, None, "2004-02-26T00:00:00", None, "iptc", None, None, None,
     None, (8, 8), (8, 8)),
    # RAW containers: metadata from exiv2 (the CR3 one from its CMT boxes).
    ("exiftool-CanonRaw.cr3", "Canon", "Canon EOS M50", "2018-02-21T12:08:56.210000", "+00:00",
     "exif", "tag", None, None, 1, None, None),
    # EXIF without an offset; its XMP copy of the same moment says -04:00.
    ("exiftool-DNG.dng", "Canon", "Canon EOS 350D DIGITAL", "2005-08-03T18:59:18", "-04:00",
     "exif", "tag", None, None, 1, None, None),
    ("exiftool-FujiFilm.raf", "FUJIFILM", "FinePix S5Pro", "2007-05-22T13:58:30", None, "exif",
     None, None, None, 1, None, None),
    ("exiftool-Nikon.nef", "NIKON CORPORATION", "NIKON D70", "2004-06-09T16:02:35", None,
     "exif", None, None, None, 1, None, None),
    ("exiftool-Panasonic.rw2", "Panasonic", "DMC-LX3", "2008-08-06T15:21:56", None, "exif",
     None, None, None, 1, None, None),
]  # fmt: skip


@pytest.mark.parametrize(
    ("name", "make", "model", "local", "offset", "source", "offset_source", "lat", "lon",
     "orientation", "shown", "stored"),
    PHOTOS,
    ids=[p[0] for p in PHOTOS],
)  # fmt: skip
def test_photo_metadata_matches_exiftool(
    name, make, model, local, offset, source, offset_source, lat, lon, orientation, shown, stored
) -> None:
    meta, taken = capture(name)
    assert isinstance(meta, ImageMetadata)
    assert (meta.make, meta.model, meta.orientation) == (make, model, orientation)
    assert (taken.source, taken.offset, taken.offset_source) == (source, offset, offset_source)
    if local is not None:
        assert taken.local.isoformat() == local
    else:
        assert taken.instant == FILE_TIME
    assert meta.latitude == (pytest.approx(lat, abs=1e-6) if lat is not None else None)
    assert meta.longitude == (pytest.approx(lon, abs=1e-6) if lon is not None else None)
    if shown is not None:
        assert (meta.width, meta.height) == shown
        assert (meta.stored_width, meta.stored_height) == stored


def test_timeline_instant_follows_the_offset() -> None:
    _, taken = capture("nikon-coolpix-gps.jpg")
    taken_at, local = timeline_fields(taken)
    assert taken_at == datetime(2008, 10, 22, 14, 28, 39, tzinfo=UTC)
    assert local == datetime(2008, 10, 22, 16, 28, 39, tzinfo=UTC)  # wall clock, labelled UTC
    _, unknown = capture("Canon_40D.jpg")
    assert timeline_fields(unknown) == (datetime(2008, 5, 30, 15, 56, 1, tzinfo=UTC),) * 2


# --- videos -------------------------------------------------------------------------------


def test_iphone_mov_keeps_its_local_time_and_offset() -> None:
    meta, taken = capture("iphone6-gps.mov")
    assert isinstance(meta, VideoMetadata)
    assert (meta.make, meta.model, meta.mime) == ("Apple", "iPhone 6", "video/quicktime")
    # com.apple.quicktime.creationdate 2019-07-24T11:25:40+0300, not creation_time (UTC).
    assert taken.local.isoformat() == "2019-07-24T11:25:40"
    assert (taken.offset, taken.offset_source, taken.source) == ("+03:00", "tag", "quicktime")
    assert timeline_fields(taken)[0] == datetime(2019, 7, 24, 8, 25, 40, tzinfo=UTC)
    assert (meta.latitude, meta.longitude, meta.altitude) == (32.0929, 34.862, 28.516)
    assert meta.rotation == 90
    assert (meta.width, meta.height, meta.coded_width, meta.coded_height) == (320, 568, 568, 320)


def test_utc_only_video_takes_the_time_zone_of_its_gps_position() -> None:
    meta, taken = capture("android-gps.mp4")
    assert isinstance(meta, VideoMetadata)
    assert (meta.make, meta.model) == (None, None)  # this Android phone wrote neither
    assert (meta.latitude, meta.longitude) == (51.4169, -0.0806)
    assert (taken.offset, taken.offset_source, taken.zone) == ("+00:00", "gps", "Europe/London")
    assert taken.local.isoformat() == "2017-02-22T08:20:28"
    assert (meta.width, meta.height) == (1920, 1080)


def test_the_gps_time_zone_gives_back_the_phones_own_offset() -> None:
    # The iPhone clip's capture instant without its offset, placed by its GPS position alone:
    # summer time in Israel, as the phone itself wrote.
    meta = read_metadata(sample("iphone6-gps.mov"))
    assert isinstance(meta, VideoMetadata) and meta.created_at is not None
    from chalicelib.media.capture import with_gps_zone
    from chalicelib.media.exif import CaptureTime

    utc = meta.created_at.astimezone(UTC)
    placed = with_gps_zone(
        CaptureTime(utc, utc.replace(tzinfo=None), None, source="quicktime"),
        meta.latitude,
        meta.longitude,
    )
    assert placed is not None
    assert (placed.local.isoformat(), placed.offset, placed.zone) == (
        "2019-07-24T11:25:40",
        "+03:00",
        "Asia/Jerusalem",
    )


def test_video_without_gps_or_offset_is_shown_in_utc() -> None:
    meta, taken = capture("sample.3gp")
    assert taken.source == "quicktime" and taken.offset is None
    assert timeline_fields(taken) == (datetime(2005, 10, 28, 17, 36, 40, tzinfo=UTC),) * 2


def test_old_quicktime_clip_without_ftyp_is_a_video() -> None:
    data = sample("exiftool-QuickTime.mov").read_bytes()
    assert data[4:8] == b"moov"
    assert sniff(data) == MOV
    meta, taken = capture("exiftool-QuickTime.mov")
    assert isinstance(meta, VideoMetadata)
    assert (meta.video_codec, meta.width, meta.height) == ("mjpeg", 320, 240)
    assert taken.local.isoformat() == "2005-08-11T14:03:54"


@pytest.mark.parametrize("first_atom", [b"free", b"wide", b"skip"])
def test_quicktime_starting_with_padding_plays_and_gets_a_poster(first_atom, tmp_path) -> None:
    from chalicelib.media.video import generate_video_thumbnails

    data = bytearray(sample("iphone6-gps.mov").read_bytes())
    assert data[4:8] == b"ftyp"
    data[4:8] = first_atom  # what files written before ftyp existed look like
    path = tmp_path / "old.mov"
    path.write_bytes(bytes(data))
    assert sniff(bytes(data[:65536])) == MOV
    thumbs, poster = generate_video_thumbnails(path)
    assert (poster.image.width, poster.image.height) == (320, 568)  # rotated upright
    assert thumbs.thumbnail.height > thumbs.thumbnail.width


def test_video_posters_are_upright() -> None:
    from chalicelib.media.video import generate_video_thumbnails

    thumbs, _ = generate_video_thumbnails(sample("android-gps.mp4"))
    assert (thumbs.preview.width, thumbs.preview.height) == (1440, 810)


# --- orientation and thumbnails -----------------------------------------------------------


def _pixels(data: bytes) -> np.ndarray:
    import pyvips

    return pyvips.Image.new_from_buffer(data, "").numpy().astype(np.float64)


def test_exif_orientation_6_jpeg_comes_out_like_its_upright_twin() -> None:
    rotated = generate_thumbnails(sample("portrait_6.jpg"))
    assert (rotated.preview.width, rotated.preview.height) == (450, 600)
    # The stored pixels, turned a quarter clockwise by hand (what orientation 6 asks for).
    import pyvips

    stored = pyvips.Image.new_from_file(str(sample("portrait_6.jpg")), autorotate=False)
    stored = stored.icc_transform("srgb", embedded=True, input_profile="srgb")
    thumb = _pixels(rotated.preview.data)
    assert np.abs(thumb - stored.rot90().numpy()).mean() < 8  # JPEG q80 noise
    assert np.abs(thumb - stored.rot270().numpy()).mean() > 30


def with_exif_orientation(data: bytes, orientation: int) -> bytes:
    """The file with the Orientation entry of its EXIF IFD0 set (in place, same length)."""
    # The TIFF header that starts an EXIF block (first IFD right after it, as cameras write).
    tiff = max(data.find(b"MM\x00*\x00\x00\x00\x08"), data.find(b"II*\x00\x08\x00\x00\x00"))
    assert tiff >= 0
    order = "<" if data[tiff : tiff + 2] == b"II" else ">"
    (ifd,) = struct.unpack_from(order + "I", data, tiff + 4)
    (count,) = struct.unpack_from(order + "H", data, tiff + ifd)
    out = bytearray(data)
    for i in range(count):
        entry = tiff + ifd + 2 + 12 * i
        tag, kind = struct.unpack_from(order + "HH", data, entry)
        if tag == 0x0112 and kind == 3:
            struct.pack_into(order + "H", out, entry + 8, orientation)
            return bytes(out)
    raise AssertionError("no Orientation entry")


def test_heic_without_irot_is_turned_by_its_exif_orientation() -> None:
    original = sample("samplefilehub-no-irot.heif").read_bytes()
    turned = with_exif_orientation(original, 6)
    meta = read_metadata(turned)
    assert isinstance(meta, ImageMetadata)
    assert (meta.orientation, meta.width, meta.height) == (6, 426, 640)  # portrait
    assert (meta.stored_width, meta.stored_height) == (640, 426)
    upright = generate_thumbnails(original)
    thumbs = generate_thumbnails(turned)
    assert (thumbs.preview.width, thumbs.preview.height) == (426, 640)
    import pyvips

    expected = pyvips.Image.new_from_buffer(upright.preview.data, "").rot90()
    got = pyvips.Image.new_from_buffer(thumbs.preview.data, "")
    assert np.abs(got.numpy().astype(float) - expected.numpy().astype(float)).mean() < 4


def test_heic_with_irot_ignores_exif_orientation() -> None:
    # HEIF: irot is the rotation; EXIF orientation is informational. A contradicting EXIF
    # value must not turn an iPhone photo a second time.
    turned = with_exif_orientation(sample("iphone11pro-irot.heic").read_bytes(), 6)
    meta = read_metadata(turned)
    assert isinstance(meta, ImageMetadata)
    assert (meta.width, meta.height) == (3024, 4032)


def test_png_exif_chunk_after_the_image_data_is_read() -> None:
    from PIL import Image

    png = sample("exiftool-PNG.png").read_bytes()
    exif = Image.open(sample("Canon_40D.jpg")).info["exif"].removeprefix(b"Exif\x00\x00")
    chunk = struct.pack(">I", len(exif)) + b"eXIf" + exif
    chunk += struct.pack(">I", zlib.crc32(b"eXIf" + exif))
    end = png.rindex(b"IEND") - 4
    assert png.find(b"IDAT") < end  # the chunk goes after the pixels
    meta = read_metadata(png[:end] + chunk + png[end:])
    assert (meta.make, meta.model) == ("Canon", "Canon EOS 40D")
    assert meta.taken is not None and meta.taken.local.isoformat() == "2008-05-30T15:56:01"


def test_date_only_in_embedded_xmp_is_used() -> None:
    from PIL import Image

    xmp = sample("exiftool-XMP.xmp").read_bytes()
    out = Path(SAMPLES / "portrait_6.jpg")
    image = Image.open(out)
    import io

    buffer = io.BytesIO()
    image.save(buffer, "JPEG", xmp=xmp)  # no EXIF at all, only the XMP packet
    meta = read_metadata(buffer.getvalue())
    assert meta.taken is not None
    assert (meta.taken.source, meta.taken.local.isoformat(), meta.taken.offset) == (
        "xmp",
        "2005-06-09T20:09:27",
        "+02:00",
    )


@pytest.mark.parametrize(
    ("name", "local", "offset"),
    [
        ("exiftool-XMP.xmp", "2005-06-09T20:09:27", "+02:00"),
        ("immich-2010.xmp", "2010-09-27T14:35:33", "+02:00"),  # UTF-16 with a byte-order mark
    ],
)
def test_xmp_sidecar_dates(name: str, local: str, offset: str) -> None:
    taken = tag_capture_time(read_sidecar(sample(name).read_bytes()))
    assert taken is not None
    assert (taken.source, taken.local.isoformat(), taken.offset) == ("xmp", local, offset)


def test_date_in_the_file_name_beats_the_file_time() -> None:
    meta = read_metadata(sample("portrait_6.jpg"))
    taken = decide(meta.taken, None, None, "IMG_20190724_112540.jpg", FILE_TIME)
    assert (taken.source, taken.local.isoformat(), taken.offset) == (
        "filename",
        "2019-07-24T11:25:40",
        None,
    )


def test_a_pixel_file_name_is_utc_and_its_gps_zone_gives_the_local_clock() -> None:
    meta = read_metadata(sample("portrait_6.jpg"))
    # PXL_ names carry the UTC moment: 01:10:15 UTC is 17:10:15 the day before in California.
    taken = decide(meta.taken, 37.42, -122.08, "PXL_20221215_011015207.jpg", FILE_TIME)
    assert (taken.source, taken.local.isoformat(), taken.offset) == (
        "filename",
        "2022-12-14T17:10:15",
        "-08:00",
    )
    assert timeline_fields(taken)[0].isoformat() == "2022-12-15T01:10:15+00:00"
    # Without a position the instant is still exact, shown in UTC (like a file time).
    bare = decide(meta.taken, None, None, "PXL_20221215_011015207.jpg", FILE_TIME)
    assert timeline_fields(bare) == (
        datetime(2022, 12, 15, 1, 10, 15, tzinfo=UTC),
        datetime(2022, 12, 15, 1, 10, 15, tzinfo=UTC),
    )
    # Other phones name files after their own wall clock: no zone is assumed.
    other = decide(meta.taken, None, None, "IMG_20221215_011015.jpg", FILE_TIME)
    assert other.instant.tzinfo is None


# --- RAW: the preview when pixels fail, one clear failure when nothing is left ----------


def test_raf_whose_pixels_are_gone_uses_its_embedded_preview() -> None:
    thumbs = generate_thumbnails(sample("exiftool-FujiFilm.raf"))
    assert (thumbs.preview.width, thumbs.preview.height) == (160, 120)


def test_rw2_with_cut_off_pixels_uses_its_preview_not_a_garbage_demosaic() -> None:
    thumbs = generate_thumbnails(sample("exiftool-Panasonic.rw2"))
    # The (tiny) embedded JPEG, not LibRaw's 3664x2754 "decode" of the few bytes left.
    assert (thumbs.preview.width, thumbs.preview.height) == (8, 8)


@pytest.mark.parametrize(
    "name", ["exiftool-CanonRaw.cr3", "exiftool-Nikon.nef", "exiftool-DNG.dng"]
)
def test_raw_without_pixels_or_preview_fails_with_a_reason(name: str) -> None:
    with pytest.raises(CorruptMedia) as caught:
        generate_thumbnails(sample(name))
    reason = caught.value.reason
    ext = name.rsplit(".", 1)[1].upper()
    assert reason == (
        f"the {ext} file is cut off (its pixel data is missing) and has no usable embedded preview"
    )
    # ...while its metadata stays readable for the ingest stage.
    assert read_metadata(sample(name)).taken is not None


@pytest.mark.parametrize("name", ["corrupt-issue419.rw2", "exiftool-CanonRaw.cr2"])
def test_raw_that_libraw_cannot_open_fails_once_with_a_reason(name: str) -> None:
    for read in (read_metadata, generate_thumbnails):
        with pytest.raises(CorruptMedia) as caught:
            read(sample(name))
        assert "Unsupported file format or not RAW file" in caught.value.reason
        assert "b'" not in caught.value.reason


def test_degenerate_demosaic_gives_way_to_the_preview() -> None:
    # A film scanner's NEF renders white through LibRaw; its preview is right.
    from tests.support.samples import jpeg, minimal_dng, quadrants

    white = np.full((256, 384, 3), 255, np.uint8)
    preview = jpeg(quadrants(160, 120))
    thumbs = generate_thumbnails(minimal_dng(white, preview=preview))
    pixels = _pixels(thumbs.preview.data)
    assert thumbs.preview.width == 160
    assert pixels[10, 10] == pytest.approx([255, 0, 0], abs=40)  # red top-left quadrant


def test_jpeg_xl_is_refused_with_a_reason() -> None:
    from chalicelib.media.errors import UnsupportedMedia

    codestream = b"\xff\x0a" + bytes(100)
    container = b"\x00\x00\x00\x0cJXL \r\n\x87\n" + bytes(100)
    for data in (codestream, container):
        with pytest.raises(UnsupportedMedia, match="JPEG XL"):
            sniff(data)
