"""Where the built model cache lives (``make models`` fills it).

The only place that reads ``SKYROLL_MODELS_DIR``; the composition root will pass a
``models_dir`` setting instead once it has one, and everything else takes a path argument.
"""

from __future__ import annotations

import os
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]
DEFAULT_MODELS_DIR = REPO_ROOT / ".skyroll" / "models"

OFFLINE_SUBDIR = "offline"
FACES_SUBDIR = "faces"
CLIP_VOCAB_SUBDIR = "clip-vocab"
SAMPLES_SUBDIR = "samples"
COMPLETE_MARKER = "MANIFEST.json"


def models_dir() -> Path:
    configured = os.environ.get("SKYROLL_MODELS_DIR", "")
    return Path(configured) if configured else DEFAULT_MODELS_DIR


def is_complete(root: Path) -> bool:
    """True when a build finished: the manifest is written last."""
    return (root / COMPLETE_MARKER).is_file()
