"""Routes: near-duplicate groups."""

from __future__ import annotations

from chalice import Blueprint

from chalicelib.api.http import RequestContext, parse_uuid, route
from chalicelib.schemas import duplicates as s

bp = Blueprint(__name__)
TAG = "Duplicates"


@route(
    bp,
    "GET",
    "/duplicates",
    summary="My near-duplicate groups",
    tag=TAG,
    response=s.DuplicateGroupResponse,
    many=True,
)
def list_duplicates(ctx: RequestContext) -> list[s.DuplicateGroupResponse]:
    return ctx.container.duplicate_service.list_for(ctx.auth)


@route(
    bp,
    "POST",
    "/duplicates/{duplicate_id}/resolve",
    summary="Keep some assets of a group; the others go to the trash",
    tag=TAG,
    body=s.ResolveDuplicatesRequest,
    response=s.ResolveDuplicatesResponse,
    responses={404: "no such group (or not yours)"},
)
def resolve_duplicates(
    ctx: RequestContext, duplicate_id: str, body: s.ResolveDuplicatesRequest
) -> s.ResolveDuplicatesResponse:
    return ctx.container.duplicate_service.resolve(ctx.auth, parse_uuid(duplicate_id), body)
