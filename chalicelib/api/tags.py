"""Routes: tags."""

from __future__ import annotations

from chalice import Blueprint

from chalicelib.api.http import RequestContext, parse_uuid, route
from chalicelib.schemas import tags as s
from chalicelib.schemas.base import BulkIdResponse, BulkIdsRequest

bp = Blueprint(__name__)
TAG = "Tags"


@route(
    bp,
    "POST",
    "/tags",
    summary="Create a tag (a path like Travel/Japan makes its parents)",
    tag=TAG,
    body=s.TagCreateRequest,
    response=s.TagResponse,
    status=201,
    responses={404: "parent not found"},
)
def create_tag(ctx: RequestContext, body: s.TagCreateRequest) -> s.TagResponse:
    return ctx.container.tag_service.create(ctx.auth, body)


@route(
    bp,
    "GET",
    "/tags",
    summary="My tags, by path",
    tag=TAG,
    query=s.TagListQuery,
    response=s.TagResponse,
    many=True,
)
def list_tags(ctx: RequestContext, query: s.TagListQuery) -> list[s.TagResponse]:
    return ctx.container.tag_service.list_all(ctx.auth, query)


@route(
    bp,
    "GET",
    "/tags/{tag_id}",
    summary="One tag",
    tag=TAG,
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
    tag=TAG,
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
    tag=TAG,
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
    tag=TAG,
    body=BulkIdsRequest,
    response=BulkIdResponse,
    many=True,
    responses={404: "tag not found (or not yours)"},
)
def tag_assets(ctx: RequestContext, tag_id: str, body: BulkIdsRequest) -> list[BulkIdResponse]:
    return ctx.container.tag_service.tag_assets(ctx.auth, parse_uuid(tag_id), body)


@route(
    bp,
    "DELETE",
    "/tags/{tag_id}/assets",
    summary="Untag assets (per-asset results)",
    tag=TAG,
    body=BulkIdsRequest,
    response=BulkIdResponse,
    many=True,
    responses={404: "tag not found (or not yours)"},
)
def untag_assets(ctx: RequestContext, tag_id: str, body: BulkIdsRequest) -> list[BulkIdResponse]:
    return ctx.container.tag_service.untag_assets(ctx.auth, parse_uuid(tag_id), body)
