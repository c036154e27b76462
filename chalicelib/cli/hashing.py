"""SHA-256 checksums the way S3 spells them (``x-amz-checksum-sha256``: base64 of the digest).

Files are read in 1 MiB blocks: hashlib releases the GIL for blocks that large, so a thread
pool hashes several files at once on several cores.
"""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Callable, Iterator
from pathlib import Path

BLOCK = 1024 * 1024


def b64(digest: bytes) -> str:
    return base64.b64encode(digest).decode("ascii")


def sha256_b64_bytes(data: bytes) -> str:
    return b64(hashlib.sha256(data).digest())


def read_blocks(
    path: Path, start: int = 0, length: int | None = None, block: int = BLOCK
) -> Iterator[bytes]:
    """The bytes of ``path`` from ``start``, ``length`` of them (or to the end), in blocks."""
    with open(path, "rb") as f:
        f.seek(start)
        left = length
        while left is None or left > 0:
            chunk = f.read(block if left is None else min(block, left))
            if not chunk:
                return
            if left is not None:
                left -= len(chunk)
            yield chunk


def sha256_file(path: Path, on_bytes: Callable[[int], None] | None = None) -> str:
    h = hashlib.sha256()
    for chunk in read_blocks(path):
        h.update(chunk)
        if on_bytes is not None:
            on_bytes(len(chunk))
    return b64(h.digest())


def part_ranges(size: int, part_size: int) -> list[tuple[int, int, int]]:
    """(part number from 1, offset, length) for each part; the last part holds the rest."""
    if part_size <= 0:
        raise ValueError("part size must be positive")
    count = max(1, -(-size // part_size))
    return [(n + 1, n * part_size, min(part_size, size - n * part_size)) for n in range(count)]


def sha256_range(path: Path, offset: int, length: int) -> str:
    h = hashlib.sha256()
    for chunk in read_blocks(path, offset, length):
        h.update(chunk)
    return b64(h.digest())


def md5_range(path: Path, offset: int, length: int) -> str:
    """Hex MD5, to compare with an S3 part's ETag when S3 kept no SHA-256 for it."""
    h = hashlib.md5(usedforsecurity=False)
    for chunk in read_blocks(path, offset, length):
        h.update(chunk)
    return h.hexdigest()


def part_checksums(path: Path, size: int, part_size: int) -> dict[int, str]:
    """Part number → base64 SHA-256 of that part's bytes (what each part URL is signed with)."""
    return {n: sha256_range(path, off, length) for n, off, length in part_ranges(size, part_size)}
