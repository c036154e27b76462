"""Routes: smart and metadata search, suggestions, near-duplicates."""

from __future__ import annotations

from chalice import Blueprint

from chalicelib.api.accounts import parse_uuid
from chalicelib.api.http import RequestContext, route
from chalicelib.schemas import ml as s

bp = Blueprint(__name__)
SEARCH, DUPLICATES = "Search", "Duplicates"


@route(
    bp,
    "POST",
    "/search/smart",
    summary="Search my photos by what they show",
    tag=SEARCH,
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
    tag=SEARCH,
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
    tag=SEARCH,
    query=s.SuggestionsQuery,
)
def suggestions(ctx: RequestContext, query: s.SuggestionsQuery) -> list[str]:
    return ctx.container.search_service.suggestions(ctx.auth, query)


@route(
    bp,
    "GET",
    "/duplicates",
    summary="My near-duplicate groups",
    tag=DUPLICATES,
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
    tag=DUPLICATES,
    body=s.ResolveDuplicatesRequest,
    response=s.ResolveDuplicatesResponse,
    responses={404: "no such group (or not yours)"},
)
def resolve_duplicates(
    ctx: RequestContext, duplicate_id: str, body: s.ResolveDuplicatesRequest
) -> s.ResolveDuplicatesResponse:
    return ctx.container.duplicate_service.resolve(ctx.auth, parse_uuid(duplicate_id), body)
