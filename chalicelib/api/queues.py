"""Routes: jobs admin (the pipeline's queues and dead letters) and server statistics,
features and per-user usage."""

from __future__ import annotations

from chalice import Blueprint

from chalicelib.api.http import RequestContext, route
from chalicelib.schemas import organize as s

bp = Blueprint(__name__)
JOBS, SERVER = "Jobs", "Server"


@route(
    bp,
    "GET",
    "/jobs",
    summary="Per stage: queued, in flight, dead letters, asset counts",
    tag=JOBS,
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
    tag=JOBS,
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
    tag=JOBS,
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
    summary="Re-run a stage for assets missing it, or all",
    tag=JOBS,
    auth="admin",
    body=s.JobRunRequest,
    response=s.JobQueuedResponse,
    responses={404: "no such stage", 400: "stage not re-runnable per asset"},
)
def run_stage(ctx: RequestContext, stage: str, body: s.JobRunRequest) -> s.JobQueuedResponse:
    result = ctx.container.queue_service.run(stage, body.mode)
    return s.JobQueuedResponse(queued=result.queued)


@route(
    bp,
    "GET",
    "/server/statistics",
    summary="Per-user asset counts and bytes, and totals",
    tag=SERVER,
    auth="admin",
    response=s.ServerStatsResponse,
)
def statistics(ctx: RequestContext) -> s.ServerStatsResponse:
    from chalicelib.services.queues import statistics as stats

    return stats(ctx.container.stats_repo)


@route(
    bp,
    "GET",
    "/server/features",
    summary="What this server can do",
    tag=SERVER,
    auth="public",
    response=s.ServerFeaturesResponse,
)
def features(ctx: RequestContext) -> s.ServerFeaturesResponse:
    from chalicelib.services.queues import features as feats

    return feats()


@route(
    bp,
    "GET",
    "/users/me/usage",
    summary="My storage usage and quota",
    tag="Users",
    response=s.UserUsageResponse,
)
def my_usage(ctx: RequestContext) -> s.UserUsageResponse:
    from chalicelib.services.queues import usage

    return usage(ctx.container.stats_repo, ctx.auth)
