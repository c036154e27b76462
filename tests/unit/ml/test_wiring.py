"""Where models are found, how adapters are built, and what importing costs."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from chalicelib.ml import paths
from chalicelib.ml.factory import ModelsMissing, face_analyzer, image_text_encoder
from chalicelib.ml.paths import REPO_ROOT


def test_models_dir_defaults_to_the_gitignored_cache(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("SKYROLL_MODELS_DIR", raising=False)
    assert paths.models_dir() == REPO_ROOT / ".skyroll" / "models"
    monkeypatch.setenv("SKYROLL_MODELS_DIR", "/opt/skyroll-models")
    assert paths.models_dir() == Path("/opt/skyroll-models")


def test_missing_cache_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(ModelsMissing, match="make models"):
        image_text_encoder("offline", tmp_path)
    with pytest.raises(ModelsMissing, match="make models"):
        face_analyzer(tmp_path)
    with pytest.raises(ModelsMissing, match="path or S3 URI"):
        image_text_encoder("clip", tmp_path)
    with pytest.raises(ValueError, match="unknown encoder"):
        image_text_encoder("word2vec", tmp_path)  # type: ignore[arg-type]


def test_factory_builds_working_adapters(models_root: Path) -> None:
    encoder = image_text_encoder("offline", models_root, threads=1)
    assert encoder.embed_text("cat").shape == (encoder.dimension,)
    clip_dir = models_root / "clip-fixtures" / "ViT-Tiny__random-dynamic"
    clip = image_text_encoder("clip", models_root, clip_uri=str(clip_dir), threads=1)
    assert clip.model_id == "ViT-Tiny__random-dynamic" and clip.dimension == 64
    assert face_analyzer(models_root, threads=1).dimension == 128


def test_importing_ports_and_factory_loads_nothing_heavy() -> None:
    # `import app` must not pull numpy, PIL or onnxruntime: only the adapters may.
    code = (
        "import sys\n"
        "import chalicelib.ml.factory, chalicelib.ml.paths, chalicelib.ml.ports\n"
        "heavy = ('numpy', 'PIL', 'onnxruntime', 'tokenizers')\n"
        "print(sorted(m for m in heavy if m in sys.modules))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "[]"
