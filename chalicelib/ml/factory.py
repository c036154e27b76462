"""Build the ML adapters from plain arguments; the composition root passes its settings in.

encoder = image_text_encoder("offline", models_root)                 # make dev, CI
encoder = image_text_encoder("clip", models_root, clip_uri="s3://bucket/models/ViT-B-32__openai",
                             s3=container.s3)                        # AWS
faces = face_analyzer(models_root)
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

from chalicelib.ml.paths import FACES_SUBDIR, OFFLINE_SUBDIR, is_complete
from chalicelib.ml.ports import FaceAnalyzer, ImageTextEncoder

EncoderKind = Literal["offline", "clip"]


class ModelsMissing(RuntimeError):
    """The model cache (or a CLIP folder) is not where the settings say."""


def image_text_encoder(
    kind: EncoderKind,
    models_root: Path,
    *,
    clip_uri: str = "",
    s3: Any = None,
    threads: int = 0,
) -> ImageTextEncoder:
    if kind == "offline":
        _require_cache(models_root)
        from chalicelib.ml.offline import OfflinePack

        return OfflinePack(models_root / OFFLINE_SUBDIR, threads=threads)
    if kind == "clip":
        if not clip_uri:
            raise ModelsMissing("the CLIP encoder needs a model folder path or S3 URI")
        from chalicelib.ml.clip import ClipPack

        return ClipPack.from_uri(clip_uri, s3=s3, threads=threads)
    raise ValueError(f"unknown encoder kind {kind!r}")


def face_analyzer(models_root: Path, threads: int = 0) -> FaceAnalyzer:
    _require_cache(models_root)
    from chalicelib.ml.faces import YuNetSFace

    return YuNetSFace(models_root / FACES_SUBDIR, threads=threads)


def _require_cache(models_root: Path) -> None:
    if not is_complete(models_root):
        raise ModelsMissing(f"no complete model cache at {models_root}: run `make models`")
