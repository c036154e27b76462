"""Routes: memories ("on this day")."""

from __future__ import annotations

from chalice import Blueprint

from chalicelib.api.http import RequestContext, parse_uuid, route
from chalicelib.schemas import memories as s

bp = Blueprint(__name__)
TAG = "Memories"


@route(
    bp,
    "GET",
    "/memories",
    summary="On this day: today's memories (or saved ones)",
    tag=TAG,
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
    tag=TAG,
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
    tag=TAG,
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
    tag=TAG,
    status=204,
    responses={404: "not found (or not yours)"},
)
def dismiss_memory(ctx: RequestContext, memory_id: str) -> None:
    ctx.container.memory_service.dismiss(ctx.auth, parse_uuid(memory_id))
