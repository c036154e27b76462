"""Faults before and around ingest, on the real stack: S3's ObjectCreated events delivered
twice and out of order into the real ingest handler, and S3 reads of the original timing
out mid-stage (a read timeout, a connect timeout). Each ends with every asset ready, one row
per asset, rendition and stage, and every object in S3 (test_faults.py's checks)."""

from __future__ import annotations

from typing import Any
from uuid import UUID

import pytest
from botocore.exceptions import ConnectTimeoutError, ReadTimeoutError

from tests.integration.faults.test_faults import _assert_once, _rows, _settle, _stage
from tests.support.harness import Harness
from tests.support.samples import photo


def _take_all(h: Harness, stage: str, count: int) -> tuple[str, list[dict[str, Any]]]:
    """Receives ``count`` messages of the stage's queue (S3's events, as SNS delivered
    them) without handling them: the test decides how they arrive."""
    sqs = h.container.sqs
    url = sqs.get_queue_url(QueueName=h.container.settings.queue_name(stage))["QueueUrl"]
    messages: list[dict[str, Any]] = []
    for _ in range(50):
        got = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, VisibilityTimeout=60)
        messages.extend(got.get("Messages", []))
        if len(messages) >= count:
            break
    assert len(messages) == count, messages
    return url, messages


def _redeliver(h: Harness, url: str, bodies: list[str]) -> None:
    for body in bodies:
        h.container.sqs.send_message(QueueUrl=url, MessageBody=body)


def _original_key(h: Harness, asset_id: str) -> str:
    (row,) = _rows(h, "SELECT storage_key FROM assets WHERE id = %s", UUID(asset_id))
    return str(row["storage_key"])


def test_duplicate_and_out_of_order_s3_events_make_one_asset_each(harness: Harness) -> None:
    token = harness.user("pia@example.com")
    harness.drain(("ingest",))  # the bucket's s3:TestEvent, from when it was set up
    first = harness.upload(token, "first.jpg", photo(seed=11))["assetId"]
    second = harness.upload(token, "second.jpg", photo(seed=12))["assetId"]
    url, events = _take_all(harness, "ingest", 2)
    bodies = [m["Body"] for m in events]
    for m in events:  # the originals are replaced by what the test sends
        harness.container.sqs.delete_message(QueueUrl=url, ReceiptHandle=m["ReceiptHandle"])
    # Newest first, each twice, one duplicate right behind its twin.
    _redeliver(harness, url, [bodies[1], bodies[1], bodies[0], bodies[1], bodies[0]])

    assets = _settle(harness, token, [first, second])

    assert [a["status"] for a in assets] == ["ready", "ready"], assets
    for asset_id in (first, second):
        _assert_once(harness, asset_id)
    owned = _rows(
        harness,
        "SELECT a.id FROM assets a JOIN users u ON u.id = a.owner_id WHERE u.email = %s",
        "pia@example.com",
    )
    assert sorted(str(r["id"]) for r in owned) == sorted([first, second])
    # Each original is still the bytes uploaded, under its one key.
    s3 = harness.container.s3
    for asset_id, seed in ((first, 11), (second, 12)):
        key = _original_key(harness, asset_id)
        got = s3.get_object(Bucket=harness.container.settings.bucket, Key=key)["Body"].read()
        assert got == photo(seed=seed)
    # Long after, the same event once more: nothing changes.
    before = {a: harness.asset(token, a) for a in (first, second)}
    _redeliver(harness, url, [bodies[0]])
    harness.drain(("ingest",))
    for asset_id in (first, second):
        after = harness.asset(token, asset_id)
        assert after["status"] == "ready" and after["stages"] == before[asset_id]["stages"]
        _assert_once(harness, asset_id)


@pytest.mark.parametrize(
    ("stage", "fault"),
    [
        ("ingest", lambda: ConnectTimeoutError(endpoint_url="https://s3")),
        ("thumbnail", lambda: ReadTimeoutError(endpoint_url="https://s3")),
    ],
    ids=["ingest-connect-timeout", "thumbnail-read-timeout"],
)
def test_reading_the_original_timing_out_fails_the_record_then_the_retry_succeeds(
    harness: Harness, stage: str, fault: Any
) -> None:
    token = harness.user(f"{stage}-timeout@example.com")
    harness.drain(("ingest",))  # the bucket's s3:TestEvent, from when it was set up
    asset_id = harness.upload(token, "slow.jpg", photo(seed=13))["assetId"]
    if stage != "ingest":
        harness.drain(("ingest",))
    key = _original_key(harness, asset_id)
    timed_out: list[str] = []

    def time_out(request: Any, **_: Any) -> None:
        # Every GET of the original, for the whole first delivery: whatever botocore's
        # own retries, the record fails and SQS delivers it again.
        if key in request.url:
            timed_out.append(request.url)
            raise fault()

    events = harness.container.s3.meta.events
    events.register_first("before-send.s3.GetObject", time_out)
    try:
        result = harness.runner.run_once(stage, wait_seconds=0)
    finally:
        events.unregister("before-send.s3.GetObject", time_out)

    assert result.size == 1 and len(result.failed) == 1, result
    assert len(timed_out) > 1  # botocore retried the GET before the record failed
    mid = harness.asset(token, asset_id)
    assert mid["status"] != "failed", mid  # a timeout is not the file's fault
    (asset,) = _settle(harness, token, [asset_id])
    assert asset["status"] == "ready", asset
    assert _stage(asset, stage)["status"] == "done"
    assert _stage(asset, stage)["attempts"] >= 2
    _assert_once(harness, asset_id)
