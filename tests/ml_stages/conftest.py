"""ML stages end to end: real photos through upload -> ingest -> thumbnail -> faces ->
smart_search / duplicates -> the API, on real PostgreSQL + pgvector and moto."""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from chalicelib.ml.paths import is_complete
from chalicelib.settings import Settings
from tests.pipeline.conftest import Harness, harness  # noqa: F401 - re-exported fixture


@pytest.fixture(scope="session")
def models_root() -> Path:
    root = Settings().models_dir
    if not is_complete(root):
        pytest.skip(f"model cache missing at {root}: run `make models`")
    return root


def jpeg_bytes(image: Image.Image | np.ndarray, quality: int = 90, scale: float = 1.0) -> bytes:
    picture = image if isinstance(image, Image.Image) else Image.fromarray(image)
    picture = picture.convert("RGB")
    if scale != 1.0:
        picture = picture.resize((round(picture.width * scale), round(picture.height * scale)),
                                 Image.Resampling.LANCZOS)
    out = io.BytesIO()
    picture.save(out, "JPEG", quality=quality)
    return out.getvalue()


@pytest.fixture(scope="session")
def photos(models_root: Path) -> dict[str, bytes]:
    """Real photos shipped in packages (scikit-image, scikit-learn via the model cache)."""
    import skimage.data

    found = {n: jpeg_bytes(getattr(skimage.data, n)()) for n in ("chelsea", "astronaut", "coffee")}
    for name in ("china", "flower"):
        found[name] = (models_root / "samples" / "photos" / f"{name}.jpg").read_bytes()
    return found


@pytest.fixture(scope="session")
def portraits(models_root: Path) -> dict[str, bytes]:
    """Public-domain portraits: person_a_* and person_b_* are one person each, years apart."""
    folder = models_root / "samples" / "faces"
    return {p.stem: p.read_bytes() for p in sorted(folder.glob("*.jpg"))}


def upload_all(h: Harness, token: str, files: dict[str, bytes]) -> dict[str, str]:
    """name -> asset id, after every stage has run."""
    ids = {name: h.upload(token, f"{name}.jpg", data)["assetId"] for name, data in files.items()}
    h.drain()
    return ids
