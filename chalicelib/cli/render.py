"""What the user sees: progress bars while uploading, tables afterwards."""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Iterable, Sequence
from typing import Any

from rich.console import Console
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
        task = self.bars.add_task(f"  {_short(name)}", total=size)
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
        details = Table(title="Not uploaded")
        details.add_column("File", overflow="fold")
        details.add_column("Result")
        details.add_column("Reason", overflow="fold")
        for r in notable:
            details.add_row(
                str(r.path), f"[{OUTCOME_STYLE[r.outcome]}]{r.outcome.value}", r.reason or ""
            )
        console.print(details)
    resumed = sum(r.resumed_parts for r in results)
    if resumed:
        console.print(f"Resumed: {resumed} part(s) already on the server were not sent again.")


def print_lines(console: Console, lines: Sequence[str], empty: str) -> None:
    """A list, one line per row as it is (names and numbers not highlighted), or ``empty``
    when it has no rows."""
    for line in lines:
        console.print(line, highlight=False)
    if not lines:
        console.print(empty)


def asset_table(console: Console, items: Iterable[dict[str, Any]]) -> None:
    table = Table()
    for name in ("ID", "Type", "File", "Taken", "Status", "Size"):
        table.add_column(name, overflow="fold", justify="right" if name == "Size" else "left")
    for a in items:
        exif = a.get("exifInfo") or {}
        status = a.get("status") or ""
        if a.get("failureReason"):
            status = f"{status}: {a['failureReason']}"
        table.add_row(
            str(a.get("id", "")),
            str(a.get("type", "")),
            str(a.get("originalFileName", "")),
            str(a.get("localDateTime") or a.get("fileCreatedAt") or ""),
            status,
            human_size(exif.get("fileSizeInByte")),
        )
    console.print(table)


def asset_detail(console: Console, asset: dict[str, Any]) -> None:
    table = Table(show_header=False, title=str(asset.get("originalFileName", "")))
    table.add_column("Field", style="bold")
    table.add_column("Value", overflow="fold")
    for key, value in asset.items():
        if key != "exifInfo" and value is not None and not isinstance(value, dict | list):
            table.add_row(key, str(value))
    for key, value in (asset.get("exifInfo") or {}).items():
        if value is not None:
            table.add_row(f"exif.{key}", str(value))
    console.print(table)
