"""Fixtures for tags, map, memories, downloads and jobs admin: the pipeline Harness (real
PostgreSQL, moto S3/SQS, the local event-source runner) and real JPEGs with chosen EXIF."""

from __future__ import annotations

import hashlib
from fractions import Fraction

import numpy as np
from PIL import Image
from PIL.TiffImagePlugin import IFDRational

from tests.support.harness import Harness
from tests.support.samples import jpeg

NOTRE_DAME = (48.8530, 2.3499)
TOKYO = (35.6895, 139.6917)


def _dms(value: float) -> tuple[IFDRational, IFDRational, IFDRational]:
    value = abs(value)
    degrees = int(value)
    minutes = int((value - degrees) * 60)
    seconds = Fraction((value - degrees - minutes / 60) * 3600).limit_denominator(10_000)
    return (
        IFDRational(degrees),
        IFDRational(minutes),
        IFDRational(seconds.numerator, seconds.denominator),
    )


def exif_for(taken: str | None = None, gps: tuple[float, float] | None = None) -> Image.Exif:
    """EXIF with a capture time ("2020:06:15 12:00:00", wall clock) and/or a GPS fix."""
    exif = Image.Exif()
    exif[0x010F] = "Skyroll"
    if taken:
        exif.get_ifd(0x8769)[0x9003] = taken
    if gps:
        lat, lon = gps
        ifd = exif.get_ifd(0x8825)
        ifd[1], ifd[3] = ("N" if lat >= 0 else "S"), ("E" if lon >= 0 else "W")
        ifd[2], ifd[4] = _dms(lat), _dms(lon)
    return exif


def photo(
    seed: int,
    *,
    taken: str | None = None,
    gps: tuple[float, float] | None = None,
    size: tuple[int, int] = (64, 48),
) -> bytes:
    """A real JPEG whose bytes (noise from ``seed``) differ per seed: no de-duplication."""
    rng = np.random.default_rng(seed)
    pixels = rng.integers(0, 255, (size[1], size[0], 3), dtype=np.uint8)
    return jpeg(pixels, exif=exif_for(taken, gps))


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def add(h: Harness, token: str, name: str, data: bytes) -> str:
    """Uploads one photo (not processed yet: call ``h.drain()``); returns the asset id."""
    return str(h.upload(token, name, data)["assetId"])


def ids(items: list[dict]) -> set[str]:
    return {i["id"] for i in items}
