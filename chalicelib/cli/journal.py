"""Uploads in flight, remembered across runs so an interrupted upload resumes (multipart)
or is cleanly abandoned and started again (a single PUT, whose URL has expired by then).

Keyed by what identifies *these bytes at this path*: absolute path, size, mtime and
checksum. A file edited since the interrupted run gets a new key and a fresh upload (the
old one expires server-side). Entries are removed when an upload completes or is aborted.
"""

from __future__ import annotations

import json
import threading
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from chalicelib.cli.config import write_private

JOURNAL_FILE = "uploads.json"


@dataclass(frozen=True)
class Entry:
    server: str
    upload_id: str
    asset_id: str
    part_size: int
    part_count: int
    method: str = "MULTIPART"  # or "PUT"


def key_for(path: Path, size: int, mtime_ns: int, checksum: str) -> str:
    return f"{path.resolve()}|{size}|{mtime_ns}|{checksum}"


class Journal:
    """A JSON file of key → Entry; safe to use from the upload threads."""

    def __init__(self, path: Path):
        self.path = path
        self._lock = threading.Lock()

    def _read(self) -> dict[str, dict[str, Any]]:
        try:
            data = json.loads(self.path.read_text())
        except (FileNotFoundError, ValueError):
            # A damaged journal only costs a resume, never an upload: start afresh.
            return {}
        return data if isinstance(data, dict) else {}

    def get(self, key: str, server: str) -> Entry | None:
        with self._lock:
            raw = self._read().get(key)
        if not raw:
            return None
        try:
            entry = Entry(**raw)
        except TypeError:
            return None
        return entry if entry.server == server else None

    def keys(self, server: str) -> set[str]:
        """Keys of this server's entries, read once (not once per file)."""
        with self._lock:
            data = self._read()
        return {k for k, v in data.items() if isinstance(v, dict) and v.get("server") == server}

    def put(self, key: str, entry: Entry) -> None:
        self.update(add={key: entry})

    def remove(self, key: str) -> None:
        self.update(remove=[key])

    def update(
        self, add: dict[str, Entry] | None = None, remove: list[str] | tuple[str, ...] = ()
    ) -> None:
        """Many changes, one write (a chunk of uploads starts or ends together)."""
        with self._lock:
            data = self._read()
            before = dict(data)
            for key in remove:
                data.pop(key, None)
            data.update({k: asdict(e) for k, e in (add or {}).items()})
            if data != before:
                write_private(self.path, json.dumps(data, indent=2) + "\n")

    def __len__(self) -> int:
        with self._lock:
            return len(self._read())
