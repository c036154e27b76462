"""Fetching an original to /tmp for a stage (Lambda's /tmp holds up to 10 GB)."""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from chalicelib.storage.s3 import ObjectStore
from chalicelib.workers.context import StageContext


def source_store(store: ObjectStore, asset: dict[str, Any]) -> ObjectStore:
    """Where an asset's original is: Skyroll's bucket, or its external library's (read
    only: stages write what they make to Skyroll's bucket)."""
    return store.for_bucket(asset.get("source_bucket"))


@contextmanager
def local_original(container: StageContext, asset: dict[str, Any]) -> Iterator[Path]:
    key = asset["storage_key"]
    with tempfile.TemporaryDirectory(prefix="skyroll-stage-") as tmp:
        path = Path(tmp) / f"original.{key.rsplit('.', 1)[-1]}"
        with path.open("wb") as f:
            source_store(container.store, asset).download(key, f)
        yield path
