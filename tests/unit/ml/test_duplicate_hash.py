"""The duplicates stage hashes a 1/4-scale decode of the preview: the bits stay those of a
full-size decode (real photos), at a fraction of the decode."""

from __future__ import annotations

import io

import numpy as np
import pytest
from PIL import Image

from chalicelib.ml.imaging import open_for_models
from chalicelib.ml.perceptual_hash import hamming, perceptual_hash
from chalicelib.workers.duplicates import DECODE_MIN_SIDE


def preview(photo: np.ndarray) -> bytes:
    picture = Image.fromarray(photo).convert("RGB")
    picture = picture.resize((1440, round(1440 * picture.height / picture.width)))
    out = io.BytesIO()
    picture.save(out, "JPEG", quality=80)
    return out.getvalue()


@pytest.mark.parametrize("name", ["chelsea", "astronaut", "coffee", "rocket", "china", "flower"])
def test_the_small_decode_keeps_the_hash(photos, name: str) -> None:
    data = preview(photos[name])
    small = open_for_models(data, DECODE_MIN_SIDE)
    full = Image.open(io.BytesIO(data)).convert("RGB")
    assert small.width <= full.width // 4  # the decoder scaled: not a full decode
    assert hamming(perceptual_hash(small), perceptual_hash(full)) <= 3
