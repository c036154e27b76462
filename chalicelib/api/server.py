"""Routes: server health, version and the OpenAPI document."""

from __future__ import annotations

from chalice import Blueprint

from chalicelib import __version__
from chalicelib.api.http import RequestContext, route
from chalicelib.schemas.accounts import OpenApiDocument, PingResponse, VersionResponse

bp = Blueprint(__name__)
TAG = "Server"


@route(bp, "GET", "/server/ping", summary="Liveness", tag=TAG, auth="public", response=PingResponse)
def ping(ctx: RequestContext) -> PingResponse:
    return PingResponse()


@route(
    bp,
    "GET",
    "/server/version",
    summary="Server version",
    tag=TAG,
    auth="public",
    response=VersionResponse,
)
def version(ctx: RequestContext) -> VersionResponse:
    major, minor, patch = (int(p) for p in __version__.split("."))
    return VersionResponse(major=major, minor=minor, patch=patch, version=__version__)


@route(
    bp,
    "GET",
    "/openapi.json",
    summary="This API's OpenAPI document",
    tag=TAG,
    auth="public",
    response=OpenApiDocument,
)
def openapi(ctx: RequestContext) -> OpenApiDocument:
    from chalicelib.api.http import ROUTES
    from chalicelib.api.openapi import build_spec

    return OpenApiDocument(build_spec(ROUTES))
