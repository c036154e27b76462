"""Pure numpy parts of the face pipeline: alignment, YuNet decoding, NMS, letterboxing."""

from __future__ import annotations

import numpy as np
from PIL import Image

from chalicelib.ml.align import ARCFACE_TEMPLATE, CROP_SIZE, align_face, umeyama
from chalicelib.ml.faces import decode, nms
from chalicelib.ml.imaging import letterbox, resize_center_crop


def test_umeyama_recovers_a_similarity_transform() -> None:
    angle, scale, shift = np.deg2rad(17), 2.5, np.array([30.0, -12.0])
    rotation = np.array([[np.cos(angle), -np.sin(angle)], [np.sin(angle), np.cos(angle)]])
    source = ARCFACE_TEMPLATE
    target = scale * source @ rotation.T + shift
    matrix = umeyama(source, target)
    np.testing.assert_allclose(matrix[:, :2], scale * rotation, atol=1e-9)
    np.testing.assert_allclose(matrix[:, 2], shift, atol=1e-9)


def test_align_face_puts_landmarks_on_the_template() -> None:
    # A white dot at each landmark of a rotated, scaled, shifted face: after alignment the
    # dots must sit on ArcFace's template points.
    angle, scale = np.deg2rad(-25), 3.0
    rotation = np.array([[np.cos(angle), -np.sin(angle)], [np.sin(angle), np.cos(angle)]])
    landmarks = scale * ARCFACE_TEMPLATE @ rotation.T + np.array([150.0, 120.0])
    pixels = np.zeros((600, 600, 3), dtype=np.uint8)
    for x, y in landmarks.round().astype(int):
        pixels[y - 4 : y + 5, x - 4 : x + 5] = 255
    crop = np.asarray(align_face(Image.fromarray(pixels), landmarks))
    assert crop.shape == (CROP_SIZE, CROP_SIZE, 3)
    for x, y in ARCFACE_TEMPLATE.round().astype(int):
        assert crop[y, x].min() > 200, (x, y)
    assert crop.mean() < 40  # only the dots are bright


def test_align_face_samples_at_pixel_indices() -> None:
    # Landmarks at twice the template: output pixel (x, y) must read input pixel (2x, 2y),
    # as OpenCV's warpAffine does. A float image whose values are their own x (or y) index
    # makes bilinear sampling exact, so a half-pixel convention slip shows as a 0.5 error.
    ramp = np.arange(256, dtype=np.float32)
    for values, axis in ((np.tile(ramp, (256, 1)), 1), (np.tile(ramp[:, None], (1, 256)), 0)):
        crop = np.asarray(align_face(Image.fromarray(values, mode="F"), ARCFACE_TEMPLATE * 2))
        expected = 2.0 * np.arange(CROP_SIZE, dtype=np.float32)
        expected = expected[None, :] if axis == 1 else expected[:, None]
        inner = slice(1, -1)  # the outermost ring blends with the out-of-image fill
        np.testing.assert_allclose(
            crop[inner, inner], np.broadcast_to(expected, crop.shape)[inner, inner], atol=1e-3
        )


def _grid_outputs(size: int) -> dict[str, np.ndarray]:
    outputs = {}
    for stride in (8, 16, 32):
        cells = (size // stride) ** 2
        outputs[f"cls_{stride}"] = np.zeros((1, cells, 1), np.float32)
        outputs[f"obj_{stride}"] = np.zeros((1, cells, 1), np.float32)
        outputs[f"bbox_{stride}"] = np.zeros((1, cells, 4), np.float32)
        outputs[f"kps_{stride}"] = np.zeros((1, cells, 10), np.float32)
    return outputs


def test_decode_turns_a_cell_into_a_box() -> None:
    size, stride, col, row = 640, 16, 10, 4
    outputs = _grid_outputs(size)
    cell = row * (size // stride) + col
    outputs["cls_16"][0, cell] = 0.81
    outputs["obj_16"][0, cell] = 1.0
    outputs["bbox_16"][0, cell] = [0.5, 0.5, np.log(4), np.log(2)]  # centre offset, 4x2 strides
    outputs["kps_16"][0, cell] = [0.0, 1.0] * 5
    boxes, points, scores = decode(outputs, size, min_score=0.5)
    assert scores.tolist() == [np.float32(0.9)]  # sqrt(0.81 * 1.0)
    cx, cy = (col + 0.5) * stride, (row + 0.5) * stride
    np.testing.assert_allclose(boxes[0], [cx - 32, cy - 16, cx + 32, cy + 16], atol=1e-4)
    np.testing.assert_allclose(points[0], [[col * stride, (row + 1) * stride]] * 5, atol=1e-4)
    assert decode(outputs, size, min_score=0.95)[2].size == 0


def test_nms_keeps_the_best_of_overlapping_boxes() -> None:
    boxes = np.array([[0, 0, 10, 10], [1, 1, 11, 11], [50, 50, 60, 60]], dtype=np.float32)
    scores = np.array([0.8, 0.9, 0.7], dtype=np.float32)
    assert nms(boxes, scores, iou=0.3) == [1, 2]
    assert nms(boxes, scores, iou=0.9) == [1, 0, 2]


def test_letterbox_keeps_aspect_and_pads_bottom_right() -> None:
    image = Image.new("RGB", (320, 160), (200, 100, 50))
    canvas, scale = letterbox(image, 640)
    assert scale == 2.0 and canvas.shape == (640, 640, 3)
    assert canvas[:320].reshape(-1, 3).min(axis=0).tolist() == [200, 100, 50]
    assert canvas[320:].max() == 0


def test_resize_center_crop_takes_the_middle() -> None:
    pixels = np.zeros((100, 300, 3), dtype=np.uint8)
    pixels[:, 100:200] = 255  # the middle third is white
    crop = np.asarray(resize_center_crop(Image.fromarray(pixels), 50))
    assert crop.shape == (50, 50, 3) and crop[5:-5, 5:-5].min() > 250


def test_open_for_models_decodes_jpeg_small_but_not_too_small() -> None:
    import io

    from chalicelib.ml.imaging import open_for_models

    pixels = np.zeros((1440, 2160, 3), dtype=np.uint8)
    pixels[:, 1080:] = (200, 30, 30)  # right half red
    buffer = io.BytesIO()
    Image.fromarray(pixels).save(buffer, "JPEG", quality=90)
    image = open_for_models(buffer.getvalue(), min_side=640)
    assert image.mode == "RGB" and image.size == (1080, 720)  # 1/2 scale: 720 >= 640
    assert np.abs(np.asarray(image, dtype=int)[360, 800] - [200, 30, 30]).max() < 8
    png = io.BytesIO()
    Image.fromarray(pixels).save(png, "PNG")
    assert open_for_models(png.getvalue()).size == (2160, 1440)  # only JPEG has a draft mode
