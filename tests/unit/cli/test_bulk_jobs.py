"""Commands that start a bulk job on the server print its id, and ``--wait`` polls the job
until it is done (exit 1 when it failed)."""

from __future__ import annotations

from tests.support.cli import Cli, out_json
from tests.support.fake_server import FakeSkyroll


def job_polls(fake: FakeSkyroll) -> list[str]:
    return [r.url.path for r in fake.requests if r.url.path.startswith("/api/bulk-jobs/")]


def test_trash_empty_prints_the_job_id_without_waiting(logged_in: Cli, fake: FakeSkyroll) -> None:
    result = logged_in("trash", "empty")
    assert result.exit_code == 0, result.output
    (job_id,) = fake.jobs
    assert result.output.strip() == f"Started empty-trash job {job_id}."
    assert job_polls(fake) == []


def test_trash_empty_wait_polls_until_done(
    logged_in: Cli, fake: FakeSkyroll, sleeps: list[float]
) -> None:
    result = logged_in("trash", "empty", "--wait")
    assert result.exit_code == 0, result.output
    (job_id,) = fake.jobs
    assert job_polls(fake) == [f"/api/bulk-jobs/{job_id}"] * 2  # running, then succeeded
    assert sleeps == [1.0, 1.0]
    assert result.output.splitlines()[-1] == f"empty-trash {job_id}: succeeded, 3/3 done"


def test_a_failed_job_exits_1_with_its_error(logged_in: Cli, fake: FakeSkyroll) -> None:
    fake.job_error = "RuntimeError: S3 is unreachable"
    result = logged_in("trash", "restore", "--wait", "--json")
    assert result.exit_code == 1
    job = out_json(result)
    assert (job["kind"], job["status"], job["error"]) == (
        "restore-trash",
        "failed",
        "RuntimeError: S3 is unreachable",
    )


def test_admin_requeue_starts_a_job_and_jobs_show_waits_for_it(
    logged_in: Cli, fake: FakeSkyroll
) -> None:
    started = logged_in("admin", "requeue", "thumbnail", "--all")
    assert started.exit_code == 0, started.output
    (job_id,) = fake.jobs
    assert started.output.strip() == f"Started requeue job {job_id}."
    assert fake.bodies("POST", "/api/admin/stages/thumbnail/requeue") == [{"mode": "all"}]
    shown = logged_in("jobs", "show", job_id, "--wait")
    assert shown.exit_code == 0, shown.output
    assert shown.output.strip() == f"requeue {job_id}: succeeded, 3/3 done"
    missing = logged_in("jobs", "show", "nope")
    assert missing.exit_code == 1 and "Job not found" in missing.output
