"""Small readers over the harness's real PostgreSQL and moto bucket."""

from __future__ import annotations

from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlparse

from tests.support.harness import Harness

MIMES = {".mp4": "video/mp4", ".mkv": "video/x-matroska", ".jpg": "image/jpeg"}


def upload_file(h: Harness, token: str, path: Path, drain: bool = True) -> str:
    r = h.upload(token, path.name, path.read_bytes(), content_type=MIMES[path.suffix])
    if drain:
        h.drain()
    return str(r["assetId"])


def stage_row(h: Harness, asset_id: str, stage: str) -> dict[str, Any] | None:
    with h.container.pool.connection() as conn:
        return conn.execute(
            "SELECT status, error, attempts FROM asset_stages WHERE asset_id = %s AND stage = %s",
            (asset_id, stage),
        ).fetchone()


def files(h: Harness, asset_id: str) -> dict[str, dict[str, Any]]:
    with h.container.pool.connection() as conn:
        rows = conn.execute("SELECT * FROM asset_files WHERE asset_id = %s", (asset_id,)).fetchall()
    return {r["kind"]: r for r in rows}


def bucket_keys(h: Harness) -> list[str]:
    return sorted(h.container.store.keys("users/") + h.container.store.keys("derived/"))


def object_bytes(h: Harness, key: str) -> bytes:
    c = h.container
    return bytes(c.s3.get_object(Bucket=c.settings.bucket, Key=key)["Body"].read())


def presigned_key(url: str) -> str:
    """The object key a presigned GET (path style on moto) points at."""
    parsed = urlparse(url)
    return parsed.path.split("/", 2)[2]


def query(url: str) -> dict[str, str]:
    return {k: v[0] for k, v in parse_qs(urlparse(url).query).items()}
