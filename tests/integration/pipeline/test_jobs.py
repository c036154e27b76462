"""Scheduled jobs: trash purge, pending-upload expiry, unclaimed objects."""

from __future__ import annotations

import httpx

from tests.support.harness import Harness
from tests.support.samples import big_photo, photo, sha


def _age(h: Harness, sql: str, *args) -> None:
    with h.container.pool.connection() as conn:
        conn.execute(sql, args)


def test_purge_trash_deletes_only_what_is_older_than_30_days(harness: Harness) -> None:
    token = harness.user("alice@example.com")
    old = harness.upload(token, "old.jpg", photo(seed=31))["assetId"]
    recent = harness.upload(token, "recent.jpg", photo(seed=32))["assetId"]
    harness.drain()
    harness.call("DELETE", "/api/assets", {"ids": [old, recent]}, token=token)
    _age(harness, "UPDATE assets SET trashed_at = now() - interval '31 days' WHERE id = %s", old)
    admin = harness.login("admin@example.com", "admin-password-1")
    r = harness.call("POST", "/api/admin/jobs/purge-trash/run", token=admin)
    assert r.json == {"job": "purge-trash", "started": False, "result": {"purged": 1}}
    keys = harness.container.store.keys("users/") + harness.container.store.keys("derived/")
    assert not [k for k in keys if old in k] and [k for k in keys if recent in k]
    assert [k for k in keys if recent in k and k.startswith("derived/")]
    assert harness.call("GET", f"/api/assets/{recent}", token=token).json["isTrashed"]


def test_expire_pending_uploads_aborts_multipart_and_removes_rows(harness: Harness) -> None:
    token = harness.user("alice@example.com")
    data = big_photo()
    up = harness.start_upload(token, "big.jpg", data).json
    part = harness.call(
        "POST",
        f"/api/assets/uploads/{up['uploadId']}/parts",
        {"parts": [{"partNumber": 1, "checksum": sha(data[: 5 * 1024 * 1024])}]},
        token=token,
    ).json["parts"][0]
    httpx.put(part["url"], content=data[: 5 * 1024 * 1024], headers=part["headers"])
    fresh = harness.start_upload(token, "fresh.jpg", photo(seed=33)).json
    _age(
        harness,
        "UPDATE assets SET created_at = now() - interval '25 hours' WHERE id = %s",
        up["assetId"],
    )
    admin = harness.login("admin@example.com", "admin-password-1")
    r = harness.call("POST", "/api/admin/jobs/expire-pending-uploads/run", token=admin)
    assert r.json["result"] == {"expired": 1}
    c = harness.container
    assert c.s3.list_multipart_uploads(Bucket=c.settings.bucket).get("Uploads", []) == []
    assert harness.call("GET", f"/api/assets/{up['assetId']}", token=token).status_code == 404
    assert harness.call("GET", f"/api/assets/{fresh['assetId']}", token=token).status_code == 200


def test_unclaimed_objects_are_removed_after_the_upload_window(harness: Harness) -> None:
    c = harness.container
    key = (
        "users/00000000-0000-0000-0000-000000000001/"
        "00000000-0000-0000-0000-000000000002/original.jpg"
    )
    c.s3.put_object(Bucket=c.settings.bucket, Key=key, Body=b"stray")
    harness.drain()
    admin = harness.login("admin@example.com", "admin-password-1")
    r = harness.call("POST", "/api/admin/jobs/clean-orphans/run", token=admin)
    assert r.json["result"] == {"removed": 0, "waiting": 1}  # too young: maybe in flight
    _age(harness, "UPDATE orphan_objects SET first_seen = now() - interval '2 days'")
    r = harness.call("POST", "/api/admin/jobs/clean-orphans/run", token=admin)
    assert r.json["result"] == {"removed": 1, "waiting": 0}
    assert c.store.keys("users/") == []
    unknown = harness.call("POST", "/api/admin/jobs/nope/run", token=admin)
    assert unknown.status_code == 404 and "purge-trash" in unknown.json["message"]


def test_a_lost_hand_off_is_sent_again_by_resume_stalled(harness: Harness, monkeypatch) -> None:  # noqa: ANN001
    """The thumbnail stage commits 'done, faces queued', then SQS refuses the messages: the
    retried record finds its stage done and stops, so faces would never run. The job sends
    the lost messages again, once per window."""
    import json

    from chalicelib import messaging, pipeline

    token = harness.user("alice@example.com")
    asset = harness.upload(token, "a.jpg", photo(seed=41))["assetId"]
    sqs = harness.container.sqs
    followers = sorted(messaging.next_stages("thumbnail", "IMAGE"))
    assert followers and all(not pipeline.get_stage(n).required for n in followers)
    lost = {harness.container.queues.url(name) for name in followers}
    send = sqs.send_message_batch

    def unreachable(**kwargs):  # noqa: ANN003, ANN202
        if kwargs["QueueUrl"] in lost:  # thumbnail's hand-offs are lost, nothing else
            raise ConnectionError("SQS is unreachable")
        return send(**kwargs)

    monkeypatch.setattr(sqs, "send_message_batch", unreachable)
    harness.drain()
    monkeypatch.undo()
    harness.drain()

    def queued() -> list[str]:
        found = []
        for name in followers:
            url = harness.container.queues.url(name)
            for m in sqs.receive_message(
                QueueUrl=url, MaxNumberOfMessages=10, WaitTimeSeconds=0
            ).get("Messages", []):
                if json.loads(m["Body"])["assetId"] == asset:
                    found.append(name)
                sqs.delete_message(QueueUrl=url, ReceiptHandle=m["ReceiptHandle"])
        return sorted(found)

    assert queued() == []  # lost
    admin = harness.login("admin@example.com", "admin-password-1")
    run = "/api/admin/jobs/resume-stalled/run"
    assert harness.call("POST", run, token=admin).json["result"] == {
        "resent": 0,
        "failedJobs": 0,
    }  # too recent
    _age(
        harness,
        "UPDATE asset_stages SET updated_at = now() - interval '2 hours' WHERE asset_id = %s",
        asset,
    )
    assert harness.call("POST", run, token=admin).json["result"] == {
        "resent": len(followers),
        "failedJobs": 0,
    }
    assert harness.call("POST", run, token=admin).json["result"] == {
        "resent": 0,
        "failedJobs": 0,
    }  # once
    assert queued() == followers


class FakeLambda:
    """Records the invocations the API makes (AWS is not reachable from the tests)."""

    def __init__(self) -> None:
        self.calls: list[dict] = []

    def invoke(self, **kwargs: object) -> dict:
        self.calls.append(kwargs)
        return {"StatusCode": 202}


def test_with_a_jobs_function_a_job_starts_there_and_nothing_runs_here(
    harness: Harness, monkeypatch
) -> None:
    """In a deployment the API hands the job to the jobs Lambda (it may outlast the API's
    29 s): nothing runs in the call; an unknown job is still a 404 and starts nothing."""
    import json

    c = harness.container
    token = harness.user("bob@example.com")
    old = harness.upload(token, "old.jpg", photo(seed=34))["assetId"]
    harness.drain()
    harness.call("DELETE", "/api/assets", {"ids": [old]}, token=token)
    _age(harness, "UPDATE assets SET trashed_at = now() - interval '31 days' WHERE id = %s", old)
    fake = FakeLambda()
    monkeypatch.setattr(c.settings, "jobs_function", "skyroll-dev-jobs")
    monkeypatch.setitem(c.__dict__, "lambda_client", fake)
    admin = harness.login("admin@example.com", "admin-password-1")
    r = harness.call("POST", "/api/admin/jobs/purge-trash/run", token=admin)
    assert r.json == {"job": "purge-trash", "started": True, "result": {}}
    assert [
        (k["FunctionName"], k["InvocationType"], json.loads(k["Payload"])) for k in fake.calls
    ] == [("skyroll-dev-jobs", "Event", {"job": "purge-trash"})]
    assert harness.call("GET", f"/api/assets/{old}", token=token).status_code == 200  # not purged
    unknown = harness.call("POST", "/api/admin/jobs/nope/run", token=admin)
    assert unknown.status_code == 404 and "No job named 'nope'" in unknown.json["message"]
    assert len(fake.calls) == 1
    forbidden = harness.call("POST", "/api/admin/jobs/purge-trash/run", token=token)
    assert forbidden.status_code == 403 and len(fake.calls) == 1
