"""Sending one large file as an S3 multipart upload, resumable.

Part URLs are signed in small batches just before use (they expire within minutes), each
with the SHA-256 of its part, so S3 itself refuses a part whose bytes changed. On resume
the server lists the parts S3 already holds; a part is skipped only if its checksum still
matches the local bytes.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from chalicelib.cli.api import ApiError, Client
from chalicelib.cli.hashing import md5_range, sha256_range
from chalicelib.cli.streams import ByteStream, with_length

SIGN_BATCH_MAX = 100  # the API signs at most 100 parts per call


class PartSkipped(Exception):
    pass


class MultipartSender:
    def __init__(
        self,
        client: Client,
        upload_id: str,
        path: Path,
        ranges: list[tuple[int, int, int]],
        on_bytes: Callable[[int], None],
        cancel: threading.Event,
        concurrency: int = 4,
    ):
        self.client = client
        self.upload_id = upload_id
        self.path = path
        self.ranges = {n: (offset, length) for n, offset, length in ranges}
        self.on_bytes = on_bytes
        self.cancel = cancel
        self.concurrency = max(1, concurrency)
        self.etags: dict[int, str] = {}
        self._sums: dict[int, str] = {}
        self._lock = threading.Lock()
        self._failed = threading.Event()

    def checksum(self, number: int) -> str:
        with self._lock:
            known = self._sums.get(number)
        if known is not None:
            return known
        value = sha256_range(self.path, *self.ranges[number])
        with self._lock:
            self._sums[number] = value
        return value

    def resume(self) -> int:
        """Adopt the parts S3 already has intact; returns how many were skipped."""
        for part in self.client.list_parts(self.upload_id):
            number = int(part["partNumber"])
            if number not in self.ranges or not part.get("etag"):
                continue
            if part.get("size") not in (None, self.ranges[number][1]):
                continue
            if self._intact(number, part):
                self.etags[number] = str(part["etag"])
                self.on_bytes(self.ranges[number][1])
        return len(self.etags)

    def _intact(self, number: int, part: dict[str, Any]) -> bool:
        """Does S3's part hold our bytes? By its SHA-256 when S3 kept one, else by its ETag,
        which for a plain (not KMS-encrypted) part is the MD5 of its bytes."""
        if part.get("checksum"):
            return bool(part["checksum"] == self.checksum(number))
        return str(part["etag"]).strip('"') == md5_range(self.path, *self.ranges[number])

    def send_missing(self) -> str | None:
        """Upload every part not yet held, complete, and return the asset id."""
        missing = [n for n in sorted(self.ranges) if n not in self.etags]
        batch = min(SIGN_BATCH_MAX, self.concurrency * 4)
        pool = ThreadPoolExecutor(self.concurrency)
        try:
            for start in range(0, len(missing), batch):
                self._send_batch(pool, missing[start : start + batch])
        finally:
            # A part that failed for good fails the file: don't keep sending the others
            # (their URLs are likely as dead); the journal lets the next run resume.
            pool.shutdown(wait=True, cancel_futures=True)
        parts = [{"partNumber": n, "etag": self.etags[n]} for n in sorted(self.etags)]
        done: dict[str, Any] = self.client.complete(self.upload_id, parts) or {}
        return done.get("assetId")

    def _send_batch(self, pool: ThreadPoolExecutor, numbers: list[int]) -> None:
        sums = list(pool.map(self.checksum, numbers))
        signed = self.client.sign_parts(
            self.upload_id,
            [{"partNumber": n, "checksum": s} for n, s in zip(numbers, sums, strict=True)],
        )
        for number, etag in pool.map(self._send_part, signed):
            self.etags[number] = etag

    def _send_part(self, signed: dict[str, Any]) -> tuple[int, str]:
        # Once a part failed for good the file has failed: start no further parts (queued
        # ones would otherwise slip out before the pool is shut down).
        if self._failed.is_set():
            raise PartSkipped(f"part {signed['partNumber']} not sent: an earlier part failed")
        try:
            return self._put_part(signed)
        except BaseException:
            self._failed.set()
            raise

    def _put_part(self, signed: dict[str, Any]) -> tuple[int, str]:
        number = int(signed["partNumber"])
        offset, length = self.ranges[number]
        body = ByteStream(self.path, offset, length, self.on_bytes, self.cancel)
        headers = with_length(signed.get("headers") or {}, length)
        response = self.client.put(signed["url"], headers, body)
        etag = response.headers.get("etag")
        if not etag:
            # In a browser this would be CORS hiding ETag; here it is a broken endpoint.
            raise ApiError(response.status_code, f"S3 returned no ETag for part {number}")
        return number, etag
