from __future__ import annotations

import io
import os
import threading
from pathlib import Path

import pytest
from rich.console import Console

from chalicelib.cli.engine import FileResult, Outcome
from chalicelib.cli.render import RichProgress, summary
from chalicelib.cli.streams import ByteStream, Cancelled, with_length


def test_a_byte_stream_replays_its_range_and_rewinds_progress(tmp_path: Path) -> None:
    data = os.urandom(700_000)
    path = tmp_path / "f.bin"
    path.write_bytes(data)
    reported: list[int] = []
    body = ByteStream(path, 100_000, 500_000, reported.append, threading.Event())

    first = b"".join(body())
    second = b"".join(body())  # a retry

    assert first == second == data[100_000:600_000]
    assert sum(reported) == 500_000  # the retry took back what the first try reported
    assert -500_000 in reported


def test_a_byte_stream_stops_when_cancelled(tmp_path: Path) -> None:
    path = tmp_path / "f.bin"
    path.write_bytes(os.urandom(1_000_000))
    cancel = threading.Event()
    chunks = iter(ByteStream(path, 0, 1_000_000, lambda n: None, cancel)())
    next(chunks)
    cancel.set()
    with pytest.raises(Cancelled):
        next(chunks)


def test_an_empty_body_is_empty_bytes(tmp_path: Path) -> None:
    path = tmp_path / "empty.jpg"
    path.write_bytes(b"")
    assert ByteStream(path, 0, 0, lambda n: None, threading.Event())() == b""


def test_with_length_keeps_the_signed_headers() -> None:
    signed = {"Content-Type": "image/jpeg", "x-amz-checksum-sha256": "abc="}
    assert with_length(signed, 42) == {**signed, "Content-Length": "42"}
    assert with_length({"content-length": "7"}, 42) == {"content-length": "7"}


def test_rich_progress_has_one_bar_per_active_file_and_an_overall_one() -> None:
    console = Console(file=io.StringIO(), force_terminal=True, width=120)
    with RichProgress(console) as progress:
        progress.phase("Uploading", 300)
        progress.file_start("/a.jpg", "a.jpg", 100)
        progress.file_start("/b.jpg", "b.jpg", 200)
        progress.file_advance("/a.jpg", 100)
        progress.file_advance("/b.jpg", 50)
        tasks = {t.description.strip(): t for t in progress.bars.tasks}
        assert (tasks["a.jpg"].completed, tasks["b.jpg"].completed) == (100, 50)
        assert tasks["Uploading"].completed == 150
        progress.file_end("/a.jpg")
        assert [t.description.strip() for t in progress.bars.tasks] == ["Uploading", "b.jpg"]


def test_summary_counts_outcomes_and_lists_reasons() -> None:
    console = Console(file=io.StringIO(), width=200)
    summary(
        console,
        [
            FileResult(Path("/x/a.jpg"), Outcome.UPLOADED, 2048),
            FileResult(Path("/x/b.jpg"), Outcome.UPLOADED, 2048),
            FileResult(Path("/x/c.jpg"), Outcome.FAILED, 10, reason="413 Payload Too Large: quota"),
            FileResult(Path("/x/d.txt"), Outcome.SKIPPED, reason="unsupported file type '.txt'"),
        ],
    )
    text = console.file.getvalue()  # type: ignore[attr-defined]
    assert "│ uploaded │     2 │ 4.0 KB │" in text
    assert "/x/c.jpg" in text and "413 Payload Too Large: quota" in text
    assert "/x/d.txt" in text and "/x/a.jpg" not in text
