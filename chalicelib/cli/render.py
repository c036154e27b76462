"""What the user sees: progress bars while uploading, then lines.

Anything that holds user data (file names, people's and libraries' names, failure reasons)
goes out through ``print_lines``: as it is, never read as rich markup (a file named
``[bold]x[/bold]`` stays that), never folded at the console's width (80 columns when
stdout is not a terminal, which would split a long name over lines a script reads).
Only the upload summary's counts stay a rich table: it holds no user data. Control
characters in them are shown as escapes (``visible``): a name with a newline stays on its
line and cannot pass for another, one with an ANSI escape does not colour the terminal.
``--json`` output is the API's JSON, exact.
"""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Iterable, Sequence
from typing import Any

from rich.console import Console
from rich.markup import escape
from rich.progress import (
    BarColumn,
    DownloadColumn,
    Progress,
    TaskID,
    TextColumn,
    TimeRemainingColumn,
    TransferSpeedColumn,
)
from rich.table import Table

from chalicelib.cli.engine import FileResult, Outcome

OUTCOME_STYLE = {
    Outcome.UPLOADED: "green",
    Outcome.DUPLICATE: "cyan",
    Outcome.SKIPPED: "yellow",
    Outcome.FAILED: "bold red",
    Outcome.WOULD_UPLOAD: "blue",
}


class RichProgress:
    """The engine's ``Progress`` as rich bars: the current phase (hashing, checking, then
    the overall upload) and one bar per file being sent."""

    def __init__(self, console: Console):
        self.bars = Progress(
            TextColumn("{task.description}", style="bold"),
            BarColumn(),
            DownloadColumn(),
            TransferSpeedColumn(),
            TimeRemainingColumn(),
            console=console,
            transient=False,
        )
        self._phase: TaskID | None = None
        self._files: dict[str, TaskID] = {}
        self._lock = threading.Lock()

    def __enter__(self) -> RichProgress:
        self.bars.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.bars.stop()

    def phase(self, name: str, total: int) -> None:
        if self._phase is not None:
            task = self.bars.tasks[self._phase]
            self.bars.update(self._phase, completed=task.total or 0)
        self._phase = self.bars.add_task(name, total=total)

    def phase_advance(self, n: int) -> None:
        if self._phase is not None:
            self.bars.advance(self._phase, n)

    def file_start(self, key: str, name: str, size: int) -> None:
        # The description column reads markup: a file name is escaped to stay as it is.
        task = self.bars.add_task(f"  {escape(_short(visible(name)))}", total=size)
        with self._lock:
            self._files[key] = task

    def file_advance(self, key: str, n: int) -> None:
        with self._lock:
            task = self._files.get(key)
        if task is not None:
            self.bars.advance(task, n)
        self.phase_advance(n)

    def file_end(self, key: str) -> None:
        with self._lock:
            task = self._files.pop(key, None)
        if task is not None:
            self.bars.remove_task(task)


# C0 and C1 controls and DEL, the Unicode line and paragraph separators (str.splitlines
# splits on them), and the bidirectional overrides and isolates that reorder what a terminal
# shows. A backslash stays as it is: text without these characters prints unchanged.
_SHORT_ESCAPES = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}
_INVISIBLE = [
    *range(0x20),
    *range(0x7F, 0xA0),
    0x2028,
    0x2029,
    *range(0x202A, 0x202F),
    *range(0x2066, 0x206A),
]
_VISIBLE = str.maketrans(
    {
        code: _SHORT_ESCAPES.get(chr(code))
        or (f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}")
        for code in _INVISIBLE
    }
)


def visible(text: str) -> str:
    """``text`` with its control characters as escapes: "a\\nb" for a newline, "\\x1b" for
    ESC, "\\u202e" for a right-to-left override; one line, shown as it is."""
    return text.translate(_VISIBLE)


def _short(name: str, width: int = 32) -> str:
    return name if len(name) <= width else name[: width - 1] + "…"


def human_size(n: int | float | None) -> str:
    if n is None:
        return ""
    size = float(n)
    for unit in ("B", "KB", "MB", "GB", "TB"):
        if abs(size) < 1024 or unit == "TB":
            return f"{size:.0f} {unit}" if unit == "B" else f"{size:.1f} {unit}"
        size /= 1024
    return str(n)


def summary(console: Console, results: list[FileResult]) -> None:
    counts = Counter(r.outcome for r in results)
    sizes = Counter[Outcome]()
    for r in results:
        sizes[r.outcome] += r.size
    table = Table(title="Upload summary")
    table.add_column("Result")
    table.add_column("Files", justify="right")
    table.add_column("Size", justify="right")
    for outcome in Outcome:
        if counts[outcome]:
            table.add_row(
                f"[{OUTCOME_STYLE[outcome]}]{outcome.value}",
                str(counts[outcome]),
                human_size(sizes[outcome]),
            )
    console.print(table)
    notable = [r for r in results if r.outcome in (Outcome.FAILED, Outcome.SKIPPED)]
    if notable:
        console.print("Not uploaded:")
        rows = [
            (f"  {r.outcome.value}", f"{r.path}: {r.reason}" if r.reason else str(r.path))
            for r in notable
        ]
        print_lines(console, columns(rows), "")
    resumed = sum(r.resumed_parts for r in results)
    if resumed:
        console.print(f"Resumed: {resumed} part(s) already on the server were not sent again.")


def print_lines(console: Console, lines: Sequence[str], empty: str) -> None:
    """A list, one line per row as given: no markup, no highlighting, no emoji codes, no
    folding at the console's width, control characters ``visible``; or ``empty`` when it
    has no rows."""
    for line in lines:
        console.out(visible(line), highlight=False)
    if not lines and empty:
        console.out(empty, highlight=False)


def columns(rows: Iterable[Sequence[str]]) -> list[str]:
    """Rows as lines of columns two spaces apart, every column but the last padded to its
    widest cell (put the free text, such as a name, last: it is never padded or cut).
    Leading spaces in the first cell indent the line. Cells are measured ``visible``."""
    table = [[visible(cell) for cell in r] for r in rows]
    if not table:
        return []
    widths = [max(len(r[i]) for r in table) for i in range(len(table[0]) - 1)]
    lines = []
    for row in table:
        # A column empty in every row takes no room at all.
        cells = [cell.ljust(width) for cell, width in zip(row, widths, strict=False) if width]
        lines.append("  ".join([*cells, row[-1]]) if row[-1] else "  ".join(cells).rstrip())
    return lines


def asset_lines(items: Iterable[dict[str, Any]]) -> list[str]:
    """One line per asset: id, type, when taken, size, status (with why it failed), then
    the file name."""
    rows = []
    for a in items:
        exif = a.get("exifInfo") or {}
        status = a.get("status") or ""
        if a.get("failureReason"):
            status = f"{status}: {a['failureReason']}"
        rows.append(
            (
                str(a.get("id", "")),
                str(a.get("type", "")),
                str(a.get("localDateTime") or a.get("fileCreatedAt") or ""),
                human_size(exif.get("fileSizeInByte")).rjust(9),
                status,
                str(a.get("originalFileName", "")),
            )
        )
    return columns(rows)


def asset_detail_lines(asset: dict[str, Any]) -> list[str]:
    """One line per field that has a value (``exif.``-prefixed for the EXIF ones)."""
    rows = [
        (key, str(value))
        for key, value in asset.items()
        if key != "exifInfo" and value is not None and not isinstance(value, dict | list)
    ]
    rows += [
        (f"exif.{key}", str(value))
        for key, value in (asset.get("exifInfo") or {}).items()
        if value is not None
    ]
    return columns(rows)
