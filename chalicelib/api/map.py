"""Routes: the map."""

from __future__ import annotations

from chalice import Blueprint

from chalicelib.api.http import RequestContext, route
from chalicelib.schemas import map as s

bp = Blueprint(__name__)
TAG = "Map"


@route(
    bp,
    "GET",
    "/map/markers",
    summary="My assets with a GPS position, with place names",
    tag=TAG,
    query=s.MapMarkerQuery,
    response=s.MapMarkerResponse,
    many=True,
)
def map_markers(ctx: RequestContext, query: s.MapMarkerQuery) -> list[s.MapMarkerResponse]:
    return ctx.container.map_service.markers(ctx.auth, query)
