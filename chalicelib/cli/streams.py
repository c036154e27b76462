"""Request bodies streamed from disk, replayable for retries and stoppable on Ctrl-C."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable, Iterator, Mapping
from pathlib import Path

from chalicelib.cli.hashing import read_blocks

CHUNK = 256 * 1024


class Cancelled(Exception):
    """Raised inside a body stream when the user interrupted the run."""


class ByteStream:
    """A re-playable request body over a byte range of a file.

    Each call starts a fresh pass (a retry re-sends from the start) and first takes back the
    progress the failed attempt reported, so the bars never count a byte twice.
    """

    def __init__(
        self,
        path: Path,
        offset: int,
        length: int,
        on_bytes: Callable[[int], None],
        cancel: threading.Event,
    ):
        self.path, self.offset, self.length = path, offset, length
        self.on_bytes, self.cancel = on_bytes, cancel
        self.sent = 0

    def __call__(self) -> Iterable[bytes] | bytes:
        if self.sent:
            self.on_bytes(-self.sent)
            self.sent = 0
        return self._chunks() if self.length else b""

    def _chunks(self) -> Iterator[bytes]:
        for chunk in read_blocks(self.path, self.offset, self.length, block=CHUNK):
            if self.cancel.is_set():
                raise Cancelled()
            self.sent += len(chunk)
            self.on_bytes(len(chunk))
            yield chunk


def with_length(headers: Mapping[str, str], size: int) -> dict[str, str]:
    """The signed headers plus Content-Length: a presigned PUT refuses a chunked body."""
    out = dict(headers)
    if not any(k.lower() == "content-length" for k in out):
        out["Content-Length"] = str(size)
    return out
