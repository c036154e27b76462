"""Routes: server statistics and features, and my usage."""

from __future__ import annotations

from chalice import Blueprint

from chalicelib.api.http import RequestContext, route
from chalicelib.schemas import statistics as s

bp = Blueprint(__name__)
TAG = "Server"


@route(
    bp,
    "GET",
    "/server/statistics",
    summary="Per-user asset counts and bytes, and totals",
    tag=TAG,
    auth="admin",
    response=s.ServerStatsResponse,
)
def statistics(ctx: RequestContext) -> s.ServerStatsResponse:
    return ctx.container.statistics_service.statistics()


@route(
    bp,
    "GET",
    "/server/features",
    summary="What this server can do",
    tag=TAG,
    auth="public",
    response=s.ServerFeaturesResponse,
)
def features(ctx: RequestContext) -> s.ServerFeaturesResponse:
    return ctx.container.statistics_service.features()


@route(
    bp,
    "GET",
    "/users/me/usage",
    summary="My storage usage and quota",
    tag="Users",
    response=s.UserUsageResponse,
)
def my_usage(ctx: RequestContext) -> s.UserUsageResponse:
    return ctx.container.statistics_service.usage(ctx.auth)
