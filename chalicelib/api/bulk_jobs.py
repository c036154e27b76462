"""Routes: bulk jobs (what a 202 from emptying the trash, restoring all of it or re-queuing
a stage started), for their owner, and admin jobs for every admin."""

from __future__ import annotations

from chalice import Blueprint

from chalicelib.api.http import RequestContext, parse_uuid, route
from chalicelib.schemas import bulk_jobs as s

bp = Blueprint(__name__)
TAG = "Bulk jobs"


@route(
    bp,
    "GET",
    "/bulk-jobs",
    summary="My recent bulk jobs, newest first (admins: admin jobs too)",
    tag=TAG,
    query=s.BulkJobListQuery,
    response=s.BulkJobResponse,
    many=True,
)
def recent_jobs(ctx: RequestContext, query: s.BulkJobListQuery) -> list[s.BulkJobResponse]:
    return ctx.container.bulk_job_service.recent(ctx.auth, query.limit)


@route(
    bp,
    "GET",
    "/bulk-jobs/{job_id}",
    summary="A bulk job's status and progress",
    tag=TAG,
    response=s.BulkJobResponse,
    responses={404: "no such job, or not yours"},
)
def get_job(ctx: RequestContext, job_id: str) -> s.BulkJobResponse:
    return ctx.container.bulk_job_service.get(ctx.auth, parse_uuid(job_id))
