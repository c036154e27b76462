"""A bulk job whose message was lost (or dead-lettered) would show ``running`` for ever: the
scheduled ``resume-stalled`` run fails it with why once nothing has moved it for six hours,
and leaves moving jobs alone (real PostgreSQL and moto)."""

from __future__ import annotations

from tests.support.bulk_jobs import finish
from tests.support.harness import Harness

RUN = "/api/admin/jobs/resume-stalled/run"


def _lose_the_message(h: Harness) -> None:
    url = h.container.queues.url("bulk_jobs")
    h.container.sqs.purge_queue(QueueUrl=url)


def _age(h: Harness, job_id: str, hours: int) -> None:
    with h.container.pool.connection() as conn:
        conn.execute(
            "UPDATE bulk_jobs SET status = 'running', updated_at = now() - make_interval("
            "hours => %s) WHERE id = %s",
            (hours, job_id),
        )


def test_a_job_with_no_progress_for_six_hours_is_failed(harness: Harness) -> None:
    h = harness
    admin, token = h.login("admin@example.com", "admin-password-1"), h.user("stall@example.com")
    stuck = h.call("POST", "/api/trash/empty", token=token).json["id"]
    recent = h.call("POST", "/api/trash/restore", token=token).json["id"]
    _lose_the_message(h)
    _age(h, stuck, 7)
    _age(h, recent, 5)
    assert h.call("POST", RUN, token=admin).json["result"] == {"resent": 0, "failedJobs": 1}
    job = h.call("GET", f"/api/bulk-jobs/{stuck}", token=token).json
    assert (job["status"], job["error"]) == (
        "failed",
        "No progress for 6 hours (its message was lost or dead-lettered); start it again",
    )
    assert job["finishedAt"] is not None
    assert h.call("GET", f"/api/bulk-jobs/{recent}", token=token).json["status"] == "running"
    assert h.call("POST", RUN, token=admin).json["result"] == {"resent": 0, "failedJobs": 0}
    # Started again, the job runs to the end.
    again = finish(h, h.call("POST", "/api/trash/empty", token=token), token)
    assert (again["status"], again["processed"]) == ("succeeded", 0)
