"""Routes: tags, the map and memories."""

from __future__ import annotations

from chalice import Blueprint

from chalicelib.api.accounts import parse_uuid
from chalicelib.api.http import RequestContext, route
from chalicelib.schemas import organize as s

bp = Blueprint(__name__)
TAGS, MAP, MEMORIES = "Tags", "Map", "Memories"


# --- tags --------------------------------------------------------------------------------
@route(
    bp,
    "POST",
    "/tags",
    summary="Create a tag (a path like Travel/Japan makes its parents)",
    tag=TAGS,
    body=s.TagCreateRequest,
    response=s.TagResponse,
    status=201,
    responses={404: "parent not found"},
)
def create_tag(ctx: RequestContext, body: s.TagCreateRequest) -> s.TagResponse:
    return ctx.container.tag_service.create(ctx.auth, body)


@route(bp, "GET", "/tags", summary="My tags, by path", tag=TAGS, response=s.TagResponse, many=True)
def list_tags(ctx: RequestContext) -> list[s.TagResponse]:
    return ctx.container.tag_service.list_all(ctx.auth)


@route(
    bp,
    "GET",
    "/tags/{tag_id}",
    summary="One tag",
    tag=TAGS,
    response=s.TagResponse,
    responses={404: "not found (or not yours)"},
)
def get_tag(ctx: RequestContext, tag_id: str) -> s.TagResponse:
    return ctx.container.tag_service.get(ctx.auth, parse_uuid(tag_id))


@route(
    bp,
    "PUT",
    "/tags/{tag_id}",
    summary="Rename (children follow) or recolour a tag",
    tag=TAGS,
    body=s.TagUpdateRequest,
    response=s.TagResponse,
    responses={404: "not found (or not yours)", 409: "a tag with that path exists"},
)
def update_tag(ctx: RequestContext, tag_id: str, body: s.TagUpdateRequest) -> s.TagResponse:
    return ctx.container.tag_service.update(ctx.auth, parse_uuid(tag_id), body)


@route(
    bp,
    "DELETE",
    "/tags/{tag_id}",
    summary="Delete a tag and the tags below it",
    tag=TAGS,
    status=204,
    responses={404: "not found (or not yours)"},
)
def delete_tag(ctx: RequestContext, tag_id: str) -> None:
    ctx.container.tag_service.delete(ctx.auth, parse_uuid(tag_id))


@route(
    bp,
    "PUT",
    "/tags/{tag_id}/assets",
    summary="Tag assets (per-asset results)",
    tag=TAGS,
    body=s.BulkIdsRequest,
    response=s.BulkIdResponse,
    many=True,
    responses={404: "tag not found (or not yours)"},
)
def tag_assets(ctx: RequestContext, tag_id: str, body: s.BulkIdsRequest) -> list[s.BulkIdResponse]:
    return ctx.container.tag_service.tag_assets(ctx.auth, parse_uuid(tag_id), body)


@route(
    bp,
    "DELETE",
    "/tags/{tag_id}/assets",
    summary="Untag assets (per-asset results)",
    tag=TAGS,
    body=s.BulkIdsRequest,
    response=s.BulkIdResponse,
    many=True,
    responses={404: "tag not found (or not yours)"},
)
def untag_assets(
    ctx: RequestContext, tag_id: str, body: s.BulkIdsRequest
) -> list[s.BulkIdResponse]:
    return ctx.container.tag_service.untag_assets(ctx.auth, parse_uuid(tag_id), body)


# --- map ---------------------------------------------------------------------------------
@route(
    bp,
    "GET",
    "/map/markers",
    summary="My assets with a GPS position, with place names",
    tag=MAP,
    query=s.MapMarkerQuery,
    response=s.MapMarkerResponse,
    many=True,
)
def map_markers(ctx: RequestContext, query: s.MapMarkerQuery) -> list[s.MapMarkerResponse]:
    return ctx.container.map_service.markers(ctx.auth, query)


# --- memories ----------------------------------------------------------------------------
@route(
    bp,
    "GET",
    "/memories",
    summary="On this day: today's memories (or saved ones)",
    tag=MEMORIES,
    query=s.MemoryQuery,
    response=s.MemoryResponse,
    many=True,
)
def list_memories(ctx: RequestContext, query: s.MemoryQuery) -> list[s.MemoryResponse]:
    return ctx.container.memory_service.list_shown(ctx.auth, query)


@route(
    bp,
    "GET",
    "/memories/{memory_id}",
    summary="One memory",
    tag=MEMORIES,
    response=s.MemoryResponse,
    responses={404: "not found (or not yours)"},
)
def get_memory(ctx: RequestContext, memory_id: str) -> s.MemoryResponse:
    return ctx.container.memory_service.get(ctx.auth, parse_uuid(memory_id))


@route(
    bp,
    "PUT",
    "/memories/{memory_id}",
    summary="Save a memory or mark it seen",
    tag=MEMORIES,
    body=s.MemoryUpdateRequest,
    response=s.MemoryResponse,
    responses={404: "not found (or not yours)"},
)
def update_memory(
    ctx: RequestContext, memory_id: str, body: s.MemoryUpdateRequest
) -> s.MemoryResponse:
    return ctx.container.memory_service.update(ctx.auth, parse_uuid(memory_id), body)


@route(
    bp,
    "DELETE",
    "/memories/{memory_id}",
    summary="Dismiss a memory",
    tag=MEMORIES,
    status=204,
    responses={404: "not found (or not yours)"},
)
def dismiss_memory(ctx: RequestContext, memory_id: str) -> None:
    ctx.container.memory_service.dismiss(ctx.auth, parse_uuid(memory_id))
