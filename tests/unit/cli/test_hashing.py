from __future__ import annotations

import base64
import hashlib
import os
from pathlib import Path

import pytest

from chalicelib.cli.hashing import part_checksums, part_ranges, sha256_file


def test_sha256_file_is_the_base64_digest_of_the_whole_file(tmp_path: Path) -> None:
    data = os.urandom(3 * 1024 * 1024 + 17)  # spans several 1 MiB read blocks
    path = tmp_path / "photo.jpg"
    path.write_bytes(data)
    seen: list[int] = []

    checksum = sha256_file(path, seen.append)

    assert checksum == base64.b64encode(hashlib.sha256(data).digest()).decode()
    assert len(base64.b64decode(checksum)) == 32
    assert sum(seen) == len(data)


def test_sha256_of_an_empty_file(tmp_path: Path) -> None:
    path = tmp_path / "empty.jpg"
    path.write_bytes(b"")
    assert sha256_file(path) == "47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU="


def test_part_ranges_cover_the_file_exactly_once() -> None:
    assert part_ranges(10, 4) == [(1, 0, 4), (2, 4, 4), (3, 8, 2)]
    assert part_ranges(8, 4) == [(1, 0, 4), (2, 4, 4)]
    assert part_ranges(0, 4) == [(1, 0, 0)]
    with pytest.raises(ValueError):
        part_ranges(10, 0)


def test_part_checksums_hash_each_slice(tmp_path: Path) -> None:
    data = os.urandom(2_500_000)
    path = tmp_path / "clip.mp4"
    path.write_bytes(data)

    sums = part_checksums(path, len(data), 1_000_000)

    expected = {
        n + 1: base64.b64encode(
            hashlib.sha256(data[n * 1_000_000 : (n + 1) * 1_000_000]).digest()
        ).decode()
        for n in range(3)
    }
    assert sums == expected
    assert sums[3] != sums[1]
