"""What ingest asks S3 per photo, counted on the real client against moto: one GET of the
original (its answer carries the size the upload announced, and a missing key fails it), no
HEAD, and one GET of the sidecar's key. A missing object, a wrong size and bytes S3's own
checksum disagrees with are still rejected with the same reasons, and removed."""

from __future__ import annotations

import base64
import hashlib
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import httpx
import pytest

from chalicelib.storage.s3 import FetchedObject
from tests.support.harness import Harness
from tests.support.samples import camera_exif, photo


@contextmanager
def s3_requests(h: Harness) -> Iterator[Counter[tuple[str, str]]]:
    """Every S3 request the container's client makes meanwhile, as (operation, key)."""
    counts: Counter[tuple[str, str]] = Counter()

    def count(model: Any, params: dict[str, Any], **_: Any) -> None:
        counts[(model.name, str(params.get("Key", "")))] += 1

    events = h.container.s3.meta.events
    events.register("before-parameter-build.s3", count)
    try:
        yield counts
    finally:
        events.unregister("before-parameter-build.s3", count)


def _ingest(h: Harness) -> None:
    h.drain(("ingest",))


def _keys(h: Harness, token: str, asset_id: str) -> tuple[str, str]:
    owner = h.asset(token, asset_id)["ownerId"]
    prefix = f"users/{owner}/{asset_id}/"
    return prefix + "original.jpg", prefix + "sidecar.xmp"


def _failure(h: Harness, token: str, asset_id: str) -> tuple[str, str, dict[str, Any]]:
    a = h.asset(token, asset_id)
    ingest = next(st for st in a["stages"] if st["stage"] == "ingest")
    return a["status"], a["failureReason"], ingest


def test_an_upload_is_ingested_with_one_get_of_its_original_and_no_head(
    harness: Harness,
) -> None:
    token = harness.user("requests@example.com")
    _ingest(harness)  # the bucket's s3:TestEvent, from when it was set up
    data = photo(seed=21, exif=camera_exif())
    asset_id = harness.upload(token, "IMG_0021.JPG", data)["assetId"]
    original, sidecar = _keys(harness, token, asset_id)

    with s3_requests(harness) as asked:
        _ingest(harness)

    assert asked == Counter({("GetObject", original): 1, ("GetObject", sidecar): 1}), asked
    a = harness.asset(token, asset_id)
    ingest = next(st for st in a["stages"] if st["stage"] == "ingest")
    assert (ingest["status"], ingest["attempts"]) == ("done", 1)
    assert a["checksum"] == base64.b64encode(hashlib.sha256(data).digest()).decode()
    assert a["exifInfo"]["make"] == "Canon" and a["exifInfo"]["fileSizeInByte"] == len(data)
    assert a["exifInfo"]["dateSource"] == "exif"
    assert harness.container.store.keys(f"users/{a['ownerId']}/") == [original]


def test_a_missing_original_is_rejected_with_one_get(harness: Harness) -> None:
    token = harness.user("missing@example.com")
    _ingest(harness)
    asset_id = harness.upload(token, "gone.jpg", photo(seed=22))["assetId"]
    original, _ = _keys(harness, token, asset_id)
    harness.container.store.delete(original)  # after S3 announced it: the event is queued

    with s3_requests(harness) as asked:
        _ingest(harness)

    status, reason, ingest = _failure(harness, token, asset_id)
    assert (status, reason) == ("failed", "The uploaded object is missing from storage")
    assert (ingest["status"], ingest["error"]) == ("failed", reason)
    # Nothing read beyond the one GET; the (already absent) key is deleted as for any reject.
    assert asked == Counter({("GetObject", original): 1, ("DeleteObject", original): 1}), asked


def test_a_wrong_size_is_rejected_before_the_body_is_read(
    harness: Harness, monkeypatch: pytest.MonkeyPatch
) -> None:
    token = harness.user("short@example.com")
    _ingest(harness)
    data = photo(seed=23)
    ticket = harness.start_upload(token, "short.jpg", data).json
    # moto does not enforce the signed length: a client that sends fewer bytes.
    put = httpx.put(ticket["url"], content=data[:-10], headers=ticket["headers"])
    assert put.status_code == 200, put.text
    original, _ = _keys(harness, token, ticket["assetId"])
    bodies_read: list[int] = []
    write_to = FetchedObject.write_to

    def spy(self: FetchedObject, fileobj: Any) -> None:
        bodies_read.append(self.size)
        write_to(self, fileobj)

    monkeypatch.setattr(FetchedObject, "write_to", spy)
    with s3_requests(harness) as asked:
        _ingest(harness)

    status, reason, _ = _failure(harness, token, ticket["assetId"])
    assert status == "failed"
    assert reason == (
        f"Size mismatch: the upload announced {len(data)} bytes, storage holds {len(data) - 10}"
    )
    assert bodies_read == []  # refused on the GET's head fields, no byte downloaded
    assert asked == Counter({("GetObject", original): 1, ("DeleteObject", original): 1}), asked
    assert harness.container.store.keys("users/") == []


def test_bytes_s3_checksum_disagrees_with_are_rejected(harness: Harness) -> None:
    """S3 answers the GET with the checksum stored at upload; botocore checks the body against
    it as it is read. Here the body is the announced file (so ingest's own SHA-256 would
    pass) but S3's checksum is another: only that check can reject it."""
    token = harness.user("checksum@example.com")
    _ingest(harness)
    data = photo(seed=24)
    asset_id = harness.upload(token, "flipped.jpg", data)["assetId"]
    original, _ = _keys(harness, token, asset_id)
    s3 = harness.container.s3
    wrong = base64.b64encode(hashlib.sha256(b"other bytes").digest()).decode()
    tampered: list[str] = []

    def other_checksum(request: Any, **_: Any) -> Any:
        if request.method != "GET" or not request.url.split("?")[0].endswith(original):
            return None
        response = s3._endpoint.http_session.send(request)
        assert response.headers.get("x-amz-checksum-sha256"), response.headers
        response.headers["x-amz-checksum-sha256"] = wrong
        tampered.append(request.url)
        return response

    s3.meta.events.register_first("before-send.s3.GetObject", other_checksum)
    try:
        with s3_requests(harness) as asked:
            _ingest(harness)
    finally:
        s3.meta.events.unregister("before-send.s3.GetObject", other_checksum)

    assert len(tampered) == 1
    status, reason, ingest = _failure(harness, token, asset_id)
    assert status == "failed"
    assert reason == "Checksum mismatch: the stored bytes are not the announced file"
    assert ingest["status"] == "failed"
    assert asked == Counter({("GetObject", original): 1, ("DeleteObject", original): 1}), asked
    assert harness.container.store.keys("users/") == []
