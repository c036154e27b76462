"""The two ML ports. Stages and search depend on these Protocols, never on a model."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol, runtime_checkable

if TYPE_CHECKING:
    import numpy as np
    from numpy.typing import NDArray
    from PIL.Image import Image

    # An RGB picture: a PIL image (any mode, converted to RGB) or an HxWx3 uint8 array.
    ImageLike = Image | NDArray[np.uint8]


@runtime_checkable
class ImageTextEncoder(Protocol):
    """Embeds images and texts into one space where cosine similarity means relevance."""

    @property
    def model_id(self) -> str:
        """Stored next to every embedding: vectors of different models are never compared."""
        ...

    @property
    def dimension(self) -> int: ...

    @property
    def image_size(self) -> int:
        """The side of the square the model sees: callers may decode images down to it."""
        ...

    @property
    def uses_face_counts(self) -> bool:
        """Whether ``embed_images`` reads ``face_counts`` (callers skip the lookup if not)."""
        ...

    def embed_images(
        self, images: Sequence[ImageLike], face_counts: Sequence[int] | None = None
    ) -> NDArray[np.float32]:
        """(n, dimension) float32, each row L2-normalised.

        ``face_counts`` (one per image) lets an encoder that cannot see people itself
        use the face detector's answer; encoders that can (CLIP) ignore it.
        """
        ...

    def embed_text(self, text: str) -> NDArray[np.float32]:
        """(dimension,) float32, L2-normalised."""
        ...


@dataclass(frozen=True, slots=True)
class Detection:
    """A face the detector found, before its identity vector: pixel coordinates of the image
    it was found in."""

    box: NDArray[np.float32]  # x1, y1, x2, y2
    landmarks: NDArray[np.float32]  # (5, 2): right eye, left eye, nose, mouth right, left
    score: float

    def scaled(self, factor: float) -> Detection:
        """The same face in an image ``factor`` times larger (the picture decoded bigger)."""
        return Detection(self.box * factor, self.landmarks * factor, self.score)

    def within(self, width: int, height: int) -> Detection:
        """The box clipped to a ``width`` x ``height`` picture (landmarks as predicted)."""
        box = self.box.clip(0, [width, height, width, height]).astype(self.box.dtype)
        return Detection(box, self.landmarks, self.score)


@dataclass(frozen=True, slots=True)
class Face:
    """One detected face, in pixel coordinates of the analysed image."""

    box: tuple[float, float, float, float]  # x1, y1, x2, y2
    landmarks: tuple[tuple[float, float], ...]  # right eye, left eye, nose, mouth right, left
    score: float
    embedding: NDArray[np.float32]  # (128,) L2-normalised

    @property
    def width(self) -> float:
        return self.box[2] - self.box[0]

    @property
    def height(self) -> float:
        return self.box[3] - self.box[1]


@runtime_checkable
class FaceAnalyzer(Protocol):
    @property
    def model_id(self) -> str: ...

    @property
    def dimension(self) -> int: ...

    def detect(
        self, image: ImageLike, min_size: float | None = None, min_score: float | None = None
    ) -> list[Detection]:
        """Faces above ``min_score`` and ``min_size`` pixels of ``image`` (defaults: the
        analyzer's own thresholds), best first."""
        ...

    def describe(self, image: ImageLike, detections: Sequence[Detection]) -> list[Face]:
        """Each detection with its identity vector, read from ``image``: the detections must be
        in its pixels (``Detection.scaled`` when it was found in a smaller decode)."""
        ...

    def analyze(self, image: ImageLike) -> list[Face]:
        """``describe(image, detect(image))``."""
        ...
