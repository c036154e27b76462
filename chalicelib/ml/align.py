"""5-point face alignment to the 112x112 ArcFace template, in numpy + PIL (no OpenCV)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
from PIL import Image

if TYPE_CHECKING:
    from numpy.typing import NDArray

CROP_SIZE = 112
# Where eyes, nose tip and mouth corners sit in an ArcFace/SFace training crop.
ARCFACE_TEMPLATE = np.array(
    [
        [38.2946, 51.6963],
        [73.5318, 51.5014],
        [56.0252, 71.7366],
        [41.5493, 92.3655],
        [70.7299, 92.2041],
    ],
    dtype=np.float64,
)


def umeyama(src: NDArray[np.floating], dst: NDArray[np.floating]) -> NDArray[np.float64]:
    """Least-squares similarity transform (rotation, uniform scale, shift) mapping src to dst.

    Returns the 2x3 matrix. Umeyama (1991); the reflection guard keeps it a proper rotation.
    """
    src = np.asarray(src, dtype=np.float64)
    dst = np.asarray(dst, dtype=np.float64)
    src_mean, dst_mean = src.mean(axis=0), dst.mean(axis=0)
    src_c, dst_c = src - src_mean, dst - dst_mean
    covariance = dst_c.T @ src_c / len(src)
    u, singular, vt = np.linalg.svd(covariance)
    sign = np.ones(2)
    if np.linalg.det(u) * np.linalg.det(vt) < 0:
        sign[-1] = -1.0
    rotation = u @ np.diag(sign) @ vt
    variance = (src_c**2).sum() / len(src)
    scale = (singular * sign).sum() / variance if variance > 0 else 1.0
    shift = dst_mean - scale * rotation @ src_mean
    return np.hstack([scale * rotation, shift[:, None]])


def align_face(image: Image.Image, landmarks: NDArray[np.floating]) -> Image.Image:
    """The 112x112 RGB crop SFace expects, from the five detected landmarks."""
    matrix = umeyama(landmarks, ARCFACE_TEMPLATE)
    # PIL maps each output pixel back into the input: it wants the inverse transform.
    inverse = np.linalg.inv(np.vstack([matrix, [0.0, 0.0, 1.0]]))[:2]
    # PIL samples at pixel centres (x + 0.5), while landmarks and the template use pixel
    # indices (as OpenCV's warpAffine does). Shift so output index x reads input index
    # inverse(x): without this, crops drift by half a pixel per unit of scale.
    inverse[:, 2] += 0.5 - 0.5 * inverse[:, :2].sum(axis=1)
    return image.transform(
        (CROP_SIZE, CROP_SIZE),
        Image.Transform.AFFINE,
        tuple(inverse.ravel()),
        resample=Image.Resampling.BILINEAR,
    )


def magnification(landmarks: NDArray[np.floating]) -> float:
    """How much ``align_face`` enlarges this face (crop pixels per image pixel): above 1 the
    crop is interpolated, so a larger decode of the same picture would give it more detail."""
    matrix = umeyama(landmarks, ARCFACE_TEMPLATE)
    return float(np.sqrt(abs(np.linalg.det(matrix[:, :2]))))
