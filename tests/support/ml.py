"""Pictures for the ML stages' tests, and uploading them through the harness."""

from __future__ import annotations

import io

import numpy as np
from PIL import Image

from chalicelib.pipeline import STAGES
from tests.support.harness import Harness


def jpeg_bytes(image: Image.Image | np.ndarray, quality: int = 90, scale: float = 1.0) -> bytes:
    picture = image if isinstance(image, Image.Image) else Image.fromarray(image)
    picture = picture.convert("RGB")
    if scale != 1.0:
        picture = picture.resize(
            (round(picture.width * scale), round(picture.height * scale)), Image.Resampling.LANCZOS
        )
    out = io.BytesIO()
    picture.save(out, "JPEG", quality=quality)
    return out.getvalue()


def upload_all(
    h: Harness, token: str, files: dict[str, bytes], stages: tuple[str, ...] | None = None
) -> dict[str, str]:
    """name -> asset id, after every stage (or those named) has run."""
    ids = {name: h.upload(token, f"{name}.jpg", data)["assetId"] for name, data in files.items()}
    h.drain(stages or tuple(s.name for s in STAGES))  # ML stages are optional: name them all
    return ids
