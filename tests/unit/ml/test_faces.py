"""YuNet + SFace on real portraits: same people match across years, others don't."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from chalicelib.ml.align import align_face
from chalicelib.ml.faces import SAME_PERSON_COSINE, FaceThresholds, YuNetSFace
from chalicelib.ml.ports import FaceAnalyzer


@pytest.fixture(scope="module")
def vectors(face_analyzer, portraits) -> dict[str, np.ndarray]:
    found = {}
    for name, image in portraits.items():
        faces = face_analyzer.analyze(image)
        assert len(faces) == 1, f"{name}: expected one face, got {len(faces)}"
        found[name] = faces[0].embedding
    return found


def test_it_is_a_face_analyzer(face_analyzer) -> None:
    assert isinstance(face_analyzer, FaceAnalyzer)
    assert face_analyzer.dimension == 128


@pytest.mark.parametrize("person", ["person_a", "person_b"])
def test_same_person_years_apart_matches(vectors, person: str) -> None:
    assert vectors[f"{person}_1"] @ vectors[f"{person}_2"] >= SAME_PERSON_COSINE


def test_different_people_do_not_match(vectors) -> None:
    names = sorted(vectors)
    for i, first in enumerate(names):
        for second in names[i + 1 :]:
            if first[:-2] == second[:-2] and first.startswith("person"):
                continue
            similarity = float(vectors[first] @ vectors[second])
            assert similarity < SAME_PERSON_COSINE, f"{first} ~ {second}: {similarity:.3f}"


def test_embeddings_are_unit_128d(vectors) -> None:
    for vector in vectors.values():
        assert vector.shape == (128,) and vector.dtype == np.float32
        assert abs(np.linalg.norm(vector) - 1.0) < 1e-5


def test_cat_and_coffee_have_no_faces(face_analyzer, photos) -> None:
    assert face_analyzer.analyze(photos["chelsea"]) == []
    assert face_analyzer.analyze(photos["coffee"]) == []


def test_geometry_is_in_image_pixels(face_analyzer, photos) -> None:
    (face,) = face_analyzer.analyze(photos["astronaut"])  # 512x512, face near the top middle
    x1, y1, x2, y2 = face.box
    assert 150 < x1 < x2 < 300 and 30 < y1 < y2 < 200, face.box
    assert 0.7 <= face.score <= 1.0
    right_eye, left_eye, nose, mouth_right, mouth_left = face.landmarks
    for x, y in face.landmarks:
        assert x1 <= x <= x2 and y1 <= y <= y2
    assert right_eye[0] < left_eye[0]  # the subject's right eye is on the image's left
    assert max(right_eye[1], left_eye[1]) < nose[1] < min(mouth_right[1], mouth_left[1])


def test_a_resized_photo_gives_the_same_face(face_analyzer, portraits) -> None:
    image = portraits["person_b_1"]
    (big,) = face_analyzer.analyze(image)
    half = image.resize((image.width // 2, image.height // 2), Image.Resampling.LANCZOS)
    (small,) = face_analyzer.analyze(half)
    np.testing.assert_allclose(np.array(small.box) * 2, big.box, atol=12)
    assert small.embedding @ big.embedding > 0.8


def test_a_face_cut_by_the_frame_gets_a_clipped_box(face_analyzer, portraits) -> None:
    image = portraits["person_b_1"]
    (whole,) = face_analyzer.analyze(image)
    x1, y1, x2, y2 = whole.box
    # Cut through the middle of the face: the detector still sees it, the box must stop
    # at the new left edge.
    cut = image.crop((round((x1 + x2) / 2) - 30, 0, image.width, image.height))
    faces = face_analyzer.analyze(cut)
    assert faces, "half a face should still be found"
    assert faces[0].box[0] >= 0 and faces[0].box[2] <= cut.width


def test_minimum_size_and_score_thresholds_filter(models_root, portraits) -> None:
    strict_size = YuNetSFace(models_root / "faces", FaceThresholds(min_size=10_000), threads=1)
    assert strict_size.analyze(portraits["person_a_2"]) == []
    strict_score = YuNetSFace(models_root / "faces", FaceThresholds(min_score=0.999), threads=1)
    assert strict_score.analyze(portraits["person_a_2"]) == []


def test_several_faces_in_one_picture(face_analyzer, portraits) -> None:
    # Three portraits side by side on one canvas: three faces, left to right, each matching
    # its source portrait.
    names = ["person_a_2", "person_b_2", "impostor_1"]
    tiles = [portraits[n].resize((400, 500)) for n in names]
    canvas = Image.new("RGB", (1200, 500))
    for i, tile in enumerate(tiles):
        canvas.paste(tile, (i * 400, 0))
    faces = sorted(face_analyzer.analyze(canvas), key=lambda f: f.box[0])
    assert len(faces) == 3
    for i, (name, face) in enumerate(zip(names, faces, strict=True)):
        assert i * 400 <= face.box[0] < (i + 1) * 400
        (alone,) = face_analyzer.analyze(tiles[i])
        assert face.embedding @ alone.embedding > 0.8, name


def test_matches_opencv_on_the_same_input(face_analyzer) -> None:
    """OpenCV's own YuNet/SFace pipeline on the same 640x640 canvas (reference recorded once
    with opencv-python-headless, see the fixture's "source"): same box, landmarks, score and
    aligned crop. Guards the decoding, the BGR order and the alignment convention."""
    import json

    import skimage.data

    fixtures = Path(__file__).parent / "fixtures"
    reference = json.loads((fixtures / "astronaut_opencv.json").read_text())
    canvas = np.zeros((640, 640, 3), dtype=np.uint8)
    canvas[:512, :512] = skimage.data.astronaut()
    picture = Image.fromarray(canvas)
    (detection,) = face_analyzer.detect(picture)
    x, y, w, h = reference["box_xywh"]
    np.testing.assert_allclose(detection.box, [x, y, x + w, y + h], atol=0.01)
    np.testing.assert_allclose(detection.landmarks.ravel(), reference["landmarks"], atol=0.01)
    assert abs(detection.score - reference["score"]) < 1e-4
    ours = np.asarray(align_face(picture, detection.landmarks), dtype=np.float32)
    theirs = np.asarray(Image.open(fixtures / "astronaut_aligned_opencv.png"), dtype=np.float32)
    assert np.abs(ours - theirs).mean() < 1.0  # rounding only; half a pixel off gives ~5


def test_reused_detector_tensor_matches_a_fresh_one(face_analyzer, portraits, photos) -> None:
    # detect() writes into the front of one buffer per thread, shaped for each picture
    # (544x640 for the tall one, 640x448 for the wide one): a picture must not see the
    # previous one's pixels in its padding, and the answers must not depend on order.
    tall, wide = portraits["person_a_1"], Image.fromarray(photos["coffee"])
    dirty = np.full(3 * 640 * 640, 7.0, dtype=np.float32)
    for image in (tall, wide, tall, wide):
        fresh, scale = face_analyzer.detector_input(image)
        reused, same_scale = face_analyzer.detector_input(image, out=dirty)
        assert np.shares_memory(reused, dirty) and same_scale == scale
        np.testing.assert_array_equal(reused, fresh)
    first = face_analyzer.analyze(tall)
    face_analyzer.analyze(wide)
    again = face_analyzer.analyze(tall)
    assert [f.box for f in again] == [f.box for f in first]
    np.testing.assert_array_equal(again[0].embedding, first[0].embedding)
