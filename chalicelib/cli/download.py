"""Fetching an original: the API answers with a redirect to a presigned S3 GET, which we
follow on the storage client (so the bearer token never travels to S3), streaming to a
temporary file that becomes the target only once its SHA-256 matches the asset's."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path
from typing import Any

import httpx

from chalicelib.cli.api import Client, error_from
from chalicelib.cli.hashing import b64

CHUNK = 1024 * 1024


class DownloadError(Exception):
    pass


def target_path(asset: dict[str, Any], output: Path | None) -> Path:
    # The name comes from the server: keep only its last component, never a path.
    name = Path(str(asset.get("originalFileName") or asset["id"])).name or str(asset["id"])
    if output is None:
        return Path.cwd() / name
    if output.is_dir():
        return output / name
    return output


def checksum_matches(expected: str | None, digest: bytes) -> bool:
    if not expected:
        return True  # nothing to compare with (an older server): trust TLS
    return expected in (b64(digest), digest.hex())


def download(client: Client, asset_id: str, output: Path | None, force: bool = False) -> Path:
    asset = client.get_asset(asset_id)
    target = target_path(asset, output)
    if target.exists() and not force:
        raise DownloadError(f"{target} exists (use --force to overwrite)")
    url = client.original_url(asset_id)
    tmp = target.with_name(f".{target.name}.part")
    for attempt in range(client.retry.attempts):
        try:
            digest = _fetch(client.storage, url, tmp)
            break
        except httpx.TransportError:
            if attempt == client.retry.attempts - 1:
                tmp.unlink(missing_ok=True)
                raise
            client.retry.sleep(client.retry.delay(attempt))
    if not checksum_matches(asset.get("checksum"), digest):
        tmp.unlink(missing_ok=True)
        raise DownloadError(f"checksum mismatch for {asset_id}: the download was corrupted")
    os.replace(tmp, target)
    return target


def _fetch(storage: httpx.Client, url: str, tmp: Path) -> bytes:
    h = hashlib.sha256()
    with storage.stream("GET", url) as response:
        if response.is_error:
            response.read()
            raise error_from(response)
        with open(tmp, "wb") as f:
            for chunk in response.iter_bytes(CHUNK):
                f.write(chunk)
                h.update(chunk)
    return h.digest()
