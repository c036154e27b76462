"""Duplicates stage: a 64-bit DCT perceptual hash of the preview, and the asset joins the
group of its near-duplicates (Hamming distance <= ``duplicate_max_distance``).

Why not the smart-search vectors: the offline pack's image vector is a mixture of label
embeddings, so two different photos of a cat are as close as a photo and its copy. The DCT
hash keeps the picture's coarse layout: a resized or re-encoded copy (and a burst frame)
differs by a few bits out of 64, a different photo of the same subject by ~20 or more
(tests/ml_stages/test_duplicates.py shows both). An exact copy never gets here: uploads are
de-duplicated by checksum.
"""

from __future__ import annotations

from functools import lru_cache
from typing import TYPE_CHECKING, Any

from chalicelib.workers import previews, stage
from chalicelib.workers.faces import load_preview

if TYPE_CHECKING:
    import numpy as np
    from numpy.typing import NDArray
    from PIL.Image import Image

STAGE = "duplicates"
HASH_SIDE = 32  # the picture is reduced to 32x32 grey before the DCT
KEEP = 8  # the 8x8 lowest frequencies make the 64 bits
# The hash needs 32x32: decode the preview at 1/4 (JPEG draft) instead of in full. 2.7 instead
# of 10.8 ms a 1440 px preview; 0-2 of the 64 bits differ from a full-size decode.
DECODE_MIN_SIDE = HASH_SIDE * 4


def handle(body: str, container: Any) -> None:
    stage.run(body, container, STAGE, work)


def handle_batch(bodies: list[str], container: Any) -> list[Exception | None]:
    """The Lambda's whole SQS batch: the previews' GETs start together (the hash itself takes
    a few ms: the requests are most of the wall time), one statement set for the batch's
    stage rows, each asset hashed and grouped on its own."""
    with previews.prefetched(container, bodies):
        return stage.run_each(bodies, container, STAGE, work)


def work(asset: dict[str, Any], c: Any) -> None:
    bits = perceptual_hash(load_preview(c, asset["id"], min_side=DECODE_MIN_SIDE))
    c.duplicate_repo.save_and_group(
        asset["id"], asset["owner_id"], bits, c.settings.duplicate_max_distance
    )


@lru_cache(maxsize=1)
def _dct_matrix() -> NDArray[np.float64]:
    import numpy as np

    n = np.arange(HASH_SIDE)
    matrix = np.sqrt(2 / HASH_SIDE) * np.cos(
        np.pi * (2 * n[None, :] + 1) * n[:, None] / (2 * HASH_SIDE)
    )
    matrix[0] /= np.sqrt(2)
    return matrix


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
