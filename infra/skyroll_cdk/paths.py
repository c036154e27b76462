"""Where things are in the repository, and which files go into Lambda code assets."""

from __future__ import annotations

from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]

# Docker-ignore syntax: exclude everything, then re-include what a function needs. Keeps
# the asset hash stable (no .venv, caches, cdk.out) and the zip small.
SOURCE_ALLOWLIST = [
    "*",
    "!chalicelib",
    "!functions",
    "**/__pycache__",
    "**/*.pyc",
]
# Container builds also need the pins to install the extras.
IMAGE_CONTEXT_ALLOWLIST = [*SOURCE_ALLOWLIST, "!pyproject.toml", "!README.md"]
# One ML image for faces, smart_search and the text encoder. Its build also copies what
# `make models` built (the offline pack, the face models) and trims the CLIP text graph
# (then stores its MatMul weights as int8).
ML_DOCKERFILE = "functions/smart_search/Dockerfile"
ML_MODULES = ("functions.faces.", "functions.smart_search.")
ML_IMAGE_CONTEXT_ALLOWLIST = [
    *IMAGE_CONTEXT_ALLOWLIST,
    ".skyroll/*",
    "!.skyroll/models/MANIFEST.json",
    "!.skyroll/models/offline",
    "!.skyroll/models/faces",
    "!scripts/models/clip_text_trim.py",
    "!scripts/models/clip_text_int8.py",
    # Each re-include above also re-includes its parents (`!.skyroll`) for CDK's "skip this
    # folder" test, so without these two its fingerprint walks all of .skyroll, where test
    # databases add and drop files (a vanished file fails a synth) and venvs are large.
    ".skyroll/[^m]*",
    ".skyroll/model-*",
]


def lambda_handler(handler: str) -> str:
    """pipeline "functions.ingest.handler:handler" -> Lambda "functions.ingest.handler.handler"."""
    module, _, function = handler.partition(":")
    if not module or not function:
        raise ValueError(f"handler {handler!r} is not 'module:function'")
    return f"{module}.{function}"


def dockerfile_for(handler: str) -> str:
    """The ML image for the ML handlers; else the Dockerfile next to a stage's handler if
    there is one, else the generic template (relative to the repo root, the build context)."""
    module = handler.partition(":")[0]
    if module.startswith(ML_MODULES):
        return ML_DOCKERFILE
    own = REPO_ROOT.joinpath(*module.split(".")).parent / "Dockerfile"
    if own.exists():
        return str(own.relative_to(REPO_ROOT))
    return "functions/_container/Dockerfile"


def image_context_allowlist(dockerfile: str) -> list[str]:
    return ML_IMAGE_CONTEXT_ALLOWLIST if dockerfile == ML_DOCKERFILE else IMAGE_CONTEXT_ALLOWLIST
