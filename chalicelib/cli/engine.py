"""The upload: hash every file, ask the server which ones it lacks, send only those
straight to S3 (one presigned PUT, or multipart with resume), and say what happened to
each file.

The engine knows nothing about terminals: it reports to a ``Progress`` (rich bars in the
CLI, nothing in tests) and returns one ``FileResult`` per file.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum
from pathlib import Path
from typing import Any, Protocol

import httpx

from chalicelib.cli.api import ApiError, Client
from chalicelib.cli.files import Candidate, Skipped
from chalicelib.cli.hashing import part_ranges, sha256_b64_bytes, sha256_file
from chalicelib.cli.journal import Entry, Journal, key_for
from chalicelib.cli.multipart import MultipartSender
from chalicelib.cli.streams import ByteStream, Cancelled, with_length
from chalicelib.cli.tickets import Dispenser, Ticket

BULK_CHECK_BATCH = 1000
XMP_TYPE = "application/rdf+xml"
DEVICE_ID = "skyroll-cli"
# Journaled upload ids the server no longer knows (expired, aborted, completed elsewhere).
GONE_STATUSES = frozenset({404, 409, 410})


class Outcome(StrEnum):
    UPLOADED = "uploaded"
    DUPLICATE = "duplicate"
    SKIPPED = "skipped"
    FAILED = "failed"
    WOULD_UPLOAD = "would-upload"


@dataclass
class FileResult:
    path: Path
    outcome: Outcome
    size: int = 0
    asset_id: str | None = None
    reason: str | None = None
    resumed_parts: int = 0

    def as_json(self) -> dict[str, Any]:
        return {
            "path": str(self.path),
            "status": self.outcome.value,
            "size": self.size,
            "assetId": self.asset_id,
            "reason": self.reason,
            "resumedParts": self.resumed_parts,
        }


class Progress(Protocol):
    def phase(self, name: str, total: int) -> None: ...
    def phase_advance(self, n: int) -> None: ...
    def file_start(self, key: str, name: str, size: int) -> None: ...
    def file_advance(self, key: str, n: int) -> None: ...
    def file_end(self, key: str) -> None: ...


class NullProgress:
    """No bars (tests, --json, output piped to a file)."""

    def __enter__(self) -> NullProgress:
        return self

    def __exit__(self, *exc: object) -> None:
        pass

    def phase(self, name: str, total: int) -> None:
        pass

    def phase_advance(self, n: int) -> None:
        pass

    def file_start(self, key: str, name: str, size: int) -> None:
        pass

    def file_advance(self, key: str, n: int) -> None:
        pass

    def file_end(self, key: str) -> None:
        pass


@dataclass
class Options:
    # 8 files at once: with tickets fetched in bulk nothing else waits per file, and 8 beat
    # 4 by ~20% even on localhost (bench/bench_upload.py); the AWS CLI sends 10.
    concurrency: int = 8
    part_concurrency: int = 4
    hash_workers: int = field(default_factory=lambda: min(8, os.cpu_count() or 2))
    dry_run: bool = False


@dataclass(frozen=True)
class Hashed:
    index: int
    file: Candidate
    checksum: str


@dataclass
class Duplicate:
    result: FileResult
    same_as: Path | None = None  # another file of this run with the same bytes


def iso_time(ns: int) -> str:
    return datetime.fromtimestamp(ns / 1e9, UTC).isoformat().replace("+00:00", "Z")


class Uploader:
    def __init__(
        self,
        client: Client,
        journal: Journal,
        server: str,
        progress: Progress | None = None,
        options: Options | None = None,
    ):
        self.client = client
        self.journal = journal
        self.server = server
        self.progress = progress or NullProgress()
        self.options = options or Options()
        self.cancel = threading.Event()
        # Journal keys of finished PUTs, removed with the next write (one per chunk).
        self._finished: list[str] = []
        self._finished_lock = threading.Lock()

    # -- the whole run ---------------------------------------------------------------
    def run(self, files: list[Candidate], skipped: list[Skipped]) -> list[FileResult]:
        results = [FileResult(s.path, Outcome.SKIPPED, reason=s.reason) for s in skipped]
        hashed, failed = self.hash_all(files)
        todo, duplicates = self.check(hashed)
        if self.options.dry_run:
            done = [FileResult(h.file.path, Outcome.WOULD_UPLOAD, h.file.size) for h in todo]
        else:
            done = self.upload_all(todo)
        asset_of = {r.path: r.asset_id for r in done}
        for dup in duplicates:
            if dup.same_as is not None:
                dup.result.asset_id = asset_of.get(dup.same_as)
        # Report in the order the files were found, skipped ones last.
        order = {f.path: i for i, f in enumerate(files)}
        found = done + [d.result for d in duplicates] + failed
        return sorted(found, key=lambda r: order[r.path]) + results

    def hash_all(self, files: list[Candidate]) -> tuple[list[Hashed], list[FileResult]]:
        self.progress.phase("Hashing", sum(f.size for f in files))

        def one(item: tuple[int, Candidate]) -> Hashed | FileResult:
            index, f = item
            try:
                return Hashed(index, f, sha256_file(f.path, self.progress.phase_advance))
            except OSError as e:
                return FileResult(f.path, Outcome.FAILED, f.size, reason=f"cannot read: {e}")

        out = self._map(self.options.hash_workers, one, list(enumerate(files)))
        return (
            [h for h in out if isinstance(h, Hashed)],
            [r for r in out if isinstance(r, FileResult)],
        )

    def check(self, hashed: list[Hashed]) -> tuple[list[Hashed], list[Duplicate]]:
        """Files to send, and duplicates: of the server's library, or of another file in
        this run (the same bytes are sent once)."""
        verdicts = self._verdicts(hashed)
        todo: list[Hashed] = []
        duplicates: list[Duplicate] = []
        first_of: dict[str, Path] = {}
        for h in hashed:
            verdict = verdicts.get(str(h.index), {"action": "accept"})
            if verdict.get("action") == "reject" and not self._resumable(h, verdict):
                reason = verdict.get("reason") or "rejected by the server"
                text = "already in the library" if reason == "duplicate" else reason
                result = FileResult(
                    h.file.path, Outcome.DUPLICATE, h.file.size, verdict.get("assetId"), text
                )
                duplicates.append(Duplicate(result))
            elif h.checksum in first_of:
                original = first_of[h.checksum]
                result = FileResult(
                    h.file.path,
                    Outcome.DUPLICATE,
                    h.file.size,
                    reason=f"same content as {original}",
                )
                duplicates.append(Duplicate(result, same_as=original))
            else:
                first_of[h.checksum] = h.file.path
                todo.append(h)
        return todo, duplicates

    def _verdicts(self, hashed: list[Hashed]) -> dict[str, dict[str, Any]]:
        verdicts: dict[str, dict[str, Any]] = {}
        for start in range(0, len(hashed), BULK_CHECK_BATCH):
            batch = hashed[start : start + BULK_CHECK_BATCH]
            items = [{"id": str(h.index), "checksum": h.checksum} for h in batch]
            for verdict in self.client.bulk_check(items):
                verdicts[str(verdict["id"])] = verdict
        return verdicts

    def _resumable(self, h: Hashed, verdict: dict[str, Any]) -> bool:
        """A file we were sending when interrupted is 'known' to the server (its asset is
        pending) yet still ours to finish."""
        entry = self.journal.get(self._key(h), self.server)
        return entry is not None and verdict.get("assetId") in (None, entry.asset_id)

    def upload_all(self, todo: list[Hashed]) -> list[FileResult]:
        """Files an earlier run left in the journal go one by one (resume or clean up);
        the rest get their tickets in bulk, a chunk at a time, as the threads need them."""
        self.progress.phase("Uploading", sum(h.file.size for h in todo))
        journaled = self.journal.keys(self.server)
        resumed = [h for h in todo if self._key(h) in journaled]
        fresh = [h for h in todo if self._key(h) not in journaled]
        dispenser = Dispenser(fresh, lambda h: h.file.size, self._tickets, self.cancel)

        def worker(_: int) -> list[FileResult]:
            done = []
            while (job := dispenser.next()) is not None:
                done.append(self.upload_one(*job))
            return done

        try:
            results = self._map(self.options.concurrency, self.upload_one, resumed)
            threads = min(self.options.concurrency, len(fresh))
            batches = self._map(threads, worker, list(range(threads)))
        finally:
            self._flush_finished()
        return results + [r for batch in batches for r in batch]

    def _tickets(self, chunk: list[Hashed]) -> list[Ticket]:
        """One bulk call for the chunk. Refused as a whole (a name the server will not take,
        an older server): each file asks alone and gets its own answer. Failed (network,
        5xx after the retries): each file of the chunk reports why."""
        items = [{"id": str(h.index), **self._upload_request(h)} for h in chunk]
        try:
            results = {str(r["id"]): r for r in self.client.bulk_uploads(items)}
        except ApiError as e:
            if e.status >= 500:
                return [e] * len(chunk)
            return [None] * len(chunk)
        except httpx.HTTPError as e:
            return [e] * len(chunk)
        tickets: list[Ticket] = [results.get(str(h.index)) for h in chunk]
        # One journal write: this chunk's PUTs begin, the finished ones leave (multipart
        # uploads are journaled as they start).
        self.journal.update(
            add={
                self._key(h): Entry(self.server, t["uploadId"], str(t["assetId"]), 0, 0, "PUT")
                for h, t in zip(chunk, tickets, strict=True)
                if isinstance(t, dict) and t.get("method") == "PUT"
            },
            remove=self._take_finished(),
        )
        return tickets

    def _take_finished(self) -> list[str]:
        with self._finished_lock:
            keys, self._finished = self._finished, []
        return keys

    def _flush_finished(self) -> None:
        self.journal.update(remove=self._take_finished())

    def _map[T, R](self, workers: int, fn: Callable[[T], R], items: list[T]) -> list[R]:
        pool = ThreadPoolExecutor(max(1, workers))
        try:
            return list(pool.map(fn, items))
        except BaseException:
            # Ctrl-C: streams stop mid-chunk, queued work is dropped; the journal keeps what
            # a multipart upload needs to resume.
            self.cancel.set()
            pool.shutdown(wait=True, cancel_futures=True)
            raise
        finally:
            pool.shutdown()

    # -- one file --------------------------------------------------------------------
    def _key(self, h: Hashed) -> str:
        return key_for(h.file.path, h.file.size, h.file.mtime_ns, h.checksum)

    def upload_one(self, h: Hashed, ticket: Ticket = None) -> FileResult:
        key = str(h.file.path)
        self.progress.file_start(key, h.file.path.name, h.file.size)
        try:
            if isinstance(ticket, BaseException):
                raise ticket
            result = self._upload(h) if ticket is None else self._use(h, ticket)
            return self._with_sidecar(h, result)
        except Cancelled:
            return FileResult(h.file.path, Outcome.FAILED, h.file.size, reason="interrupted")
        except ApiError as e:
            return FileResult(h.file.path, Outcome.FAILED, h.file.size, reason=str(e))
        except (httpx.HTTPError, OSError) as e:
            return FileResult(
                h.file.path, Outcome.FAILED, h.file.size, reason=f"{type(e).__name__}: {e}"
            )
        finally:
            self.progress.file_end(key)

    def _with_sidecar(self, h: Hashed, result: FileResult) -> FileResult:
        """Sends the photo's XMP sidecar once the photo is uploaded. The photo stays uploaded
        when its sidecar fails; the result says why the sidecar was not sent."""
        sidecar = h.file.sidecar
        if sidecar is None or result.outcome != Outcome.UPLOADED or not result.asset_id:
            return result
        try:
            data = sidecar.read_bytes()
            ticket = self.client.attach_sidecar(
                str(result.asset_id),
                {"size": len(data), "checksum": sha256_b64_bytes(data), "contentType": XMP_TYPE},
            )
            headers = with_length(ticket.get("headers") or {}, len(data))
            self.client.put(ticket["url"], headers, lambda: data)
        except (ApiError, httpx.HTTPError, OSError) as e:
            result.reason = f"sidecar {sidecar.name} not sent: {e}"
        return result

    def _upload(self, h: Hashed) -> FileResult:
        jkey = self._key(h)
        entry = self.journal.get(jkey, self.server)
        if entry is not None and entry.method == "PUT":
            self._abandon(entry, jkey)
        elif entry is not None:
            try:
                return self._multipart(h, entry, jkey, resume=True)
            except ApiError as e:
                if e.status not in GONE_STATUSES:
                    raise
                self.journal.remove(jkey)  # expired or finished elsewhere: start again
        ticket = self.client.create_upload(self._upload_request(h))
        if ticket.get("method") == "PUT":
            entry = Entry(self.server, ticket["uploadId"], str(ticket["assetId"]), 0, 0, "PUT")
            self.journal.put(jkey, entry)
        return self._use(h, ticket)

    def _use(self, h: Hashed, ticket: dict[str, Any]) -> FileResult:
        """Act on the server's answer for one file: nothing to send, a PUT, or multipart."""
        jkey = self._key(h)
        asset_id = ticket.get("assetId")
        if ticket.get("status") == "error":
            error = ticket.get("error") or {}
            raise ApiError(
                int(error.get("statusCode", 0)),
                str(error.get("message", "refused")),
                str(error.get("error", "")),
            )
        if ticket.get("status") == "duplicate":
            return FileResult(
                h.file.path, Outcome.DUPLICATE, h.file.size, asset_id, self._why_duplicate(asset_id)
            )
        if ticket.get("method") == "MULTIPART":
            entry = Entry(
                self.server,
                ticket["uploadId"],
                str(asset_id),
                int(ticket["partSize"]),
                int(ticket["partCount"]),
            )
            self.journal.put(jkey, entry)
            return self._multipart(h, entry, jkey, resume=False)
        result = self._put(h, ticket)
        # The journal entry is kept when the PUT fails, so the next run cleans up.
        with self._finished_lock:
            self._finished.append(jkey)
        return result

    def _abandon(self, entry: Entry, jkey: str) -> None:
        """An earlier run created this upload and never finished its PUT: the server holds a
        pending asset without bytes, which would make these bytes look like a duplicate
        forever. Abort it (its URL has expired anyway) so a fresh upload can start."""
        try:
            self.client.abort(entry.upload_id)
        except ApiError as e:
            # Gone, or the bytes did arrive after all (409): either way nothing to undo.
            if e.status not in GONE_STATUSES:
                raise
        self.journal.remove(jkey)

    def _why_duplicate(self, asset_id: str | None) -> str:
        """The bulk check said new, the upload request says known: another device got there
        first, or an earlier request of ours reached the server and its answer was lost.
        A still-pending asset has no bytes yet, so say so rather than 'in the library'."""
        try:
            status = self.client.get_asset(str(asset_id)).get("status")
        except (ApiError, httpx.HTTPError):
            status = None
        if status == "pending":
            return (
                "the server holds a pending upload of these bytes (another device, or an "
                "interrupted request); it is kept only if its bytes arrive"
            )
        return "already in the library"

    def _upload_request(self, h: Hashed) -> dict[str, Any]:
        f = h.file
        return {
            "filename": f.path.name,
            "size": f.size,
            "checksum": h.checksum,
            "contentType": f.content_type,
            "fileCreatedAt": iso_time(f.mtime_ns),
            "fileModifiedAt": iso_time(f.mtime_ns),
            "deviceAssetId": f"{f.path.name}-{f.size}",
            "deviceId": DEVICE_ID,
            # Where it came from: the server's folder view browses these folders.
            "originalPath": f.path.resolve().as_posix(),
        }

    def _on_bytes(self, key: str) -> Callable[[int], None]:
        def report(n: int) -> None:
            self.progress.file_advance(key, n)

        return report

    def _put(self, h: Hashed, ticket: dict[str, Any]) -> FileResult:
        f = h.file
        body = ByteStream(f.path, 0, f.size, self._on_bytes(str(f.path)), self.cancel)
        self.client.put(ticket["url"], with_length(ticket.get("headers") or {}, f.size), body)
        return FileResult(f.path, Outcome.UPLOADED, f.size, ticket.get("assetId"))

    def _multipart(self, h: Hashed, entry: Entry, jkey: str, resume: bool) -> FileResult:
        f = h.file
        ranges = part_ranges(f.size, entry.part_size)
        if len(ranges) != entry.part_count:
            raise ApiError(
                0,
                f"server expects {entry.part_count} parts of {entry.part_size} "
                f"bytes, the file makes {len(ranges)}",
            )
        sender = MultipartSender(
            self.client,
            entry.upload_id,
            f.path,
            ranges,
            self._on_bytes(str(f.path)),
            self.cancel,
            self.options.part_concurrency,
        )
        skipped = sender.resume() if resume else 0
        asset_id = sender.send_missing() or entry.asset_id
        self.journal.remove(jkey)
        return FileResult(f.path, Outcome.UPLOADED, f.size, asset_id, resumed_parts=skipped)
