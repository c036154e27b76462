"""Routes: stacks (Immich's /api/stacks)."""

from __future__ import annotations

from chalice import Blueprint

from chalicelib.api.http import RequestContext, parse_uuid, route
from chalicelib.schemas import stacks as s
from chalicelib.schemas.base import BulkIdsRequest

bp = Blueprint(__name__)
TAG = "Stacks"
NOT_MINE = {404: "not found (or not yours)"}


@route(
    bp,
    "GET",
    "/stacks",
    summary="My stacks, optionally the one with this primary asset",
    tag=TAG,
    query=s.StackSearchQuery,
    response=s.StackResponse,
    many=True,
)
def search_stacks(ctx: RequestContext, query: s.StackSearchQuery) -> list[s.StackResponse]:
    return ctx.container.stack_service.search(ctx.auth, query)


@route(
    bp,
    "POST",
    "/stacks",
    summary="Stack assets (the first is the primary; stacks they were in merge into it)",
    tag=TAG,
    body=s.StackCreateRequest,
    response=s.StackResponse,
    status=201,
    responses={404: "an asset not found (or not yours)"},
)
def create_stack(ctx: RequestContext, body: s.StackCreateRequest) -> s.StackResponse:
    return ctx.container.stack_service.create(ctx.auth, body)


@route(
    bp,
    "DELETE",
    "/stacks",
    summary="Unstack several stacks (their assets stay)",
    tag=TAG,
    body=BulkIdsRequest,
    status=204,
    responses={404: "a stack not found (or not yours)"},
)
def delete_stacks(ctx: RequestContext, body: BulkIdsRequest) -> None:
    ctx.container.stack_service.delete_all(ctx.auth, body.ids)


@route(
    bp,
    "GET",
    "/stacks/{stack_id}",
    summary="One stack with its assets, the primary first",
    tag=TAG,
    response=s.StackResponse,
    responses=NOT_MINE,
)
def get_stack(ctx: RequestContext, stack_id: str) -> s.StackResponse:
    return ctx.container.stack_service.get(ctx.auth, parse_uuid(stack_id))


@route(
    bp,
    "PUT",
    "/stacks/{stack_id}",
    summary="Choose the stack's primary asset",
    tag=TAG,
    body=s.StackUpdateRequest,
    response=s.StackResponse,
    responses={**NOT_MINE, 400: "the asset is not in this stack"},
)
def update_stack(ctx: RequestContext, stack_id: str, body: s.StackUpdateRequest) -> s.StackResponse:
    return ctx.container.stack_service.update(ctx.auth, parse_uuid(stack_id), body)


@route(
    bp,
    "DELETE",
    "/stacks/{stack_id}",
    summary="Unstack (the assets stay)",
    tag=TAG,
    status=204,
    responses=NOT_MINE,
)
def delete_stack(ctx: RequestContext, stack_id: str) -> None:
    ctx.container.stack_service.delete(ctx.auth, parse_uuid(stack_id))


@route(
    bp,
    "DELETE",
    "/stacks/{stack_id}/assets/{asset_id}",
    summary="Take one asset out of the stack (not the primary; a stack of one goes)",
    tag=TAG,
    status=204,
    responses={**NOT_MINE, 400: "the primary, or an asset not in this stack"},
)
def remove_stack_asset(ctx: RequestContext, stack_id: str, asset_id: str) -> None:
    ctx.container.stack_service.remove_asset(ctx.auth, parse_uuid(stack_id), parse_uuid(asset_id))
