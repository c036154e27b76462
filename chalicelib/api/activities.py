"""Routes: likes and comments on albums and their assets (Immich's ``/api/activities``)."""

from __future__ import annotations

from chalice import Blueprint, Response

from chalicelib.api.http import RequestContext, parse_uuid, respond, route
from chalicelib.schemas import activities as s

bp = Blueprint(__name__)
TAG = "Activities"
HIDDEN = {404: "no such album, or not shared with you"}


@route(
    bp,
    "GET",
    "/activities",
    summary="An album's likes and comments, oldest first",
    tag=TAG,
    query=s.ActivityQuery,
    response=s.ActivityResponse,
    many=True,
    responses=HIDDEN,
)
def list_activities(ctx: RequestContext, query: s.ActivityQuery) -> list[s.ActivityResponse]:
    return ctx.container.activity_service.list(ctx.auth, query)


@route(
    bp,
    "POST",
    "/activities",
    summary="Like or comment on an album or one of its assets",
    tag=TAG,
    body=s.ActivityCreateRequest,
    response=s.ActivityResponse,
    status=201,
    responses=HIDDEN,
    other_bodies={200: ("already liked: the existing like", s.ActivityResponse)},
)
def create_activity(ctx: RequestContext, body: s.ActivityCreateRequest) -> Response:
    activity, new = ctx.container.activity_service.create(ctx.auth, body)
    return respond(activity, 201 if new else 200)


@route(
    bp,
    "GET",
    "/activities/statistics",
    summary="How many comments and likes an album (or one of its assets) has",
    tag=TAG,
    query=s.ActivityStatisticsQuery,
    response=s.ActivityStatisticsResponse,
    responses=HIDDEN,
)
def activity_statistics(
    ctx: RequestContext, query: s.ActivityStatisticsQuery
) -> s.ActivityStatisticsResponse:
    return ctx.container.activity_service.statistics(ctx.auth, query)


@route(
    bp,
    "DELETE",
    "/activities/{activity_id}",
    summary="Delete a like or comment (its author, or the album's owner)",
    tag=TAG,
    status=204,
    responses={403: "someone else's, in an album you do not own", **HIDDEN},
)
def delete_activity(ctx: RequestContext, activity_id: str) -> None:
    ctx.container.activity_service.delete(ctx.auth, parse_uuid(activity_id))
