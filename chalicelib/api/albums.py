"""Routes: albums, their assets and members. Access is decided in services/access.py."""

from __future__ import annotations

from chalice import Blueprint

from chalicelib.api.http import RequestContext, parse_uuid, route
from chalicelib.schemas import albums as s
from chalicelib.schemas.base import BulkIdResponse, BulkIdsRequest

bp = Blueprint(__name__)
TAG = "Albums"
HIDDEN = {404: "not found, or not shared with you"}
READ_ONLY = {403: "you can see it but not change it", **HIDDEN}


@route(
    bp,
    "POST",
    "/albums",
    summary="Create an album (optionally with assets and members)",
    tag=TAG,
    body=s.CreateAlbumRequest,
    response=s.AlbumResponse,
    status=201,
)
def create_album(ctx: RequestContext, body: s.CreateAlbumRequest) -> s.AlbumResponse:
    return ctx.container.album_service.create(ctx.auth, body)


@route(
    bp,
    "GET",
    "/albums",
    summary="My albums; ?shared=true: shared with me or by me",
    tag=TAG,
    query=s.AlbumListQuery,
    response=s.AlbumResponse,
    many=True,
)
def list_albums(ctx: RequestContext, query: s.AlbumListQuery) -> list[s.AlbumResponse]:
    return ctx.container.album_service.list_for(ctx.auth, query)


@route(
    bp,
    "GET",
    "/albums/{album_id}",
    summary="One album with its assets",
    tag=TAG,
    query=s.AlbumGetQuery,
    response=s.AlbumResponse,
    responses=HIDDEN,
)
def get_album(ctx: RequestContext, album_id: str, query: s.AlbumGetQuery) -> s.AlbumResponse:
    return ctx.container.album_service.get(
        ctx.auth, parse_uuid(album_id), with_assets=not query.without_assets
    )


@route(
    bp,
    "PATCH",
    "/albums/{album_id}",
    summary="Rename, describe, set the cover (Immich)",
    tag=TAG,
    body=s.UpdateAlbumRequest,
    response=s.AlbumResponse,
    responses=READ_ONLY,
)
def patch_album(ctx: RequestContext, album_id: str, body: s.UpdateAlbumRequest) -> s.AlbumResponse:
    return ctx.container.album_service.update(ctx.auth, parse_uuid(album_id), body)


@route(
    bp,
    "PUT",
    "/albums/{album_id}",
    summary="Rename, describe, set the cover",
    tag=TAG,
    body=s.UpdateAlbumRequest,
    response=s.AlbumResponse,
    responses=READ_ONLY,
)
def put_album(ctx: RequestContext, album_id: str, body: s.UpdateAlbumRequest) -> s.AlbumResponse:
    return ctx.container.album_service.update(ctx.auth, parse_uuid(album_id), body)


@route(
    bp,
    "DELETE",
    "/albums/{album_id}",
    summary="Delete an album (its assets stay)",
    tag=TAG,
    status=204,
    responses={403: "only the owner deletes", **HIDDEN},
)
def delete_album(ctx: RequestContext, album_id: str) -> None:
    ctx.container.album_service.delete(ctx.auth, parse_uuid(album_id))


@route(
    bp,
    "PUT",
    "/albums/{album_id}/assets",
    summary="Add assets (per-asset results)",
    tag=TAG,
    body=BulkIdsRequest,
    response=BulkIdResponse,
    many=True,
    responses=READ_ONLY,
)
def add_album_assets(
    ctx: RequestContext, album_id: str, body: BulkIdsRequest
) -> list[BulkIdResponse]:
    return ctx.container.album_service.add_assets(ctx.auth, parse_uuid(album_id), body.ids)


@route(
    bp,
    "DELETE",
    "/albums/{album_id}/assets",
    summary="Remove assets (per-asset results)",
    tag=TAG,
    body=BulkIdsRequest,
    response=BulkIdResponse,
    many=True,
    responses=READ_ONLY,
)
def remove_album_assets(
    ctx: RequestContext, album_id: str, body: BulkIdsRequest
) -> list[BulkIdResponse]:
    return ctx.container.album_service.remove_assets(ctx.auth, parse_uuid(album_id), body.ids)


@route(
    bp,
    "PUT",
    "/albums/{album_id}/users",
    summary="Share with users as editor or viewer",
    tag=TAG,
    body=s.AddUsersRequest,
    response=s.AlbumResponse,
    responses={403: "only the owner shares", **HIDDEN},
)
def add_album_users(ctx: RequestContext, album_id: str, body: s.AddUsersRequest) -> s.AlbumResponse:
    return ctx.container.album_service.add_users(ctx.auth, parse_uuid(album_id), body)


@route(
    bp,
    "PUT",
    "/albums/{album_id}/user/{user_id}",
    summary="Change a member's role",
    tag=TAG,
    body=s.UpdateAlbumUserRequest,
    status=204,
    responses={403: "only the owner shares", **HIDDEN},
)
def update_album_user(
    ctx: RequestContext, album_id: str, user_id: str, body: s.UpdateAlbumUserRequest
) -> None:
    ctx.container.album_service.update_user(
        ctx.auth, parse_uuid(album_id), parse_uuid(user_id), body
    )


@route(
    bp,
    "DELETE",
    "/albums/{album_id}/user/{user_id}",
    summary="Remove a member, or leave (userId = me)",
    tag=TAG,
    status=204,
    responses={403: "only the owner removes others", **HIDDEN},
)
def remove_album_user(ctx: RequestContext, album_id: str, user_id: str) -> None:
    who = ctx.auth.id if user_id == "me" else parse_uuid(user_id)
    ctx.container.album_service.remove_user(ctx.auth, parse_uuid(album_id), who)
