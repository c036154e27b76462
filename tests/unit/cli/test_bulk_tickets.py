"""The CLI asks for upload tickets in bulk, a chunk at a time, and copes when it can't."""

from __future__ import annotations

import json
import threading
from pathlib import Path

import pytest

from chalicelib.cli import journal as journal_module
from chalicelib.cli import tickets
from chalicelib.cli.config import config_dir
from chalicelib.cli.journal import JOURNAL_FILE
from tests.support.cli import Cli, jpeg, out_json, results_by_name, stored
from tests.support.fake_server import FakeSkyroll


def folder(tmp_path: Path, count: int) -> dict[str, bytes]:
    return {f"{i:03d}.jpg": jpeg(tmp_path / f"{i:03d}.jpg", i) for i in range(count)}


def test_seventy_files_take_three_ticket_calls_and_few_journal_writes(
    logged_in: Cli, fake: FakeSkyroll, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    files = folder(tmp_path, 70)
    writes: list[str] = []
    real_write = journal_module.write_private

    def counting(path: Path, text: str) -> Path:
        writes.append(text)
        return real_write(path, text)

    monkeypatch.setattr(journal_module, "write_private", counting)

    result = logged_in("upload", tmp_path, "--json")

    assert result.exit_code == 0, result.output
    rows = results_by_name(result)
    assert {r["status"] for r in rows.values()} == {"uploaded"}
    for name, data in files.items():
        assert stored(fake, rows[name]["assetId"]) == data
    calls = fake.bodies("POST", "/api/assets/bulk-uploads")
    assert [len(c["uploads"]) for c in calls] == [32, 32, 6]
    assert fake.bodies("POST", "/api/assets/uploads") == []
    # Each file asked once, and each answer went to the file that asked.
    assert sorted(b["filename"] for b in fake.upload_requests()) == sorted(files)
    # A write per chunk (its PUTs start) and the removals ride along: not two per file.
    assert len(writes) <= 4, len(writes)  # 3 chunks + the last removals
    assert json.loads((config_dir() / JOURNAL_FILE).read_text()) == {}


def test_an_older_server_without_bulk_tickets_gets_one_request_per_file(
    logged_in: Cli, fake: FakeSkyroll, tmp_path: Path
) -> None:
    files = folder(tmp_path, 3)
    fake.bulk_route = False

    result = logged_in("upload", tmp_path, "--json")

    assert result.exit_code == 0, result.output
    rows = results_by_name(result)
    assert all(stored(fake, rows[n]["assetId"]) == d for n, d in files.items())
    assert len(fake.bodies("POST", "/api/assets/uploads")) == 3


def test_a_name_the_server_refuses_fails_alone(
    logged_in: Cli, fake: FakeSkyroll, tmp_path: Path
) -> None:
    good = folder(tmp_path, 2)
    jpeg(tmp_path / "back\\slash.jpg", 9)  # a legal name on Linux, not a plain name to us

    result = logged_in("upload", tmp_path, "--json")

    assert result.exit_code == 1
    rows = results_by_name(result)
    assert rows["back\\slash.jpg"]["status"] == "failed"
    assert rows["back\\slash.jpg"]["reason"] == "400 Bad Request: Invalid request: filename"
    assert all(stored(fake, rows[n]["assetId"]) == d for n, d in good.items())


def test_a_refused_item_reports_the_servers_reason(
    logged_in: Cli, fake: FakeSkyroll, tmp_path: Path
) -> None:
    folder(tmp_path, 2)
    fake.refuse["001.jpg"] = (413, "Upload of 1 bytes exceeds your quota")

    result = logged_in("upload", tmp_path, "--json")

    rows = results_by_name(result)
    reason = "413 Payload Too Large: Upload of 1 bytes exceeds your quota"
    assert rows["001.jpg"]["reason"] == reason
    assert rows["000.jpg"]["status"] == "uploaded"
    assert out_json(result)["summary"]["failed"] == 1


def test_a_ticket_call_that_keeps_failing_fails_its_files_and_nothing_is_sent(
    logged_in: Cli, fake: FakeSkyroll, tmp_path: Path
) -> None:
    folder(tmp_path, 3)
    fake.inject("POST", lambda r: r.url.path == "/api/assets/bulk-uploads", [503] * 5)

    result = logged_in("upload", tmp_path, "--json")

    assert result.exit_code == 1
    reasons = [r["reason"] for r in results_by_name(result).values()]
    assert reasons == ["503: injected 503"] * 3
    assert fake.count("PUT", "s3.test") == 0


def test_the_dispenser_hands_each_item_out_once_in_byte_capped_chunks(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(tickets, "BYTES_PER_CALL", 100)
    calls: list[list[int]] = []

    def fetch(chunk: list[int]) -> list[tickets.Ticket]:
        calls.append(list(chunk))
        return [{"n": n} for n in chunk]

    sizes = [60, 30, 30, 200, 10]
    dispenser = tickets.Dispenser(list(range(5)), lambda i: sizes[i], fetch, threading.Event())
    got = []
    while (job := dispenser.next()) is not None:
        got.append(job)
    assert [n for n, _ in got] == [0, 1, 2, 3, 4]
    assert all(t == {"n": n} for n, t in got)
    # 60+30 fit, +30 would not; a file bigger than the cap still goes (alone).
    assert calls == [[0, 1], [2], [3], [4]]


def test_a_cancelled_dispenser_hands_out_nothing_more() -> None:
    cancel = threading.Event()
    dispenser = tickets.Dispenser([1, 2, 3], lambda i: 1, lambda c: [None] * len(c), cancel)
    assert dispenser.next() == (1, None)
    cancel.set()
    assert dispenser.next() is None


def test_the_others_keep_taking_ready_tickets_while_one_thread_fetches() -> None:
    """The fetch runs outside the lock: a slow ticket call does not stall the ready work."""
    release = threading.Event()
    fetching = threading.Event()

    def fetch(chunk: list[int]) -> list[tickets.Ticket]:
        if chunk[0] == 0:
            return [None] * len(chunk)
        fetching.set()
        assert release.wait(5), "never released"
        return [None] * len(chunk)

    items = list(range(tickets.FILES_PER_CALL + 5))
    dispenser = tickets.Dispenser(items, lambda i: 1, fetch, threading.Event(), low_water=10)
    taken = [dispenser.next() for _ in range(tickets.FILES_PER_CALL - 10)]
    background = threading.Thread(target=lambda: taken.append(dispenser.next()))
    background.start()  # ready is at the low-water mark: this one fetches the next chunk
    assert fetching.wait(5)
    # While it waits on the server, the ready tickets still come out at once.
    more = [dispenser.next() for _ in range(10)]
    release.set()
    background.join(5)
    rest = []
    while (job := dispenser.next()) is not None:
        rest.append(job)
    handed = [job[0] for job in taken + more + rest if job is not None]
    assert sorted(handed) == items
