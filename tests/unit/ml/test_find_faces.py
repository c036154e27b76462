"""The faces stage's decode plan (``workers.faces.find_faces``): the detector gets the preview
at 1/2 scale; only faces too small there for the identity crop get the full-size decode, and
a person's crop thumbnail (``write_crops``) decodes in full only when it needs the pixels.
Real models, real JPEG decoding; the container is a stand-in that only carries the analyzer
and the size threshold."""

from __future__ import annotations

import io
from types import SimpleNamespace

import numpy as np
import pytest
from PIL import Image

from chalicelib.media.errors import MediaError
from chalicelib.ml import face_crops, imaging
from chalicelib.services.system_config import defaults
from chalicelib.settings import Settings
from chalicelib.workers import faces as stage
from chalicelib.workers import previews

PREVIEW = (1440, 960)


def preview_with(portrait: Image.Image | None, face_height: int = 0) -> bytes:
    """A 1440x960 preview JPEG: a grey backdrop with the portrait scaled to ``face_height``
    pixels tall (the sample portraits are mostly face) in the middle."""
    canvas = Image.new("RGB", PREVIEW, (120, 130, 125))
    if portrait is not None:
        scale = face_height / portrait.height
        small = portrait.resize((round(portrait.width * scale), face_height), Image.LANCZOS)
        canvas.paste(small, ((PREVIEW[0] - small.width) // 2, (PREVIEW[1] - small.height) // 2))
    out = io.BytesIO()
    canvas.save(out, "JPEG", quality=85)
    return out.getvalue()


@pytest.fixture
def container(face_analyzer):
    config = defaults(Settings())
    return SimpleNamespace(
        face_analyzer=face_analyzer,
        settings=SimpleNamespace(face_min_size=24),
        system_config=SimpleNamespace(get=lambda: config),
    )


@pytest.fixture
def decodes(monkeypatch) -> list[tuple[int, int]]:
    """The size of every decode find_faces makes."""
    made: list[tuple[int, int]] = []
    real = imaging.open_scaled

    def spy(data: bytes, long_side: float = np.inf) -> tuple[Image.Image, float]:
        image, factor = real(data, long_side)
        made.append(image.size)
        return image, factor

    monkeypatch.setattr(imaging, "open_scaled", spy)
    return made


def test_a_photo_without_faces_is_decoded_once_at_half_size(container, decodes, photos) -> None:
    out = io.BytesIO()
    Image.fromarray(photos["coffee"]).resize(PREVIEW).save(out, "JPEG", quality=85)
    image, found = stage.find_faces(container, out.getvalue())
    assert found == []
    assert decodes == [(720, 480)]
    assert image.size == (720, 480)


def test_a_large_face_is_read_from_the_half_size_decode(
    container, decodes, face_analyzer, portraits
) -> None:
    data = preview_with(portraits["person_b_1"], face_height=900)
    image, (face,) = stage.find_faces(container, data)
    assert decodes == [(720, 480)] and image.size == (720, 480)
    (full,) = face_analyzer.analyze(Image.open(io.BytesIO(data)).convert("RGB"))
    np.testing.assert_allclose(np.array(face.box) * 2, full.box, atol=16)
    assert face.embedding @ full.embedding > 0.9  # the same face, read from fewer pixels


def test_a_small_face_gets_the_full_size_decode(
    container, decodes, face_analyzer, portraits
) -> None:
    data = preview_with(portraits["person_b_1"], face_height=200)
    image, (face,) = stage.find_faces(container, data)
    assert decodes == [(720, 480), PREVIEW] and image.size == PREVIEW
    (full,) = face_analyzer.analyze(Image.open(io.BytesIO(data)).convert("RGB"))
    # Coordinates are in the full decode's pixels; the vector comes from its pixels too.
    np.testing.assert_allclose(face.box, full.box, atol=6)
    assert face.embedding @ full.embedding > 0.99


def test_the_size_threshold_is_in_preview_pixels(container, portraits) -> None:
    data = preview_with(portraits["person_b_1"], face_height=200)
    (face,) = stage.find_faces(container, data)[1]
    side = min(face.width, face.height)  # preview pixels: the full decode was used
    container.settings.face_min_size = side - 10
    assert len(stage.find_faces(container, data)[1]) == 1
    container.settings.face_min_size = side + 10
    assert stage.find_faces(container, data)[1] == []


def test_needs_detail_follows_the_identity_crop(face_analyzer, portraits) -> None:
    picture = portraits["person_b_1"]  # 716x900, one face over most of it
    (big,) = face_analyzer.detect(picture)
    assert not stage.needs_detail(big)
    assert stage.needs_detail(big.scaled(0.1))  # ~60 px: SFace's crop would be interpolated


class CropSink:
    """What write_crops touches: the store's PUTs and the rows' crop keys."""

    def __init__(self) -> None:
        self.settings = SimpleNamespace(io_threads=1)
        self.objects: dict[str, bytes] = {}
        self.keys: dict = {}
        self.store = SimpleNamespace(put=lambda key, data, _type: self.objects.update({key: data}))
        self.face_repo = SimpleNamespace(set_thumbnails=self.keys.update)


def crop_of(container, data: bytes, decodes) -> tuple[Image.Image, list]:
    image, (face,) = stage.find_faces(container, data)
    found = list(decodes)
    sink = CropSink()
    asset = {"id": "asset-1", "owner_id": "user-1"}
    stage.write_crops(sink, asset, data, image, {"face-1": face})
    ((key, blob),) = sink.objects.items()
    assert sink.keys == {"face-1": key} and key.endswith("/faces/face-1.jpeg")
    return Image.open(io.BytesIO(blob)), found


def test_a_mid_size_face_is_found_at_half_size_and_cropped_from_the_full_decode(
    container, decodes, portraits
) -> None:
    # ~90 px wide at half size: enough for SFace (no second decode to find it), too few for the
    # 250 px thumbnail of its padded box (~230 px there).
    data = preview_with(portraits["person_b_1"], face_height=600)
    crop, found = crop_of(container, data, decodes)
    assert found == [(720, 480)]
    assert decodes == [(720, 480), PREVIEW]  # the full decode came for the thumbnail only
    assert crop.size == (face_crops.CROP_SIZE, face_crops.CROP_SIZE)


def test_a_crop_from_a_full_decode_decodes_nothing_more(container, decodes, portraits) -> None:
    data = preview_with(portraits["person_b_1"], face_height=200)  # found in the full decode
    crop, found = crop_of(container, data, decodes)
    assert found == [(720, 480), PREVIEW] and decodes == found
    assert max(crop.size) < face_crops.CROP_SIZE  # the face has fewer pixels than that anyway


def test_a_preview_that_does_not_decode_is_the_files_fault(container) -> None:
    data = preview_with(None)
    with pytest.raises(MediaError, match="cannot be decoded"):
        stage.find_faces(container, data[: len(data) // 3])


def test_the_crop_thumbnail_is_the_padded_face(container, portraits) -> None:
    data = preview_with(portraits["person_b_1"], face_height=900)
    image, (face,) = stage.find_faces(container, data)
    crop = Image.open(io.BytesIO(face_crops.crop_jpeg(image, face)))
    box = face_crops.crop_box(face, image.width, image.height)
    assert crop.format == "JPEG" and crop.size == (face_crops.CROP_SIZE, face_crops.CROP_SIZE)
    expected = image.crop(box).resize(crop.size, Image.Resampling.LANCZOS)
    difference = np.abs(np.asarray(crop, float) - np.asarray(expected, float)).mean()
    assert difference < 4, difference  # the same pixels, up to JPEG noise


def test_a_one_pixel_high_preview_has_no_faces_and_no_crash(container) -> None:
    out = io.BytesIO()
    Image.new("RGB", (1440, 1), (90, 90, 90)).save(out, "JPEG")
    image, found = stage.find_faces(container, out.getvalue())
    assert found == [] and image.height == 1


def test_an_odd_sized_preview_scales_by_exactly_two(container, portraits) -> None:
    out = io.BytesIO()
    Image.new("RGB", (1441, 961), (120, 130, 125)).save(out, "JPEG")
    image, factor = previews.decode(out.getvalue(), 640)
    assert image.size == (721, 481) and factor == 2.0


def test_the_crop_box_is_exactly_square(portraits, face_analyzer) -> None:
    (face,) = face_analyzer.analyze(portraits["person_b_1"])
    for shift in (0.0, 0.3, 0.5, 0.7):
        moved = type(face)(
            box=tuple(v + shift for v in face.box),  # type: ignore[arg-type]
            landmarks=face.landmarks,
            score=face.score,
            embedding=face.embedding,
        )
        left, top, right, bottom = face_crops.crop_box(moved, 716, 900)
        assert right - left == bottom - top and left >= 0 and right <= 716 and bottom <= 900
