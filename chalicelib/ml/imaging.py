"""Image preparation shared by the encoders (PIL + numpy only)."""

from __future__ import annotations

import io
import math
from collections.abc import Callable
from typing import TYPE_CHECKING

import numpy as np
from PIL import Image

if TYPE_CHECKING:
    from numpy.typing import NDArray

    from chalicelib.ml.ports import ImageLike


# PIL: box-reduce by floor(scale / gap) before the real filter; see resize_center_crop.
REDUCING_GAP = 1.0


def open_for_models(data: bytes, min_side: int = 640) -> Image.Image:
    """Decode an image (the preview JPEG) for the models, as small as they allow.

    JPEG ``draft`` decodes at 1/2, 1/4 or 1/8 scale in the decoder itself, far cheaper than
    decoding everything and resizing; it never goes below ``min_side`` on the short side.
    """
    return _open(data, lambda width, height: min_side / min(width, height))[0]


def open_scaled(data: bytes, long_side: float = math.inf) -> tuple[Image.Image, float]:
    """Decode as small as JPEG's own scaling allows while the long side stays at least
    ``long_side`` (the default: full size); and how many stored pixels one decoded pixel
    spans (1, 2, 4 or 8), to map coordinates back."""
    return _open(data, lambda width, height: long_side / max(width, height))


def _open(data: bytes, wanted: Callable[[int, int], float]) -> tuple[Image.Image, float]:
    image = Image.open(io.BytesIO(data))
    stored_width = image.width
    if image.format == "JPEG":
        width, height = image.size
        scale = max(wanted(width, height), 1 / 8)
        if scale < 1:  # (a 1 px side must not ask for 0: PIL would divide by it)
            image.draft("RGB", (max(1, round(width * scale)), max(1, round(height * scale))))
    image.load()  # decode now: a broken file fails here, not inside a model call
    picture = to_pil_rgb(image)
    # The decoder scales by exactly 1/2, 1/4 or 1/8 (rounding odd sides up).
    return picture, float(round(stored_width / picture.width))


def to_pil_rgb(image: ImageLike) -> Image.Image:
    if isinstance(image, Image.Image):
        return image if image.mode == "RGB" else image.convert("RGB")
    array = np.asarray(image)
    if array.ndim == 2:
        return Image.fromarray(array.astype(np.uint8), "L").convert("RGB")
    if array.ndim == 3 and array.shape[2] in (3, 4):
        return Image.fromarray(array[:, :, :3].astype(np.uint8), "RGB")
    raise ValueError(f"expected an HxW or HxWx3 image, got shape {array.shape}")


def resize_center_crop(
    image: Image.Image, size: int, resample: Image.Resampling = Image.Resampling.BICUBIC
) -> Image.Image:
    """The centred square, scaled to ``size`` (what ImageNet and CLIP models expect).

    Cropping through ``box`` resizes only the kept square, and ``reducing_gap=1`` first
    shrinks by the largest integer factor with a box filter (an average, so no aliasing):
    several times faster on 1440 px previews, and the rankings in tests/unit/ml do not move.
    """
    width, height = image.size
    side = min(width, height)
    left, top = (width - side) / 2, (height - side) / 2
    box = (left, top, left + side, top + side)
    return image.resize((size, size), resample, box=box, reducing_gap=REDUCING_GAP)


def fit_within(image: Image.Image, size: int) -> tuple[Image.Image, float]:
    """Scaled to fit inside ``size``x``size`` keeping the aspect ratio; and the scale used
    (model pixels per image pixel).

    A detector needs no fine resampling: an integer box reduction (which averages, so no
    aliasing) and a nearest-neighbour step for the remaining < 2x cost a third of a bilinear
    resize.
    """
    width, height = image.size
    scale = min(size / width, size / height)
    new_w, new_h = max(1, round(width * scale)), max(1, round(height * scale))
    factor = int(1 / scale)
    if factor >= 2:
        image = image.reduce(factor)
    return image.resize((new_w, new_h), Image.Resampling.NEAREST), scale


def letterbox(image: Image.Image, size: int) -> tuple[NDArray[np.uint8], float]:
    """``fit_within`` padded bottom/right with black to ``size``x``size``: the RGB array and
    the scale."""
    fitted, scale = fit_within(image, size)
    canvas = np.zeros((size, size, 3), dtype=np.uint8)
    canvas[: fitted.height, : fitted.width] = np.asarray(fitted)
    return canvas, scale
