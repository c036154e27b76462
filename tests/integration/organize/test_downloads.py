"""Zip downloads: planned into parts by the API, built in S3 by the archive stage, fetched
through presigned GETs; the zips hold exactly the chosen originals, byte for byte."""

from __future__ import annotations

import io
import json
import zipfile
from datetime import UTC, datetime, timedelta

import httpx
import pytest

from chalicelib.api.http import ROUTES
from chalicelib.services import downloads
from chalicelib.workers import archive
from tests.support.organize import Harness, add, photo, sha256


def _fetch_zips(h: Harness, token: str, archive_id: str) -> tuple[dict, dict[str, str]]:
    """The archive's JSON and {entry name: sha256} over all its parts."""
    body = h.call("GET", f"/api/download/archive/{archive_id}", token=token).json
    entries: dict[str, str] = {}
    for part in body["parts"]:
        got = httpx.get(part["url"])
        assert got.status_code == 200
        assert part["size"] == len(got.content)
        with zipfile.ZipFile(io.BytesIO(got.content)) as zf:
            assert zf.testzip() is None
            for name in zf.namelist():
                assert name not in entries
                entries[name] = sha256(zf.read(name))
    return body, entries


def test_a_selection_becomes_zip_parts_of_exactly_those_originals(harness: Harness) -> None:
    # Parts are planned from a few small photos here; the floor on the part size is tested
    # on its own (test_a_tiny_part_size_is_raised_to_the_floor).
    harness.container.settings.min_archive_part_bytes = 1
    alice = harness.user("alice@example.com")
    # Zips follow capture time: a, b, c.
    files = {
        n: photo(i, size=(96 + 16 * i, 64), taken=f"2020:01:0{i} 10:00:00")
        for i, n in enumerate(("a", "b", "c", "d"), 1)
    }
    asset = {
        n: add(harness, alice, "IMG_0001.jpg" if n in "ab" else f"{n}.jpg", data)
        for n, data in files.items()
    }
    harness.drain(("ingest",))
    chosen = ["a", "b", "c"]
    limit = len(files["a"]) + len(files["b"])  # a + b fit one part; c needs another

    r = harness.call(
        "POST",
        "/api/download/archive",
        {"assetIds": [asset[n] for n in chosen], "archiveSize": limit},
        alice,
    )
    assert r.status_code == 202, r.body
    started = r.json
    assert started["status"] == "queued" and started["assetCount"] == 3
    assert started["totalSize"] == sum(len(files[n]) for n in chosen)
    assert [(p["partNumber"], p["assetCount"], p["url"]) for p in started["parts"]] == [
        (1, 2, None),
        (2, 1, None),
    ]

    harness.drain(("archive",))
    body, entries = _fetch_zips(harness, alice, started["id"])
    assert body["status"] == "done"
    assert [p["skipped"] for p in body["parts"]] == [0, 0]
    # Same file name twice: the second is renamed, as Immich does; the bytes are untouched.
    assert sorted(entries.values()) == sorted(sha256(files[n]) for n in chosen)
    assert set(entries) == {"IMG_0001.jpg", "IMG_0001 (1).jpg", "c.jpg"}
    assert sha256(files["d"]) not in entries.values()


def test_a_tiny_part_size_is_raised_to_the_floor(harness: Harness) -> None:
    """``archiveSize: 1`` would be one zip, one message and one Lambda run per asset."""
    alice = harness.user("alice@example.com")
    ids = [add(harness, alice, f"{n}.jpg", photo(i)) for i, n in enumerate("abc", 1)]
    harness.drain(("ingest",))
    r = harness.call("POST", "/api/download/archive", {"assetIds": ids, "archiveSize": 1}, alice)
    assert r.status_code == 202, r.body
    floor = harness.container.settings.min_archive_part_bytes
    assert floor == 64 * 1024**2
    assert r.json["archiveSize"] == floor
    assert [(p["partNumber"], p["assetCount"]) for p in r.json["parts"]] == [(1, 3)]


def test_only_what_the_caller_may_download(harness: Harness) -> None:
    alice = harness.user("alice@example.com")
    eve = harness.user("eve@example.com")
    mine = add(harness, alice, "a.jpg", photo(1))
    theirs = add(harness, eve, "e.jpg", photo(2))
    harness.drain(("ingest",))

    r = harness.call("POST", "/api/download/archive", {"assetIds": [mine, theirs]}, alice)
    assert r.status_code == 404 and r.json["message"] == "One or more assets not found"
    ok = harness.call("POST", "/api/download/archive", {"assetIds": [mine]}, alice).json
    assert harness.call("GET", f"/api/download/archive/{ok['id']}", token=eve).status_code == 404
    assert harness.call("GET", f"/api/download/archive/{ok['id']}").status_code == 401
    both = harness.call(
        "POST", "/api/download/archive", {"assetIds": [mine], "albumId": ok["id"]}, alice
    )
    assert both.status_code == 400
    pending = harness.start_upload(alice, "p.jpg", photo(3)).json["assetId"]
    nothing = harness.call("POST", "/api/download/archive", {"assetIds": [pending]}, alice)
    assert nothing.status_code == 400


@pytest.mark.skipif(not any(r.path == "/api/albums" for r in ROUTES), reason="no albums API")
def test_an_album_downloads_for_its_members_only(harness: Harness) -> None:
    alice = harness.user("alice@example.com")
    carol = harness.user("carol@example.com")
    eve = harness.user("eve@example.com")
    files = {n: photo(i) for i, n in enumerate(("a", "b", "c"), 1)}
    asset = {n: add(harness, alice, f"{n}.jpg", data) for n, data in files.items()}
    harness.drain(("ingest",))
    carol_id = harness.call("GET", "/api/users/me", token=carol).json["id"]
    album = harness.call(
        "POST",
        "/api/albums",
        {
            "albumName": "Trip",
            "assetIds": [asset["a"], asset["b"]],
            "albumUsers": [{"userId": carol_id, "role": "viewer"}],
        },
        alice,
    )
    assert album.status_code == 201, album.body

    r = harness.call("POST", "/api/download/archive", {"albumId": album.json["id"]}, carol)
    assert r.status_code == 202, r.body
    harness.drain(("archive",))
    _, entries = _fetch_zips(harness, carol, r.json["id"])
    assert sorted(entries.values()) == sorted(sha256(files[n]) for n in ("a", "b"))
    stranger = harness.call("POST", "/api/download/archive", {"albumId": album.json["id"]}, eve)
    assert stranger.status_code == 404


def test_a_built_part_is_not_rebuilt_and_expired_zips_go(harness: Harness) -> None:
    alice = harness.user("alice@example.com")
    mine = add(harness, alice, "a.jpg", photo(1))
    harness.drain(("ingest",))
    started = harness.call("POST", "/api/download/archive", {"assetIds": [mine]}, alice).json
    harness.drain(("archive",))
    c = harness.container
    owner = harness.call("GET", "/api/users/me", token=alice).json["id"]
    prefix = f"downloads/{owner}/{started['id']}/"
    assert c.store.keys(prefix) == [f"{prefix}part-0001.zip"]

    c.store.delete(f"{prefix}part-0001.zip")  # a redelivered message must not rebuild it
    archive.handle(json.dumps({"archiveId": started["id"], "partNumber": 1}), c)
    assert c.store.keys(prefix) == []

    assert c.download_service.expire(datetime.now(UTC) + timedelta(hours=1)) == {"expired": 0}
    c.store.put(f"{prefix}part-0001.zip", b"zip", "application/zip")
    assert c.download_service.expire(datetime.now(UTC) + timedelta(days=2)) == {"expired": 1}
    assert c.store.keys(prefix) == []
    gone = harness.call("GET", f"/api/download/archive/{started['id']}", token=alice)
    assert gone.status_code == 404


def test_the_zip_streams_through_multipart_with_bounded_memory(aws_container) -> None:
    """12 MiB of originals → a zip uploaded in 5 MiB parts; the buffer never holds more
    than a part plus one read; a missing original is skipped, not fatal."""
    store = aws_container.store
    blobs = {f"src/{i}.bin": bytes([i]) * (6 * 1024 * 1024 + i) for i in (1, 2)}
    for key, data in blobs.items():
        store.put(key, data, "application/octet-stream")
    peak = 0

    class Watched(archive.S3Sink):
        def write(self, data: bytes) -> int:
            nonlocal peak
            written = super().write(data)
            peak = max(peak, len(self._buffer))
            return written

    sink = Watched(store.s3, store.bucket, "out/test.zip", part_size=5 * 1024 * 1024)
    assets = [
        {"storage_key": k, "original_file_name": k.split("/")[1], "file_size": len(v)}
        for k, v in blobs.items()
    ]
    assets.append({"storage_key": "src/gone.bin", "original_file_name": "gone.bin", "file_size": 1})
    skipped = archive.write_zip(sink, assets, store.open)
    size = sink.finish()

    assert skipped == 1 and len(sink._parts) == 3
    assert peak < 5 * 1024 * 1024
    data = store.s3.get_object(Bucket=store.bucket, Key="out/test.zip")["Body"].read()
    assert len(data) == size
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        assert {n: sha256(zf.read(n)) for n in zf.namelist()} == {
            k.split("/")[1]: sha256(v) for k, v in blobs.items()
        }


def test_plan_splits_greedily_and_gives_big_files_their_own_part() -> None:
    sizes = [{"id": i, "file_size": s} for i, s in enumerate((4, 3, 9, 1, 1, 2))]
    assert [[a["id"] for a in p] for p in downloads.plan(sizes, 7)] == [[0, 1], [2], [3, 4, 5]]
    assert archive.part_size_for(0) == archive.MIN_PART
    assert archive.part_size_for(200 * 1024**3) * archive.MAX_PARTS > 200 * 1024**3
    taken: set[str] = set()
    assert [archive.entry_name(n, taken) for n in ("a.jpg", "A.JPG", "a.jpg", "noext")] == [
        "a.jpg",
        "A (1).JPG",
        "a (2).jpg",
        "noext",
    ]


def test_the_archive_stage_is_started_by_the_api_only() -> None:
    from chalicelib import pipeline

    stage = pipeline.get_stage("archive")
    assert stage.trigger == pipeline.MANUAL and not stage.is_s3_triggered
    handed_to = {f.name for s in pipeline.STAGES for f in pipeline.followers(s.name)}
    assert "archive" not in handed_to  # no stage hands off to it...
    assert pipeline.followers("archive") == []  # ...nor does it hand off
    pipeline.validate((pipeline.Stage("zip", pipeline.MANUAL, "x:y"),))
    assert stage.visibility_timeout_seconds >= 6 * stage.timeout_seconds
