"""Fetching an original to /tmp for a stage (Lambda's /tmp holds up to 10 GB)."""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from chalicelib.workers.context import StageContext


@contextmanager
def local_original(container: StageContext, asset: dict[str, Any]) -> Iterator[Path]:
    key = asset["storage_key"]
    with tempfile.TemporaryDirectory(prefix="skyroll-stage-") as tmp:
        path = Path(tmp) / f"original.{key.rsplit('.', 1)[-1]}"
        with path.open("wb") as f:
            container.store.download(key, f)
        yield path
