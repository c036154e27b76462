"""One model per process and configuration: loading takes seconds and the sessions are safe
to share (a warm Lambda, the local stack, and tests that build many containers)."""

from __future__ import annotations

import threading
from collections.abc import Callable, Hashable
from pathlib import Path
from typing import Any, cast

from chalicelib.ml.factory import EncoderKind
from chalicelib.ml.ports import FaceAnalyzer, ImageTextEncoder

_LOADED: dict[Hashable, object] = {}
_LOCK = threading.Lock()


def cached[T](key: Hashable, load: Callable[[], T]) -> T:
    """``load()``'s result, built once per ``key`` for the life of the process."""
    with _LOCK:
        if key not in _LOADED:
            _LOADED[key] = load()
        return cast(T, _LOADED[key])


def load_encoder(
    kind: EncoderKind, models_dir: Path, clip_uri: str, threads: int, s3: Any = None
) -> ImageTextEncoder:
    from chalicelib.ml.factory import image_text_encoder

    return cached(
        ("encoder", kind, str(models_dir), clip_uri, threads),
        lambda: image_text_encoder(kind, models_dir, clip_uri=clip_uri, s3=s3, threads=threads),
    )


def load_face_analyzer(
    models_dir: Path, min_score: float, min_size: float, threads: int
) -> FaceAnalyzer:
    def load() -> FaceAnalyzer:
        from chalicelib.ml.faces import FaceThresholds
        from chalicelib.ml.factory import face_analyzer

        analyzer = face_analyzer(models_dir, threads=threads)
        analyzer.thresholds = FaceThresholds(min_score=min_score, min_size=min_size)  # type: ignore[attr-defined]
        return analyzer

    return cached(("faces", str(models_dir), min_score, min_size, threads), load)
