"""A 64-bit DCT perceptual hash of a picture, and the Hamming distance between two.

The DCT hash keeps the picture's coarse layout: a resized or re-encoded copy (and a burst
frame) differs by a few bits out of 64, a different photo of the same subject by ~20 or more.
"""

from __future__ import annotations

from functools import lru_cache
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import numpy as np
    from numpy.typing import NDArray
    from PIL.Image import Image

HASH_SIDE = 32  # the picture is reduced to 32x32 grey before the DCT
KEEP = 8  # the 8x8 lowest frequencies make the 64 bits


@lru_cache(maxsize=1)
def _dct_matrix() -> NDArray[np.float64]:
    import numpy as np

    n = np.arange(HASH_SIDE)
    matrix = np.sqrt(2 / HASH_SIDE) * np.cos(
        np.pi * (2 * n[None, :] + 1) * n[:, None] / (2 * HASH_SIDE)
    )
    matrix[0] /= np.sqrt(2)
    result: NDArray[np.float64] = matrix
    return result


def perceptual_hash(image: Image) -> str:
    """64 characters of 0/1: each low-frequency DCT coefficient above the median or not.

    Only the lowest frequencies survive resizing and JPEG re-encoding; comparing with the
    median (not the mean) keeps the hash balanced whatever the picture's brightness.
    """
    import numpy as np
    from PIL import Image as PilImage

    grey = image.convert("L").resize((HASH_SIDE, HASH_SIDE), PilImage.Resampling.LANCZOS)
    pixels = np.asarray(grey, dtype=np.float64)
    dct = _dct_matrix()
    low = (dct @ pixels @ dct.T)[:KEEP, :KEEP].ravel()
    median = np.median(low[1:])  # the DC term is the mean brightness: not a shape
    return "".join("1" if v > median else "0" for v in low)


def hamming(a: str, b: str) -> int:
    return sum(x != y for x, y in zip(a, b, strict=True))
