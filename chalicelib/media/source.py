"""The input of every media function: the original's bytes or a path to it on disk.

Workers download originals to /tmp (Lambda memory is small, /tmp is up to 10 GB), so paths
are the common case; bytes are convenient in tests and for small files. Helpers here give
each library what it wants without copying large files into memory twice.
"""

from __future__ import annotations

import os
import struct
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import BinaryIO

from chalicelib.media.errors import EmptyMedia, MediaTooLarge
from chalicelib.media.sniff import PNG, SNIFF_BYTES, WEBP, MediaType, sniff

MediaSource = bytes | Path | str

# EXIF, XMP and ICC live in metadata blocks that libvips and Pillow read whole. A real
# camera's blocks are at most a few MB (ICC ≤ 16 MB in JPEG by construction).
MAX_METADATA_BYTES = 16 * 1024 * 1024


def read_head(source: MediaSource, n: int = SNIFF_BYTES) -> bytes:
    if isinstance(source, bytes):
        return source[:n]
    with open(source, "rb") as f:
        return f.read(n)


def source_size(source: MediaSource) -> int:
    return len(source) if isinstance(source, bytes) else os.path.getsize(source)


def sniff_source(source: MediaSource) -> MediaType:
    if source_size(source) == 0:
        raise EmptyMedia("the file is empty (0 bytes)")
    return sniff(read_head(source))


@contextmanager
def as_path(source: MediaSource, suffix: str = "") -> Iterator[Path]:
    """A path for tools that need a file (ffmpeg, rawpy); bytes go to a temp file."""
    if not isinstance(source, bytes):
        yield Path(source)
        return
    with tempfile.TemporaryDirectory(prefix="skyroll-media-") as tmp:
        path = Path(tmp) / f"input{suffix}"
        path.write_bytes(source)
        yield path


@contextmanager
def _open(source: MediaSource) -> Iterator[BinaryIO]:
    if isinstance(source, bytes):
        import io

        yield io.BytesIO(source)
    else:
        with open(source, "rb") as f:
            yield f


def check_metadata_blocks(
    source: MediaSource, media_type: MediaType, limit: int = MAX_METADATA_BYTES
) -> None:
    """Refuse PNG/WebP files whose EXIF/XMP/ICC/text blocks exceed ``limit``.

    Those two formats allow metadata chunks of up to 2-4 GB, which the decoders would
    allocate in one piece before we could look at them; walking the chunk headers costs a
    few seeks. (JPEG segments are capped at 64 KB by the format, TIFF-based EXIF is read
    from a bounded prefix.)
    """
    if media_type == PNG:
        _walk_chunks(
            source,
            limit,
            start=8,
            header=">I4s",
            big_size_first=True,
            metadata={b"eXIf", b"iTXt", b"zTXt", b"tEXt", b"iCCP"},
        )
    elif media_type == WEBP:
        _walk_chunks(
            source,
            limit,
            start=12,
            header="<4sI",
            big_size_first=False,
            metadata={b"EXIF", b"XMP ", b"ICCP"},
        )


def _walk_chunks(
    source: MediaSource,
    limit: int,
    *,
    start: int,
    header: str,
    big_size_first: bool,
    metadata: set[bytes],
) -> None:
    total = source_size(source)
    with _open(source) as f:
        pos = start
        for _ in range(100_000):  # bounded: a real file has tens of chunks
            f.seek(pos)
            raw = f.read(8)
            if len(raw) < 8:
                return
            a, b = struct.unpack(header, raw)
            size, kind = (a, b) if big_size_first else (b, a)
            if kind in metadata and size > limit:
                name = kind.decode("latin-1").strip()
                raise MediaTooLarge(
                    f"the file's {name} metadata block is {size / 1e6:.0f} MB, "
                    f"over the {limit / 1e6:.0f} MB limit"
                )
            # PNG: length, type, data, CRC; RIFF: type, length, data padded to even.
            pos += 8 + size + (4 if big_size_first else size % 2)
            if pos >= total:
                return
