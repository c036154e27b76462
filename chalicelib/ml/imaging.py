"""Image preparation shared by the encoders (PIL + numpy only)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
from PIL import Image

if TYPE_CHECKING:
    from numpy.typing import NDArray

    from chalicelib.ml.ports import ImageLike


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
    """Shortest side to ``size``, then the centred square (what ImageNet and CLIP expect)."""
    width, height = image.size
    scale = size / min(width, height)
    new_w, new_h = max(size, round(width * scale)), max(size, round(height * scale))
    # reducing_gap: a cheap box pre-shrink of big photos first, as thumbnailers do.
    image = image.resize((new_w, new_h), resample, reducing_gap=3.0)
    left, top = (new_w - size) // 2, (new_h - size) // 2
    return image.crop((left, top, left + size, top + size))


def letterbox(image: Image.Image, size: int) -> tuple[NDArray[np.uint8], float]:
    """Fit inside ``size``x``size`` keeping the aspect ratio, pad bottom/right with black.

    Returns the padded RGB array and the scale (model pixels per image pixel).
    """
    width, height = image.size
    scale = min(size / width, size / height)
    new_w, new_h = max(1, round(width * scale)), max(1, round(height * scale))
    canvas = np.zeros((size, size, 3), dtype=np.uint8)
    canvas[:new_h, :new_w] = np.asarray(image.resize((new_w, new_h), Image.Resampling.BILINEAR))
    return canvas, scale
