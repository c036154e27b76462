"""The Python source the zip functions and the API ship, staged with its bytecode.

Lambda's task root is read-only, so Python cannot cache what it compiles there: without
.pyc files in the package, every cold start compiles every module of chalicelib it
imports (~150 ms of the API's). The stage is app.py, .chalice/, chalicelib/ and functions/
copied to ``.skyroll/code/<hash>/`` and compiled as unchecked-hash .pyc files (valid
whatever the zip does to mtimes; the hash of the sources names the directory, so a
change of any source is a new stage and a new asset).
"""

from __future__ import annotations

import compileall
import hashlib
import os
import shutil
import sys
import time
from pathlib import Path
from py_compile import PycInvalidationMode

from .paths import REPO_ROOT

STAGE_DIR = REPO_ROOT / ".skyroll" / "code"
PACKAGES = ("chalicelib", "functions")
FILES = ("app.py", ".chalice/config.json")
LAMBDA_PYTHON = (3, 12)


def _sources() -> list[Path]:
    found = [REPO_ROOT / f for f in FILES]
    for package in PACKAGES:
        for path in sorted((REPO_ROOT / package).rglob("*")):
            if path.is_file() and "__pycache__" not in path.parts and path.suffix != ".pyc":
                found.append(path)
    return found


def staged_source() -> Path:
    """The staged directory (built once per version of the sources)."""
    sources = _sources()
    digest = hashlib.sha256(repr(sys.version_info[:2]).encode())
    for path in sources:
        digest.update(str(path.relative_to(REPO_ROOT)).encode() + b"\0" + path.read_bytes())
    target = STAGE_DIR / digest.hexdigest()[:16]
    if (target / ".complete").exists():
        return target
    # Built aside and renamed into place: two synths at once (test workers) never see a
    # half-copied stage, and the loser of the rename drops its copy.
    staging = STAGE_DIR / f".{target.name}-{os.getpid()}"
    shutil.rmtree(staging, ignore_errors=True)
    for path in sources:
        copy = staging / path.relative_to(REPO_ROOT)
        copy.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(path, copy)
    # Bytecode is per Python version: only a 3.12 synth (make synth's venv) can make the
    # runtime's. Another interpreter ships the sources alone, as before.
    if sys.version_info[:2] == LAMBDA_PYTHON:
        for package in PACKAGES:
            compileall.compile_dir(
                staging / package,
                quiet=1,
                invalidation_mode=PycInvalidationMode.UNCHECKED_HASH,
            )
        compileall.compile_file(
            staging / "app.py", quiet=1, invalidation_mode=PycInvalidationMode.UNCHECKED_HASH
        )
    (staging / ".complete").touch()
    if target.exists() and not (target / ".complete").exists():
        shutil.rmtree(target, ignore_errors=True)  # left half-made by an interrupted synth
    _forget_old(keep=target)
    try:
        staging.rename(target)
    except OSError:  # another synth put the same stage in place first
        shutil.rmtree(staging, ignore_errors=True)
    return target


def _forget_old(keep: Path, hours: float = 1.0) -> None:
    """Stages of earlier sources (an hour old: not one a running synth still zips)."""
    cutoff = time.time() - hours * 3600
    for stage in STAGE_DIR.iterdir():
        if stage != keep and not stage.name.startswith(".") and stage.stat().st_mtime < cutoff:
            shutil.rmtree(stage, ignore_errors=True)
