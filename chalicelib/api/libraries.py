"""Routes: external libraries (Immich's ``/api/libraries``): your own S3 bucket/prefix,
read in place once an admin approved it."""

from __future__ import annotations

from chalice import Blueprint

from chalicelib.api.http import RequestContext, parse_uuid, route
from chalicelib.schemas import libraries as s
from chalicelib.schemas.bulk_jobs import BulkJobResponse

bp = Blueprint(__name__)
TAG = "Libraries"
NOT_YOURS = {404: "no such library (or not yours)"}


@route(
    bp,
    "POST",
    "/libraries",
    summary="Register an S3 bucket/prefix as an external library (scanned once approved)",
    tag=TAG,
    body=s.CreateLibraryRequest,
    response=s.LibraryResponse,
    status=201,
    responses={409: "already registered"},
)
def create_library(ctx: RequestContext, body: s.CreateLibraryRequest) -> s.LibraryResponse:
    return ctx.container.library_service.create(ctx.auth, body)


@route(
    bp,
    "GET",
    "/libraries",
    summary="Your external libraries (an admin's: everyone's)",
    tag=TAG,
    response=s.LibraryResponse,
    many=True,
)
def list_libraries(ctx: RequestContext) -> list[s.LibraryResponse]:
    return ctx.container.library_service.list_for(ctx.auth)


@route(
    bp,
    "GET",
    "/libraries/{library_id}",
    summary="One external library",
    tag=TAG,
    response=s.LibraryResponse,
    responses=NOT_YOURS,
)
def get_library(ctx: RequestContext, library_id: str) -> s.LibraryResponse:
    return ctx.container.library_service.get(ctx.auth, parse_uuid(library_id))


@route(
    bp,
    "PUT",
    "/libraries/{library_id}",
    summary="Rename, or point at another bucket/prefix (which needs approval again)",
    tag=TAG,
    body=s.UpdateLibraryRequest,
    response=s.LibraryResponse,
    responses=NOT_YOURS,
)
def update_library(
    ctx: RequestContext, library_id: str, body: s.UpdateLibraryRequest
) -> s.LibraryResponse:
    return ctx.container.library_service.update(ctx.auth, parse_uuid(library_id), body)


@route(
    bp,
    "DELETE",
    "/libraries/{library_id}",
    summary="Remove a library and its assets (a bulk job; the objects in your bucket stay)",
    tag=TAG,
    response=BulkJobResponse,
    status=202,
    responses=NOT_YOURS,
)
def delete_library(ctx: RequestContext, library_id: str) -> BulkJobResponse:
    params = {"libraryId": str(parse_uuid(library_id))}
    return ctx.container.bulk_job_service.start(ctx.auth, "delete-library", params)


@route(
    bp,
    "POST",
    "/libraries/{library_id}/approve",
    summary="Approve a library so it can be scanned (admins)",
    tag=TAG,
    auth="admin",
    response=s.LibraryResponse,
    responses={404: "no such library"},
)
def approve_library(ctx: RequestContext, library_id: str) -> s.LibraryResponse:
    return ctx.container.library_service.approve(ctx.auth, parse_uuid(library_id))


@route(
    bp,
    "POST",
    "/libraries/{library_id}/scan",
    summary="Scan: new, changed and removed objects (resumes a scan in progress)",
    tag=TAG,
    response=s.LibraryScanResponse,
    status=202,
    responses={**NOT_YOURS, 409: "awaiting an admin's approval"},
)
def scan_library(ctx: RequestContext, library_id: str) -> s.LibraryScanResponse:
    return ctx.container.library_service.scan(ctx.auth, parse_uuid(library_id))


@route(
    bp,
    "GET",
    "/libraries/{library_id}/statistics",
    summary="Photos, videos, offline assets and bytes of a library",
    tag=TAG,
    response=s.LibraryStatsResponse,
    responses=NOT_YOURS,
)
def library_statistics(ctx: RequestContext, library_id: str) -> s.LibraryStatsResponse:
    return ctx.container.library_service.statistics(ctx.auth, parse_uuid(library_id))
