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


def lambda_handler(handler: str) -> str:
    """pipeline "functions.ingest.handler:handler" -> Lambda "functions.ingest.handler.handler"."""
    module, _, function = handler.partition(":")
    if not module or not function:
        raise ValueError(f"handler {handler!r} is not 'module:function'")
    return f"{module}.{function}"


def dockerfile_for(handler: str) -> str:
    """The Dockerfile next to a stage's handler if there is one, else the generic template
    (relative to the repo root, which is the build context)."""
    module = handler.partition(":")[0]
    own = REPO_ROOT.joinpath(*module.split(".")).parent / "Dockerfile"
    if own.exists():
        return str(own.relative_to(REPO_ROOT))
    return "functions/_container/Dockerfile"
