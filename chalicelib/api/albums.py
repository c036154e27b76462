"""Routes: albums, partners and the timeline. Access is decided in services/access.py."""

from __future__ import annotations

from chalice import Blueprint

from chalicelib.api.http import RequestContext, parse_uuid, route
from chalicelib.schemas import library as s
from chalicelib.schemas.base import BulkIdResponse, BulkIdsRequest

bp = Blueprint(__name__)
ALBUMS = "Albums"
PARTNERS = "Partners"
TIMELINE = "Timeline"
HIDDEN = {404: "not found, or not shared with you"}
READ_ONLY = {403: "you can see it but not change it", **HIDDEN}


# --- albums -------------------------------------------------------------------------------
@route(
    bp,
    "POST",
    "/albums",
    summary="Create an album (optionally with assets and members)",
    tag=ALBUMS,
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
    tag=ALBUMS,
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
    tag=ALBUMS,
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
    tag=ALBUMS,
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
    tag=ALBUMS,
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
    tag=ALBUMS,
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
    tag=ALBUMS,
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
    tag=ALBUMS,
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
    tag=ALBUMS,
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
    tag=ALBUMS,
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
    tag=ALBUMS,
    status=204,
    responses={403: "only the owner removes others", **HIDDEN},
)
def remove_album_user(ctx: RequestContext, album_id: str, user_id: str) -> None:
    who = ctx.auth.id if user_id == "me" else parse_uuid(user_id)
    ctx.container.album_service.remove_user(ctx.auth, parse_uuid(album_id), who)


# --- partners -----------------------------------------------------------------------------
@route(
    bp,
    "GET",
    "/partners",
    summary="Who I share with (shared-by) / who shares with me",
    tag=PARTNERS,
    query=s.PartnerQuery,
    response=s.PartnerResponse,
    many=True,
)
def list_partners(ctx: RequestContext, query: s.PartnerQuery) -> list[s.PartnerResponse]:
    return ctx.container.partner_service.list_for(ctx.auth, query)


@route(
    bp,
    "POST",
    "/partners/{user_id}",
    summary="Share my library with this user",
    tag=PARTNERS,
    response=s.PartnerResponse,
    status=201,
    responses={404: "no such user", 409: "already shared"},
)
def create_partner(ctx: RequestContext, user_id: str) -> s.PartnerResponse:
    return ctx.container.partner_service.create(ctx.auth, parse_uuid(user_id))


@route(
    bp,
    "PUT",
    "/partners/{user_id}",
    summary="Show a partner's library in my timeline",
    tag=PARTNERS,
    body=s.UpdatePartnerRequest,
    response=s.PartnerResponse,
    responses={404: "this user does not share with you"},
)
def update_partner(
    ctx: RequestContext, user_id: str, body: s.UpdatePartnerRequest
) -> s.PartnerResponse:
    return ctx.container.partner_service.update(ctx.auth, parse_uuid(user_id), body)


@route(
    bp,
    "DELETE",
    "/partners/{user_id}",
    summary="Stop sharing my library with this user",
    tag=PARTNERS,
    status=204,
    responses={404: "not shared with this user"},
)
def delete_partner(ctx: RequestContext, user_id: str) -> None:
    ctx.container.partner_service.delete(ctx.auth, parse_uuid(user_id))


# --- timeline -----------------------------------------------------------------------------
@route(
    bp,
    "GET",
    "/timeline/buckets",
    summary="Asset counts per month or day",
    tag=TIMELINE,
    query=s.TimeBucketsQuery,
    response=s.TimeBucketResponse,
    many=True,
    responses=HIDDEN,
)
def time_buckets(ctx: RequestContext, query: s.TimeBucketsQuery) -> list[s.TimeBucketResponse]:
    return ctx.container.timeline_service.buckets(ctx.auth, query)


@route(
    bp,
    "GET",
    "/timeline/bucket",
    summary="The assets of one bucket, newest first",
    tag=TIMELINE,
    query=s.TimeBucketQuery,
    response=s.TimelineAsset,
    many=True,
    responses=HIDDEN,
)
def time_bucket(ctx: RequestContext, query: s.TimeBucketQuery) -> list[s.TimelineAsset]:
    return ctx.container.timeline_service.bucket(ctx.auth, query)
