"""Routes: jobs admin (the pipeline's queues, dead letters and stage re-runs)."""

from __future__ import annotations

from chalice import Blueprint

from chalicelib.api.http import RequestContext, route
from chalicelib.schemas import queues as s
from chalicelib.schemas.bulk_jobs import BulkJobResponse

bp = Blueprint(__name__)
TAG = "Jobs"


@route(
    bp,
    "GET",
    "/jobs",
    summary="Per stage: queued, in flight, dead letters, asset counts",
    tag=TAG,
    auth="admin",
    response=s.JobStatusResponse,
    many=True,
)
def job_status(ctx: RequestContext) -> list[s.JobStatusResponse]:
    return ctx.container.queue_service.status()


@route(
    bp,
    "GET",
    "/jobs/{stage}/dlq",
    summary="Peek dead letters (left in place) with reasons",
    tag=TAG,
    auth="admin",
    query=s.DlqQuery,
    response=s.DlqMessageResponse,
    many=True,
    responses={404: "no such stage"},
)
def peek_dlq(ctx: RequestContext, stage: str, query: s.DlqQuery) -> list[s.DlqMessageResponse]:
    return ctx.container.queue_service.peek_dlq(stage, query.limit)


@route(
    bp,
    "POST",
    "/jobs/{stage}/dlq/redrive",
    summary="Move dead letters back to the queue",
    tag=TAG,
    auth="admin",
    response=s.RedriveResponse,
    responses={404: "no such stage"},
)
def redrive_dlq(ctx: RequestContext, stage: str) -> s.RedriveResponse:
    return ctx.container.queue_service.redrive(stage)


@route(
    bp,
    "POST",
    "/jobs/{stage}/run",
    summary="Re-run a stage for assets missing it, or all (a bulk job: see /api/bulk-jobs/{id})",
    tag=TAG,
    auth="admin",
    body=s.JobRunRequest,
    response=BulkJobResponse,
    status=202,
    responses={404: "no such stage", 400: "stage not re-runnable per asset"},
)
def run_stage(ctx: RequestContext, stage: str, body: s.JobRunRequest) -> BulkJobResponse:
    params = {"stage": stage, "mode": body.mode}
    return ctx.container.bulk_job_service.start(ctx.auth, "requeue", params)
