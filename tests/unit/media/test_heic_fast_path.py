"""HEIC derivatives: decoded without copying the pixels, shrunk before the colour transform.
The result must be the picture the full-size path makes: same sizes, same orientation, the
same pixels to within what a colour transform on fewer pixels changes."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from chalicelib.media.decode import Box, orient, to_srgb8
from chalicelib.media.probe import probe_image
from chalicelib.media.sniff import sniff
from chalicelib.media.thumbnails import (
    PREVIEW,
    Thumbnails,
    box_for,
    generate_thumbnails,
    thumbnails_from_image,
)
from tests.support.samples import CAMERA_SAMPLES
from tests.unit.media.test_camera_files import with_exif_orientation


def full_size_path(data: bytes) -> Thumbnails:
    """The straightforward path: the whole picture as an array, the ICC transform on all of
    it, then the shrink."""
    import pillow_heif
    import pyvips

    media_type = sniff(data)
    header = probe_image(data, media_type)
    width, height = header.width, header.height
    if header.orientation >= 5:
        width, height = height, width
    box = box_for(PREVIEW, width, height)
    stored = box if header.orientation < 5 else Box(box.height, box.width)
    heif = pillow_heif.open_heif(data, convert_hdr_to_8bit=True)
    image = pyvips.Image.new_from_array(np.asarray(heif), interpretation="srgb")
    icc = heif.info.get("icc_profile")
    if icc:
        image = image.copy()
        image.set_type(pyvips.GValue.blob_type, "icc-profile-data", icc)
        image = image.icc_transform("srgb", embedded=True, input_profile="srgb")
    image = image.thumbnail_image(stored.width, height=stored.height, size="down")
    image = to_srgb8(orient(image, header.orientation)).copy_memory()
    return thumbnails_from_image(image)


def pixels(jpeg_or_webp: bytes) -> np.ndarray:
    import pyvips

    return pyvips.Image.new_from_buffer(jpeg_or_webp, "").numpy().astype(float)


@pytest.mark.parametrize(
    "name",
    ["iphone11pro-irot.heic", "samplefilehub-no-irot.heif", "exif-6:samplefilehub-no-irot.heif"],
)
def test_the_fast_path_makes_the_full_size_paths_picture(name: str) -> None:
    turned, _, file = name.rpartition(":")
    data = (CAMERA_SAMPLES / file).read_bytes()
    if turned:
        data = with_exif_orientation(data, 6)

    fast, reference = generate_thumbnails(data), full_size_path(data)

    for got, want in ((fast.preview, reference.preview), (fast.thumbnail, reference.thumbnail)):
        assert (got.width, got.height) == (want.width, want.height)
        # Orientation: a turned or mirrored picture would differ by far more than this.
        assert np.abs(pixels(got.data) - pixels(want.data)).mean() < 2.0
    assert fast.thumbhash == reference.thumbhash or _close_hashes(fast, reference)


def test_the_iphone_photo_is_portrait_at_preview_size() -> None:
    data = Path(CAMERA_SAMPLES / "iphone11pro-irot.heic").read_bytes()
    thumbs = generate_thumbnails(data)
    assert (thumbs.preview.width, thumbs.preview.height) == (1080, 1440)  # 3024 x 4032 upright
    assert thumbs.thumbnail.width == 250 and thumbs.thumbnail.height == 333


def _close_hashes(a: Thumbnails, b: Thumbnails) -> bool:
    import base64

    x, y = base64.b64decode(a.thumbhash), base64.b64decode(b.thumbhash)
    return len(x) == len(y) and sum(p != q for p, q in zip(x, y, strict=True)) <= len(x) // 4
