"""Routes: smart and metadata search, and suggestions."""

from __future__ import annotations

from chalice import Blueprint

from chalicelib.api.http import RequestContext, route
from chalicelib.schemas import search as s

bp = Blueprint(__name__)
TAG = "Search"


@route(
    bp,
    "POST",
    "/search/smart",
    summary="Search my photos by what they show",
    tag=TAG,
    body=s.SmartSearchRequest,
    response=s.SearchResponse,
)
def smart_search(ctx: RequestContext, body: s.SmartSearchRequest) -> s.SearchResponse:
    return ctx.container.search_service.smart(ctx.auth, body)


@route(
    bp,
    "POST",
    "/search/metadata",
    summary="Search my assets by file name, camera, place, date, type",
    tag=TAG,
    body=s.MetadataSearchRequest,
    response=s.SearchResponse,
)
def metadata_search(ctx: RequestContext, body: s.MetadataSearchRequest) -> s.SearchResponse:
    return ctx.container.search_service.metadata(ctx.auth, body)


@route(
    bp,
    "GET",
    "/search/suggestions",
    summary="Values to search by: camera makes and models, cities, states, countries",
    tag=TAG,
    query=s.SuggestionsQuery,
    response=s.SuggestionsResponse,
)
def suggestions(ctx: RequestContext, query: s.SuggestionsQuery) -> s.SuggestionsResponse:
    return ctx.container.search_service.suggestions(ctx.auth, query)
