"""Routes: the server settings an admin changes at run time, and their history."""

from __future__ import annotations

from chalice import Blueprint

from chalicelib.api.http import RequestContext, route
from chalicelib.schemas import system_config as s

bp = Blueprint(__name__)
TAG = "System config"


@route(
    bp,
    "GET",
    "/system-config",
    summary="The server settings in effect",
    tag=TAG,
    auth="admin",
    response=s.SystemConfig,
)
def get_config(ctx: RequestContext) -> s.SystemConfig:
    return ctx.container.system_config_service.get()


@route(
    bp,
    "GET",
    "/system-config/defaults",
    summary="The defaults (from the environment) the settings fall back to",
    tag=TAG,
    auth="admin",
    response=s.SystemConfig,
)
def get_defaults(ctx: RequestContext) -> s.SystemConfig:
    return ctx.container.system_config_service.defaults()


@route(
    bp,
    "PUT",
    "/system-config",
    summary="Replace the server settings (in effect everywhere within a minute)",
    tag=TAG,
    auth="admin",
    body=s.SystemConfig,
    response=s.SystemConfigUpdateResponse,
)
def update_config(ctx: RequestContext, body: s.SystemConfig) -> s.SystemConfigUpdateResponse:
    return ctx.container.system_config_service.update(ctx.auth, body)


@route(
    bp,
    "GET",
    "/system-config/history",
    summary="Who changed which settings, newest first",
    tag=TAG,
    auth="admin",
    query=s.HistoryQuery,
    response=s.SystemConfigHistoryEntry,
    many=True,
)
def history(ctx: RequestContext, query: s.HistoryQuery) -> list[s.SystemConfigHistoryEntry]:
    return ctx.container.system_config_service.history(query.size)
