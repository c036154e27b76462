"""Real media files made on the fly: Pillow/numpy images, ffmpeg testsrc clips."""

from __future__ import annotations

import base64
import hashlib
import io
import struct
import subprocess
import zlib
from pathlib import Path

import numpy as np
from PIL import Image
from PIL.TiffImagePlugin import IFDRational

from chalicelib.media.ffmpeg import default_ffmpeg

# Real camera files from public collections (their sources and licences: SOURCES.md there).
CAMERA_SAMPLES = Path(__file__).parents[1] / "fixtures" / "camera"

RED, GREEN, BLUE, WHITE = (255, 0, 0), (0, 255, 0), (0, 0, 255), (255, 255, 255)


def quadrants(width: int = 400, height: int = 300) -> np.ndarray:
    """Upright test card: red top-left, green top-right, blue bottom-left, white bottom-right."""
    card = np.zeros((height, width, 3), np.uint8)
    h2, w2 = height // 2, width // 2
    card[:h2, :w2], card[:h2, w2:] = RED, GREEN
    card[h2:, :w2], card[h2:, w2:] = BLUE, WHITE
    return card


def stored_for_orientation(upright: np.ndarray, orientation: int) -> np.ndarray:
    """The pixels a camera stores so that applying EXIF `orientation` shows `upright`."""
    transpose = upright.transpose(1, 0, 2)
    return {
        1: upright,
        2: upright[:, ::-1],
        3: upright[::-1, ::-1],
        4: upright[::-1],
        5: transpose,
        6: np.rot90(upright, 1),  # displayed by rotating 90° clockwise
        7: np.rot90(transpose, 2),
        8: np.rot90(upright, -1),  # displayed by rotating 90° counter-clockwise
    }[orientation]


def jpeg(
    pixels: np.ndarray | Image.Image,
    *,
    quality: int = 95,
    exif: Image.Exif | None = None,
    **save: object,
) -> bytes:
    image = pixels if isinstance(pixels, Image.Image) else Image.fromarray(pixels)
    out = io.BytesIO()
    image.save(out, "JPEG", quality=quality, exif=exif or Image.Exif(), **save)
    return out.getvalue()


def encode(image: Image.Image, fmt: str, **save: object) -> bytes:
    out = io.BytesIO()
    image.save(out, fmt, **save)
    return out.getvalue()


def camera_exif(
    *,
    orientation: int = 1,
    lat_ref: str = "N",
    lon_ref: str = "E",
    below_sea: bool = False,
    offset: str | None = "+02:00",
) -> Image.Exif:
    exif = Image.Exif()
    exif[0x010F] = "Canon"
    exif[0x0110] = "Canon EOS R5"
    exif[0x0112] = orientation
    exif[0x010E] = "Pont Neuf at dusk"
    exif[0x0132] = "2024:01:01 00:00:00"  # last edit: must not be taken as capture time
    sub = exif.get_ifd(0x8769)
    sub[0x9003] = "2023:07:14 18:30:05"
    sub[0x9291] = "25"
    if offset:
        sub[0x9011] = offset
    sub[0x829A] = IFDRational(1, 250)
    sub[0x829D] = IFDRational(28, 10)
    sub[0x8827] = 400
    sub[0x920A] = IFDRational(50, 1)
    sub[0xA434] = "RF50mm F1.8 STM"
    gps = exif.get_ifd(0x8825)
    gps[1], gps[3] = lat_ref, lon_ref
    gps[2] = (IFDRational(48), IFDRational(51), IFDRational(2952, 100))
    gps[4] = (IFDRational(2), IFDRational(17), IFDRational(402, 10))
    gps[5] = b"\x01" if below_sea else b"\x00"
    gps[6] = IFDRational(3550, 100)
    return exif


def png_with_header(width: int, height: int, extra_chunks: bytes = b"") -> bytes:
    """A PNG whose IHDR claims width × height but whose data is tiny (a bomb's header)."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data))
            + kind
            + data
            + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
        )

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", ihdr)
        + extra_chunks
        + chunk(b"IDAT", zlib.compress(b"\x00" * 64))
        + chunk(b"IEND", b"")
    )


def jpeg_claiming(width: int, height: int) -> bytes:
    """A small real JPEG whose SOF header is patched to claim width × height."""
    data = bytearray(jpeg(np.zeros((16, 16, 3), np.uint8)))
    sof = data.find(b"\xff\xc0")
    struct.pack_into(">HH", data, sof + 5, height, width)
    return bytes(data)


def ffmpeg(*args: str) -> None:
    subprocess.run(
        [default_ffmpeg(), "-nostdin", "-hide_banner", "-loglevel", "error", "-y", *args],
        check=True,
        timeout=120,
    )


def make_clip(
    path: Path,
    *,
    size: str = "320x240",
    seconds: float = 2,
    rate: int = 25,
    vcodec: tuple[str, ...] = ("-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p"),
    acodec: tuple[str, ...] = ("-c:a", "aac"),
    black_lead: float = 0,
) -> Path:
    source = f"testsrc=size={size}:rate={rate}:duration={seconds}"
    video = ["-f", "lavfi", "-i", source]
    filters: list[str] = []
    if black_lead:
        # The first `black_lead` seconds are pure black: a poster there would be useless.
        filters = ["-vf", f"drawbox=c=black:t=fill:enable='lt(t,{black_lead})'"]
    audio = ["-f", "lavfi", "-i", f"sine=frequency=440:duration={seconds}"] if acodec else []
    ffmpeg(*video, *audio, *filters, *vcodec, *acodec, "-shortest", str(path))
    return path


def _tiff_entry(tag: int, kind: int, values: list[int] | bytes) -> tuple[int, int, int, bytes]:
    if kind == 2:  # ASCII
        payload = bytes(values) + b"\x00"
        return tag, kind, len(payload), payload
    if kind == 1:  # BYTE
        payload = bytes(values)
        return tag, kind, len(payload), payload
    fmt = {3: "<H", 4: "<I", 5: "<II", 10: "<ii"}[kind]
    step = 2 if kind in (5, 10) else 1
    items = [values[i : i + step] for i in range(0, len(values), step)]
    payload = b"".join(struct.pack(fmt, *item) for item in items)
    return tag, kind, len(items), payload


Entry = tuple[int, int, int, bytes]


def _ifd_size(entries: list[Entry]) -> int:
    extra = sum(len(p) + len(p) % 2 for *_, p in entries if len(p) > 4)
    return 2 + 12 * len(entries) + 4 + extra


def _ifd_bytes(entries: list[Entry], at: int) -> bytes:
    """One IFD at file offset `at`, its out-of-line values right after it."""
    entries = sorted(entries)
    data_at = at + 2 + 12 * len(entries) + 4
    head, blobs = struct.pack("<H", len(entries)), b""
    for tag, kind, count, payload in entries:
        if len(payload) > 4:
            value = struct.pack("<I", data_at + len(blobs))
            blobs += payload + b"\x00" * (len(payload) % 2)
        else:
            value = payload.ljust(4, b"\x00")
        head += struct.pack("<HHI", tag, kind, count) + value
    return head + b"\x00" * 4 + blobs


def minimal_dng(
    rgb: np.ndarray, *, orientation: int = 1, white: int = 4095, preview: bytes | None = None
) -> bytes:
    """An uncompressed 16-bit RGGB Bayer DNG of `rgb` (sRGB-encoded uint8), as LibRaw reads it.

    The mosaic holds linear light (sRGB gamma removed); ColorMatrix1 is the XYZ → linear
    sRGB matrix, so the camera space *is* linear sRGB and a correct render gives `rgb` back.
    With `preview` (JPEG bytes), IFD0 is that preview and the raw data moves to a SubIFD, as
    cameras and Adobe's converter write them.
    """
    height, width, _ = rgb.shape
    srgb = rgb.astype(np.float64) / 255
    linear = np.where(srgb <= 0.04045, srgb / 12.92, ((srgb + 0.055) / 1.055) ** 2.4)
    mosaic = np.empty((height, width), np.uint16)
    scaled = np.round(linear * white).astype(np.uint16)
    mosaic[0::2, 0::2] = scaled[0::2, 0::2, 0]  # R
    mosaic[0::2, 1::2] = scaled[0::2, 1::2, 1]  # G
    mosaic[1::2, 0::2] = scaled[1::2, 0::2, 1]  # G
    mosaic[1::2, 1::2] = scaled[1::2, 1::2, 2]  # B
    pixels = mosaic.astype("<u2").tobytes()
    xyz_to_srgb = [3.2406, -1.5372, -0.4986, -0.9689, 1.8758, 0.0415, 0.0557, -0.2040, 1.0570]
    colour_matrix = [v for m in xyz_to_srgb for v in (round(m * 10000), 10000)]
    camera = [
        _tiff_entry(271, 2, list(b"Skyroll")),
        _tiff_entry(272, 2, list(b"Test Sensor")),
        _tiff_entry(274, 3, [orientation]),
        _tiff_entry(50706, 1, [1, 4, 0, 0]),  # DNGVersion
        _tiff_entry(50708, 2, list(b"Skyroll Test Sensor")),
        _tiff_entry(50721, 10, colour_matrix),  # ColorMatrix1
        _tiff_entry(50728, 5, [1, 1, 1, 1, 1, 1]),  # AsShotNeutral: no white balance
        _tiff_entry(50778, 3, [21]),  # CalibrationIlluminant1: D65
    ]

    def raw_ifd(strip_at: int) -> list[Entry]:
        return [
            _tiff_entry(254, 4, [0]),
            _tiff_entry(256, 4, [width]),
            _tiff_entry(257, 4, [height]),
            _tiff_entry(258, 3, [16]),
            _tiff_entry(259, 3, [1]),
            _tiff_entry(262, 3, [32803]),  # CFA
            _tiff_entry(273, 4, [strip_at]),
            _tiff_entry(277, 3, [1]),
            _tiff_entry(278, 4, [height]),
            _tiff_entry(279, 4, [len(pixels)]),
            _tiff_entry(284, 3, [1]),
            _tiff_entry(33421, 3, [2, 2]),  # CFARepeatPatternDim
            _tiff_entry(33422, 1, [0, 1, 1, 2]),  # CFAPattern: RGGB
            _tiff_entry(50714, 4, [0]),  # BlackLevel
            _tiff_entry(50717, 4, [white]),  # WhiteLevel
        ]

    if preview is None:
        ifd0 = camera + raw_ifd(0)
        strip_at = 8 + _ifd_size(ifd0)
        body = _ifd_bytes(camera + raw_ifd(strip_at), 8) + pixels
        return b"II*\x00" + struct.pack("<I", 8) + body

    preview_size = Image.open(io.BytesIO(preview)).size

    def preview_ifd(jpeg_at: int, sub_at: int) -> list[Entry]:
        return camera + [
            _tiff_entry(254, 4, [1]),  # reduced-resolution image
            _tiff_entry(256, 4, [preview_size[0]]),
            _tiff_entry(257, 4, [preview_size[1]]),
            _tiff_entry(258, 3, [8, 8, 8]),
            _tiff_entry(259, 3, [7]),  # JPEG
            _tiff_entry(262, 3, [6]),  # YCbCr
            _tiff_entry(273, 4, [jpeg_at]),
            _tiff_entry(277, 3, [3]),
            _tiff_entry(278, 4, [preview_size[1]]),
            _tiff_entry(279, 4, [len(preview)]),
            _tiff_entry(330, 4, [sub_at]),  # SubIFDs
        ]

    ifd0_size = _ifd_size(preview_ifd(0, 0))
    sub_at = 8 + ifd0_size
    strip_at = sub_at + _ifd_size(raw_ifd(0))
    jpeg_at = strip_at + len(pixels)
    body = (
        _ifd_bytes(preview_ifd(jpeg_at, sub_at), 8)
        + _ifd_bytes(raw_ifd(strip_at), sub_at)
        + pixels
        + preview
    )
    return b"II*\x00" + struct.pack("<I", 8) + body


def photo(seed: int = 1, size: tuple[int, int] = (64, 48), exif=None) -> bytes:
    rng = np.random.default_rng(seed)
    pixels = rng.integers(0, 255, (size[1], size[0], 3), dtype=np.uint8)
    return jpeg(pixels, exif=exif)


MiB = 1024 * 1024


def big_photo() -> bytes:
    # A real JPEG followed by padding after its end marker: 12 MiB, three 5 MiB parts.
    data = photo(seed=21, size=(640, 480))
    return data + b"\0" * (12 * MiB - len(data))


def sha(b: bytes) -> str:
    return base64.b64encode(hashlib.sha256(b).digest()).decode()
