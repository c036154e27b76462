"""Bring a model folder named by an S3 URI to local disk (Lambda: under /tmp), once.

Only the ML container's cold start calls this, with the boto3 client the composition root
built; nothing downloads from a model hub at run time.
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

DONE_MARKER = ".skyroll-complete"


def split_s3_uri(uri: str) -> tuple[str, str]:
    if not uri.startswith("s3://"):
        raise ValueError(f"not an S3 URI: {uri!r}")
    bucket, _, prefix = uri[len("s3://") :].partition("/")
    if not bucket:
        raise ValueError(f"S3 URI has no bucket: {uri!r}")
    return bucket, prefix.strip("/")


def fetch_s3_folder(uri: str, s3: Any, cache_root: Path) -> Path:
    """Download every object under ``uri`` into ``cache_root/<last path part>``.

    Idempotent: a marker file written after the last object makes later calls (warm starts,
    or another instance sharing the disk) return at once; a half-finished folder from a
    killed download is wiped and fetched again.
    """
    bucket, prefix = split_s3_uri(uri)
    target = cache_root / (prefix.rsplit("/", 1)[-1] or bucket)
    if (target / DONE_MARKER).is_file():
        return target
    shutil.rmtree(target, ignore_errors=True)
    count = 0
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=f"{prefix}/"):
        for item in page.get("Contents", []):
            relative = item["Key"][len(prefix) + 1 :]
            if not relative or relative.endswith("/"):
                continue
            destination = target / relative
            if target.resolve() not in destination.resolve().parents:
                raise ValueError(f"object key escapes the model folder: {item['Key']!r}")
            destination.parent.mkdir(parents=True, exist_ok=True)
            s3.download_file(bucket, item["Key"], str(destination))
            count += 1
    if count == 0:
        raise FileNotFoundError(f"no model files under {uri}")
    (target / DONE_MARKER).write_text(str(count))
    return target
