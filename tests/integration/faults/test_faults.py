"""Faults on the real stack (PostgreSQL, moto, the local event-source runner): the database
dropping mid-request and mid-stage, S3 answering 500 / 503 SlowDown, SQS delivering late and
out of order, a Lambda killed mid-batch. Each shows the retry or the clear error, and that
no asset, object or row is lost or duplicated.

The faults are real where they can be: a backend ended with ``pg_terminate_backend`` while
it waits on a lock the test holds; S3 errors answered by a botocore ``before-send`` hook on
the container's own client (moto cannot be told to fail).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any
from uuid import UUID

import psycopg
from botocore.awsrequest import AWSResponse

from chalicelib import messaging
from chalicelib.local.runner import FakeLambdaContext, lambda_record
from tests.support.harness import Harness
from tests.support.samples import photo

KINDS = {"preview", "thumbnail"}  # the renditions the thumbnail stage files


def _rows(h: Harness, sql: str, *args: Any) -> list[dict[str, Any]]:
    with psycopg.connect(h.container.settings.database_url, row_factory=psycopg.rows.dict_row) as c:
        return c.execute(sql, args).fetchall()


def _settle(h: Harness, token: str, asset_ids: list[str], within: float = 60.0) -> list[dict]:
    """Drains until every asset is ready (a failed record comes back once its visibility
    timeout, 2 s in these tests, has passed); a bounded wait, not a timing assertion."""
    deadline = time.monotonic() + within
    while True:
        h.drain()
        assets = [h.asset(token, a) for a in asset_ids]
        if all(a["status"] == "ready" for a in assets) or time.monotonic() > deadline:
            return assets
        time.sleep(0.5)


def _assert_once(h: Harness, asset_id: str) -> None:
    """One asset row, one row per rendition, one row per stage, every object in S3."""
    assert len(_rows(h, "SELECT id FROM assets WHERE id = %s", UUID(asset_id))) == 1
    files = _rows(
        h, "SELECT kind, storage_key FROM asset_files WHERE asset_id = %s", UUID(asset_id)
    )
    kinds = [f["kind"] for f in files]
    assert set(kinds) >= KINDS and len(kinds) == len(set(kinds)), kinds
    stages = [
        r["stage"]
        for r in _rows(h, "SELECT stage FROM asset_stages WHERE asset_id = %s", UUID(asset_id))
    ]
    assert len(stages) == len(set(stages)), stages
    s3 = h.container.s3
    for f in files:
        assert s3.head_object(Bucket=h.container.settings.bucket, Key=f["storage_key"])


@contextmanager
def _table_locked(h: Harness, table: str) -> Iterator[Callable[[], int]]:
    """Holds an exclusive lock on ``table``; yields a function that waits for a backend of
    the app to block on it and terminates that backend (returning its pid)."""
    admin = psycopg.connect(h.container.settings.database_url)
    admin.execute(f"LOCK TABLE {table} IN ACCESS EXCLUSIVE MODE")  # in a transaction

    def terminate_waiter() -> int:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            with psycopg.connect(h.container.settings.database_url, autocommit=True) as probe:
                row = probe.execute(
                    "SELECT pid FROM pg_stat_activity WHERE datname = current_database()"
                    " AND wait_event_type = 'Lock' AND pid <> pg_backend_pid()"
                ).fetchone()
                if row:
                    probe.execute("SELECT pg_terminate_backend(%s)", (row[0],))
                    return int(row[0])
            time.sleep(0.05)
        raise AssertionError(f"nothing waited on {table}")

    try:
        yield terminate_waiter
    finally:
        admin.rollback()
        admin.close()


def _stage(asset: dict[str, Any], name: str) -> dict[str, Any]:
    (stage,) = [s for s in asset["stages"] if s["stage"] == name]
    return stage


def _in_thread(fn: Callable[[], Any]) -> Callable[[], Any]:
    result: dict[str, Any] = {}
    thread = threading.Thread(target=lambda: result.update(value=fn()), daemon=True)
    thread.start()

    def join() -> Any:
        thread.join(120)
        assert not thread.is_alive()
        return result.get("value")

    return join


def _ready_photo(h: Harness, token: str, seed: int) -> str:
    asset_id = h.upload(token, f"f{seed}.jpg", photo(seed=seed))["assetId"]
    return asset_id


# ---- the database ------------------------------------------------------------------------


def test_database_dropping_mid_request_is_a_503_and_the_next_request_works(harness: Harness):
    token = harness.user("kim@example.com")
    asset_id = _ready_photo(harness, token, 1)
    assert harness.call("GET", "/api/assets", token=token).status_code == 200
    with _table_locked(harness, "assets") as terminate_waiter:
        answer = _in_thread(lambda: harness.call("GET", "/api/assets", token=token))
        terminate_waiter()
        r = answer()
    assert r.status_code == 503, r.body
    assert r.json == {
        "statusCode": 503,
        "error": "Service Unavailable",
        "message": "The database is unavailable; retry the request",
    }
    assert r.headers["Retry-After"] == "1"
    again = harness.call("GET", "/api/assets", token=token)
    assert again.status_code == 200
    assert [a["id"] for a in again.json["items"]] == [asset_id]


def test_database_dropping_mid_stage_retries_the_message_and_the_asset_ends_ready(
    harness: Harness,
):
    token = harness.user("lee@example.com")
    asset_id = _ready_photo(harness, token, 2)
    harness.drain(("ingest",))
    # The thumbnail stage renders and stores the renditions, then files them: it blocks
    # there, and its connection is ended under it.
    with _table_locked(harness, "asset_files") as terminate_waiter:
        batch = _in_thread(lambda: harness.runner.run_once("thumbnail", wait_seconds=0))
        terminate_waiter()
        result = batch()
    assert result.size == 1 and len(result.failed) == 1, result  # SQS delivers it again
    (asset,) = _settle(harness, token, [asset_id])
    assert asset["status"] == "ready", asset
    assert _stage(asset, "thumbnail")["status"] == "done"
    _assert_once(harness, asset_id)


# ---- S3 ------------------------------------------------------------------------------------


class _Body:
    def __init__(self, data: bytes) -> None:
        self.data = data

    def stream(self, **_: Any) -> Iterator[bytes]:
        yield self.data


def _s3_error(status: int, code: str) -> AWSResponse:
    xml = f"<Error><Code>{code}</Code><Message>{code}</Message></Error>".encode()
    return AWSResponse("https://s3", status, {"Content-Type": "application/xml"}, _Body(xml))


def test_s3_answering_500_and_503_slow_down_is_retried_and_nothing_is_lost(harness: Harness):
    token = harness.user("max@example.com")
    asset_id = _ready_photo(harness, token, 3)
    harness.drain(("ingest",))
    # Eight failures in a row: more than botocore's five attempts (standard mode) for the
    # first PutObject, so the stage fails once and SQS delivers the record again, and the
    # retry outlives the rest.
    faults = [_s3_error(500, "InternalError"), _s3_error(503, "SlowDown")] * 4
    answered: list[int] = []

    def flaky(request: Any, **_: Any) -> AWSResponse | None:
        if not faults:
            return None
        response = faults.pop(0)
        answered.append(response.status_code)
        return response

    events = harness.container.s3.meta.events
    events.register_first("before-send.s3.PutObject", flaky)
    try:
        (asset,) = _settle(harness, token, [asset_id])
    finally:
        events.unregister("before-send.s3.PutObject", flaky)
    assert answered == [500, 503] * 4  # every fault was served, and outlived
    assert asset["status"] == "ready", asset
    _assert_once(harness, asset_id)


# ---- SQS -----------------------------------------------------------------------------------


def test_late_and_out_of_order_redeliveries_change_nothing(harness: Harness):
    token = harness.user("ned@example.com")
    first = _ready_photo(harness, token, 4)
    second = _ready_photo(harness, token, 5)
    (a1, a2) = _settle(harness, token, [first, second])
    assert a1["status"] == a2["status"] == "ready"
    before = {
        a: (
            _rows(harness, "SELECT * FROM asset_files WHERE asset_id = %s ORDER BY kind", UUID(a)),
            harness.asset(token, a),
        )
        for a in (first, second)
    }
    # Long after: the stage's messages again, out of order and twice for one asset.
    sqs = harness.container.sqs
    url = sqs.get_queue_url(QueueName=harness.container.settings.queue_name("thumbnail"))
    for asset in (second, first, second):
        body = messaging.body("thumbnail", UUID(asset))
        sqs.send_message(QueueUrl=url["QueueUrl"], MessageBody=body)
    harness.drain(("thumbnail",))
    for a in (first, second):
        files, asset = before[a]
        assert (
            _rows(harness, "SELECT * FROM asset_files WHERE asset_id = %s ORDER BY kind", UUID(a))
            == files
        )
        again = harness.asset(token, a)
        assert again["status"] == "ready" and again["stages"] == asset["stages"]
        _assert_once(harness, a)


def test_a_lambda_killed_mid_batch_loses_and_duplicates_nothing(harness: Harness):
    token = harness.user("oda@example.com")
    ids = [_ready_photo(harness, token, seed) for seed in (6, 7, 8)]
    harness.drain(("ingest",))
    sqs = harness.container.sqs
    url = sqs.get_queue_url(QueueName=harness.container.settings.queue_name("thumbnail"))[
        "QueueUrl"
    ]
    attrs = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]
    messages: list[dict[str, Any]] = []
    while len(messages) < 3:
        got = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, AttributeNames=["All"])
        messages.extend(got.get("Messages", []))
    # The function handles the first record of its batch, then dies: it never answers, so
    # nothing is deleted and every record of the batch comes back after its visibility timeout.
    handler = harness.runner._handler(harness.runner.stages["thumbnail"])
    region = sqs.meta.region_name
    context = FakeLambdaContext("thumbnail", 1024, 60, region)
    event = {"Records": [lambda_record(messages[0], attrs["QueueArn"], region)]}
    done = handler(event, context)
    assert done == {"batchItemFailures": []}
    finished = str(messaging.parse(messages[0]["Body"]).asset_id)
    attempts = _stage(harness.asset(token, finished), "thumbnail")["attempts"]
    assets = _settle(harness, token, ids)
    assert [a["status"] for a in assets] == ["ready"] * 3, assets
    for asset in assets:
        _assert_once(harness, asset["id"])
        # The record it finished before dying was skipped on redelivery, not done twice.
        if asset["id"] == finished:
            assert _stage(asset, "thumbnail")["attempts"] == attempts
