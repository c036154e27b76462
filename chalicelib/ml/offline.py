"""The offline image/text pack, built from weights that packages ship (``make models``).

No package ships joint image+text (CLIP) weights, so the image side goes through words:
EfficientNet-Lite0 names the ImageNet classes it sees, and the image vector is the
probability-weighted sentence embedding of its top labels ("a photo of a tabby cat", ...).
A text query is embedded by the same sentence model, so "cat" lands next to photos whose
labels are cats. ImageNet has no person class, so a face count from the face analyzer adds
a "person" term.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from chalicelib.ml.imaging import resize_center_crop, to_pil_rgb
from chalicelib.ml.paths import OFFLINE_SUBDIR, models_dir
from chalicelib.ml.sentence import SentenceEmbedder
from chalicelib.ml.session import l2_normalize, open_session

if TYPE_CHECKING:
    from numpy.typing import NDArray

    from chalicelib.ml.ports import ImageLike

MODEL_ID = "skyroll-offline-effnetlite0-minilm-v1"
IMAGE_SIZE = 224
TOP_K = 5
# Weight of the person term relative to the label mixture (whose weights sum to 1).
PERSON_WEIGHT = 1.0
BATCH = 16


class OfflinePack:
    """``ImageTextEncoder`` over the files in ``<models>/offline``."""

    def __init__(self, directory: Path | None = None, threads: int = 0) -> None:
        directory = directory or models_dir() / OFFLINE_SUBDIR
        self._classifier = open_session(directory / "classifier.onnx", threads)
        # One thread for the text model whatever ``threads`` says: it embeds one short
        # search query at a time, where handing each small operator to a pool costs more
        # than it saves, and far more when the cores are busy (docs/benchmarks.md, many
        # users: 9 ms on one thread against 46 ms on two at a load average of 12).
        self._text = SentenceEmbedder(directory / "text.onnx", directory / "tokenizer.json", 1)
        self._label_vectors = np.load(directory / "label_embeddings.npy").astype(np.float32)
        self._person_vector = np.load(directory / "person_embedding.npy").astype(np.float32)
        self.labels: list[str] = json.loads((directory / "labels.json").read_text())
        self._input = self._classifier.get_inputs()[0].name
        self._buffers = threading.local()  # sessions are shared by threads; tensors are not

    @property
    def model_id(self) -> str:
        return MODEL_ID

    @property
    def dimension(self) -> int:
        return int(self._label_vectors.shape[1])

    @property
    def uses_face_counts(self) -> bool:
        return True  # the classifier cannot see people: the face detector tells it

    @property
    def image_size(self) -> int:
        return IMAGE_SIZE

    @staticmethod
    def preprocess(image: ImageLike, out: NDArray[np.float32] | None = None) -> NDArray[np.float32]:
        """224x224 centre crop, (x - 127) / 128, CHW: the EfficientNet-Lite convention.

        Written into ``out`` (3x224x224) when given: a batch is filled in place.
        """
        pixels = np.asarray(resize_center_crop(to_pil_rgb(image), IMAGE_SIZE)).transpose(2, 0, 1)
        if out is None:
            out = np.empty(pixels.shape, np.float32)
        np.subtract(pixels, np.float32(127), out=out, dtype=np.float32)
        out *= np.float32(1 / 128)  # a power of two: the same floats as dividing
        return out

    def class_probabilities(self, images: Sequence[ImageLike]) -> NDArray[np.float32]:
        """(n, 1000) softmax over ImageNet classes."""
        buffer = getattr(self._buffers, "batch", None)
        if buffer is None:
            buffer = self._buffers.batch = np.empty((BATCH, 3, IMAGE_SIZE, IMAGE_SIZE), np.float32)
        rows = []
        for start in range(0, len(images), BATCH):
            chunk = images[start : start + BATCH]
            for i, image in enumerate(chunk):
                self.preprocess(image, out=buffer[i])
            rows.append(self.logits(buffer[: len(chunk)]))
        logits = np.concatenate(rows)
        logits -= logits.max(axis=1, keepdims=True)
        exp = np.exp(logits)
        return (exp / exp.sum(axis=1, keepdims=True)).astype(np.float32)

    def logits(self, batch: NDArray[np.float32]) -> NDArray[np.float32]:
        """The bare session call on a preprocessed batch (benchmarks compare against it)."""
        (logits,) = self._classifier.run(None, {self._input: batch})
        result: NDArray[np.float32] = logits
        return result

    def mix(self, probabilities: NDArray[np.float32], face_count: int = 0) -> NDArray[np.float32]:
        """One image's vector from its class probabilities."""
        top = np.argpartition(probabilities, -TOP_K)[-TOP_K:]
        weights = probabilities[top] / probabilities[top].sum()
        vector = weights @ self._label_vectors[top]
        if face_count > 0:
            vector = vector + PERSON_WEIGHT * self._person_vector
        return l2_normalize(vector)

    def embed_images(
        self, images: Sequence[ImageLike], face_counts: Sequence[int] | None = None
    ) -> NDArray[np.float32]:
        if face_counts is not None and len(face_counts) != len(images):
            raise ValueError("face_counts needs one entry per image")
        if not images:
            return np.zeros((0, self.dimension), dtype=np.float32)
        probabilities = self.class_probabilities(images)
        counts = face_counts or [0] * len(images)
        return np.stack([self.mix(p, c) for p, c in zip(probabilities, counts, strict=True)])

    def embed_text(self, text: str) -> NDArray[np.float32]:
        result: NDArray[np.float32] = self._text.embed([text])[0]
        return result

    def top_labels(self, image: ImageLike, k: int = 5) -> list[tuple[str, float]]:
        """For debugging and the admin UI: what the classifier sees."""
        probabilities = self.class_probabilities([image])[0]
        order = np.argsort(probabilities)[::-1][:k]
        return [(self.labels[i], float(probabilities[i])) for i in order]
