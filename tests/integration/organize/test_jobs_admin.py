"""Jobs admin over real moto queues, and server statistics / features / usage."""

from __future__ import annotations

import json
import uuid

from chalicelib import pipeline
from chalicelib.services.queues import ids_in
from tests.support.bulk_jobs import finish
from tests.support.organize import Harness, add, photo


def _admin(h: Harness) -> str:
    return h.login("admin@example.com", "admin-password-1")


def _stage_body(asset_id: str, stage: str = "thumbnail") -> str:
    return json.dumps({"assetId": asset_id, "stage": stage, "force": False})


def _jobs(h: Harness, token: str) -> dict[str, dict]:
    r = h.call("GET", "/api/jobs", token=token)
    assert r.status_code == 200, r.body
    return {j["name"]: j for j in r.json}


def test_counts_peek_and_redrive_dead_letters(harness: Harness) -> None:
    c = harness.container
    alice = harness.user("alice@example.com")
    asset = add(harness, alice, "a.jpg", photo(1))
    harness.drain()
    c.pipeline_repo.fail_stage(uuid.UUID(asset), "thumbnail", "corrupt JPEG", fail_asset=False)
    dlq = c.queues.dlq_url("thumbnail")
    stray = str(uuid.uuid4())
    for body in (_stage_body(asset), _stage_body(stray)):
        c.sqs.send_message(QueueUrl=dlq, MessageBody=body)
    c.sqs.send_message(QueueUrl=c.queues.url("thumbnail"), MessageBody=_stage_body(asset))
    admin = _admin(harness)

    jobs = _jobs(harness, admin)
    assert list(jobs) == [s.name for s in pipeline.STAGES]
    thumb = jobs["thumbnail"]
    assert (thumb["queued"], thumb["inFlight"], thumb["dlq"]) == (1, 0, 2)
    assert thumb["assets"]["failed"] == 1 and jobs["ingest"]["assets"]["done"] == 1
    assert jobs["archive"]["trigger"] == "manual" and jobs["archive"]["dlq"] == 0

    for _ in range(2):  # peeking leaves the messages where they are
        peeked = harness.call("GET", "/api/jobs/thumbnail/dlq", token=admin)
        assert peeked.status_code == 200, peeked.body
        by_asset = {m["assetId"]: m for m in peeked.json}
        assert set(by_asset) == {asset, stray}
        assert by_asset[asset]["failureReason"] == "corrupt JPEG"
        assert by_asset[stray]["failureReason"] is None
        assert json.loads(by_asset[asset]["body"])["assetId"] == asset
    assert _jobs(harness, admin)["thumbnail"]["dlq"] == 2

    moved = harness.call("POST", "/api/jobs/thumbnail/dlq/redrive", token=admin)
    assert moved.status_code == 200 and moved.json == {"moved": 2}
    after = _jobs(harness, admin)["thumbnail"]
    assert (after["queued"], after["dlq"]) == (3, 0)
    got = c.sqs.receive_message(QueueUrl=c.queues.url("thumbnail"), MaxNumberOfMessages=10)
    assert sorted(json.loads(m["Body"])["assetId"] for m in got["Messages"]) == sorted(
        [asset, asset, stray]
    )


def test_run_a_stage_again_and_refusals(harness: Harness) -> None:
    c = harness.container
    alice = harness.user("alice@example.com")
    add(harness, alice, "a.jpg", photo(1))
    add(harness, alice, "b.jpg", photo(2))
    harness.drain()
    admin = _admin(harness)

    r = harness.call("POST", "/api/jobs/thumbnail/run", {"mode": "all"}, admin)
    job = finish(harness, r, admin)
    assert (job["kind"], job["status"], job["processed"]) == ("requeue", "succeeded", 2)
    assert job["params"] == {"stage": "thumbnail", "mode": "all"}
    assert _jobs(harness, admin)["thumbnail"]["queued"] == 2
    missing = harness.call("POST", "/api/jobs/thumbnail/run", {"mode": "missing"}, admin)
    assert finish(harness, missing, admin)["processed"] == 0

    refused = harness.call("POST", "/api/jobs/archive/run", {"mode": "all"}, admin)
    assert refused.status_code == 400
    for method, path in (
        ("GET", "/api/jobs/nope/dlq"),
        ("POST", "/api/jobs/nope/dlq/redrive"),
        ("POST", "/api/jobs/nope/run"),
    ):
        r = harness.call(method, path, {} if method == "POST" else None, admin)
        assert r.status_code == 404, (path, r.body)
    for method, path in (
        ("GET", "/api/jobs"),
        ("GET", "/api/jobs/thumbnail/dlq"),
        ("POST", "/api/jobs/thumbnail/dlq/redrive"),
        ("POST", "/api/jobs/thumbnail/run"),
    ):
        assert harness.call(method, path, token=alice).status_code == 403
        assert harness.call(method, path).status_code == 401
    c.sqs.purge_queue(QueueUrl=c.queues.url("thumbnail"))


def test_message_bodies_name_their_asset_or_archive() -> None:
    asset, other = uuid.uuid4(), uuid.uuid4()
    key = f"users/{other}/{asset}/original.jpg"
    s3_event = {"Records": [{"eventSource": "aws:s3", "s3": {"object": {"key": key}}}]}
    envelope = {"Type": "Notification", "Message": json.dumps(s3_event)}
    assert ids_in(json.dumps(envelope)) == (asset, None)
    assert ids_in(json.dumps(s3_event)) == (asset, None)
    assert ids_in(json.dumps({"archiveId": str(asset), "partNumber": 1})) == (None, asset)
    assert ids_in("not json") == (None, None)
    assert ids_in(json.dumps({"Event": "s3:TestEvent"})) == (None, None)


def test_server_statistics_features_and_my_usage(harness: Harness) -> None:
    alice = harness.user("alice@example.com", quota=10_000_000)
    bob = harness.user("bob@example.com")
    a1, a2, b1 = photo(1), photo(2, size=(128, 96)), photo(3)
    add(harness, alice, "a1.jpg", a1)
    add(harness, alice, "a2.jpg", a2)
    add(harness, bob, "b1.jpg", b1)
    harness.drain(("ingest",))
    admin = _admin(harness)

    r = harness.call("GET", "/api/server/statistics", token=admin)
    assert r.status_code == 200, r.body
    stats = r.json
    users = {u["userName"]: u for u in stats["usageByUser"]}
    assert set(users) == {"Admin", "alice", "bob"}
    assert (users["alice"]["photos"], users["alice"]["videos"]) == (2, 0)
    assert users["alice"]["usage"] == users["alice"]["usagePhotos"] == len(a1) + len(a2)
    assert users["alice"]["quotaSizeInBytes"] == 10_000_000
    assert (users["bob"]["photos"], users["bob"]["usage"]) == (1, len(b1))
    assert users["Admin"]["usage"] == 0
    assert (stats["photos"], stats["videos"]) == (3, 0)
    assert stats["usage"] == len(a1) + len(a2) + len(b1) and stats["usageVideos"] == 0
    assert harness.call("GET", "/api/server/statistics", token=alice).status_code == 403

    usage = harness.call("GET", "/api/users/me/usage", token=alice).json
    assert usage == {
        "photos": 2,
        "videos": 0,
        "usage": len(a1) + len(a2),
        "quotaSizeInBytes": 10_000_000,
        "quotaUsageInBytes": len(a1) + len(a2),
        "quotaRemainingInBytes": 10_000_000 - len(a1) - len(a2),
    }
    assert (
        harness.call("GET", "/api/users/me/usage", token=bob).json["quotaRemainingInBytes"] is None
    )

    features = harness.call("GET", "/api/server/features")  # public
    assert features.status_code == 200
    # The pipeline declares smart_search, faces and duplicates: each feature is on.
    assert {"smart_search", "faces", "duplicates"} <= {s.name for s in pipeline.STAGES}
    assert features.json["smartSearch"] is True
    assert features.json["facialRecognition"] is True
    assert features.json["duplicateDetection"] is True
    assert features.json["map"] and features.json["reverseGeocoding"] and features.json["trash"]
    assert features.json["downloadArchive"] and not features.json["oauth"]
