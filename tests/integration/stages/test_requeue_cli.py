"""``skyroll admin requeue`` against the real API (chalice test client behind an httpx
transport), on real PostgreSQL and moto."""

from __future__ import annotations

import json

from tests.support.bulk_jobs import run_jobs
from tests.support.cli import login
from tests.support.harness import Harness
from tests.support.samples import jpeg, quadrants


def test_admin_requeue_missing_then_all(harness: Harness, skyroll) -> None:
    token = harness.user("cli@example.com")
    ids = [
        str(harness.upload(token, f"{i}.jpg", jpeg(quadrants(100 + i, 80)))["assetId"])
        for i in range(2)
    ]
    harness.drain()
    harness.container.pipeline_repo.set_stage(ids[0], "thumbnail", "failed", "broken")

    login(skyroll, "admin@example.com", "admin-password-1")
    result = skyroll("admin", "requeue", "thumbnail")
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("Started requeue job ")
    result = skyroll("admin", "requeue", "thumbnail", "--all", "--json")
    assert result.exit_code == 0, result.output
    job = json.loads(result.stdout)
    assert (job["kind"], job["params"], job["status"]) == (
        "requeue",
        {"stage": "thumbnail", "mode": "all"},
        "queued",
    )
    # The bulk jobs send the pages: the failed one ("missing"), then both ("all").
    assert run_jobs(harness) == 2
    assert harness.runner.run_once("thumbnail", wait_seconds=0).size == 3


def test_admin_requeue_errors_reach_the_user(harness: Harness, skyroll) -> None:
    harness.user("plain@example.com")
    login(skyroll, "admin@example.com", "admin-password-1")
    result = skyroll("admin", "requeue", "nope")
    assert result.exit_code == 1
    assert "No pipeline stage named 'nope'" in result.output

    login(skyroll, "plain@example.com", "password-123")
    result = skyroll("admin", "requeue", "thumbnail")
    assert result.exit_code == 1
    assert "Admin access required" in result.output


def test_admin_run_job_runs_it_now(harness: Harness, skyroll) -> None:
    token = harness.user("run@example.com")
    harness.upload(token, "a.jpg", jpeg(quadrants(110, 80)))
    harness.drain(["ingest", "thumbnail"])  # a preview, no embedding yet
    login(skyroll, "admin@example.com", "admin-password-1")
    result = skyroll("admin", "run-job", "reembed")
    assert result.exit_code == 0, result.output
    assert result.stdout.strip() == "reembed: queued 1, dropped 0."
    assert harness.runner.run_once("smart_search", wait_seconds=0).size == 1
    result = skyroll("admin", "run-job", "reembed", "--json")  # it has its vector now
    assert json.loads(result.stdout) == {
        "job": "reembed",
        "started": False,
        "result": {"queued": 0, "dropped": 0},
    }


def test_admin_run_job_errors_reach_the_user(harness: Harness, skyroll) -> None:
    harness.user("plain2@example.com")
    login(skyroll, "admin@example.com", "admin-password-1")
    result = skyroll("admin", "run-job", "nope")
    assert result.exit_code == 1 and "nope" in result.output
    login(skyroll, "plain2@example.com", "password-123")
    result = skyroll("admin", "run-job", "reembed")
    assert result.exit_code == 1 and "Admin access required" in result.output


def test_admin_jobs_shows_queues_and_dead_letters(harness: Harness, skyroll) -> None:
    token = harness.user("jobs@example.com")
    harness.upload(token, "a.jpg", jpeg(quadrants(120, 80)))  # one message waits in ingest
    c = harness.container
    c.sqs.send_message(
        QueueUrl=c.queues.dlq_url("thumbnail"),
        MessageBody='{"assetId": "00000000-0000-0000-0000-000000000009", "stage": "thumbnail"}',
    )
    login(skyroll, "admin@example.com", "admin-password-1")
    table = skyroll("admin", "jobs")
    assert table.exit_code == 0, table.output
    rows = {line.split()[0]: line.split()[1:] for line in table.stdout.splitlines()[1:]}
    waiting = c.sqs.get_queue_attributes(
        QueueUrl=c.queues.url("ingest"), AttributeNames=["ApproximateNumberOfMessages"]
    )
    # The upload's event (and the bucket's test event) wait in ingest; one dead thumbnail.
    assert rows["ingest"][0] == waiting["Attributes"]["ApproximateNumberOfMessages"] != "0"
    assert rows["thumbnail"][2] == "1"
    dead = skyroll("admin", "jobs", "--dlq", "thumbnail")
    assert "00000000-0000-0000-0000-000000000009" in dead.stdout
    moved = skyroll("admin", "jobs", "--redrive", "thumbnail")
    assert moved.exit_code == 0 and '"moved": 1' in moved.stdout
    assert harness.runner.run_once("thumbnail", wait_seconds=0).size == 1
