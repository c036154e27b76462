"""Upload tickets in bulk, fetched just in time by the upload threads.

One ``POST /api/assets/bulk-uploads`` asks for the tickets of a chunk of files, so a folder
of 10,000 photos costs ~300 API calls instead of 10,000. Chunks are fetched when the
threads are about to run out of work, never far ahead: a presigned URL lives at most
15 minutes, so a chunk is also capped in bytes (its URLs must be used before they expire).
"""

from __future__ import annotations

import threading
from collections import deque
from collections.abc import Callable
from typing import Any

FILES_PER_CALL = 32  # the server takes up to 100
BYTES_PER_CALL = 256 << 20

# What the fetch returns per item: the server's result, None ("ask for this one alone"), or
# the exception that made the whole call fail (each file reports it).
Ticket = dict[str, Any] | BaseException | None


class Dispenser[T]:
    """``next()`` hands each item out once, with its ticket; None when all are handed out
    (or the run was cancelled). Safe to call from many threads: one of them fetches the next
    chunk, outside the lock, while the others keep taking what is ready."""

    def __init__(
        self,
        items: list[T],
        size_of: Callable[[T], int],
        fetch: Callable[[list[T]], list[Ticket]],
        cancel: threading.Event,
        low_water: int = FILES_PER_CALL // 2,
    ) -> None:
        self._todo = deque(items)
        self._ready: deque[tuple[T, Ticket]] = deque()
        self._size_of = size_of
        self._fetch = fetch
        self._cancel = cancel
        self._low_water = low_water
        self._fetching = False
        self._changed = threading.Condition()

    def next(self) -> tuple[T, Ticket] | None:
        while True:
            with self._changed:
                if self._cancel.is_set():
                    return None
                chunk = self._claim_chunk()
                if chunk is None:
                    if self._ready:
                        return self._ready.popleft()
                    if not self._todo and not self._fetching:
                        return None
                    self._changed.wait(0.5)  # another thread is fetching
                    continue
            self._fill(chunk)

    def _claim_chunk(self) -> list[T] | None:
        """The next chunk to fetch, when the ready ones run low and nobody fetches yet."""
        if self._fetching or not self._todo or len(self._ready) > self._low_water:
            return None
        self._fetching = True
        chunk = [self._todo.popleft()]
        total = self._size_of(chunk[0])
        while self._todo and len(chunk) < FILES_PER_CALL:
            size = self._size_of(self._todo[0])
            if total + size > BYTES_PER_CALL:
                break
            chunk.append(self._todo.popleft())
            total += size
        return chunk

    def _fill(self, chunk: list[T]) -> None:
        try:
            tickets = self._fetch(chunk)
            if len(tickets) != len(chunk):
                raise RuntimeError(f"{len(tickets)} tickets for {len(chunk)} files")
        except BaseException:
            with self._changed:
                self._fetching = False
                self._changed.notify_all()
            raise
        with self._changed:
            self._ready.extend(zip(chunk, tickets, strict=True))
            self._fetching = False
            self._changed.notify_all()
