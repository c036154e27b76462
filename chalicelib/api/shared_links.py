"""Routes: shared links - the owner's management routes, and the visitor's routes, which
are public at the HTTP layer and authenticated by the link (key + password, or a visitor
token) in services/access.py. See services/shared_links.py for the visitor flow."""

from __future__ import annotations

from chalice import Blueprint, Response

from chalicelib.api.http import RequestContext, parse_uuid, redirect, respond, route
from chalicelib.schemas import assets as asset_s
from chalicelib.schemas import downloads as download_s
from chalicelib.schemas import shared_links as s
from chalicelib.schemas.base import BulkIdResponse
from chalicelib.services.access import Visitor

bp = Blueprint(__name__)
TAG = "Shared links"
VISITOR = {
    401: "no, unknown or wrong key / token / password",
    410: "the link expired",
    404: "not one of the link's assets",
}


def visitor(ctx: RequestContext, query: s.VisitorQuery) -> Visitor:
    headers: dict[str, str] = dict(ctx.request.headers or {})
    password = (
        query.password.get_secret_value()
        if query.password
        else headers.get("x-shared-link-password")
    )
    token = query.token or headers.get("x-shared-link-token")
    return ctx.container.access_service.visitor(key=query.key, token=token, password=password)


# --- the owner ----------------------------------------------------------------------------
@route(
    bp,
    "POST",
    "/shared-links",
    summary="Share an album or some assets by link (the key is shown once)",
    tag=TAG,
    body=s.SharedLinkCreateRequest,
    response=s.SharedLinkResponse,
    status=201,
    responses={404: "album not found", 403: "only the album owner shares it"},
)
def create_link(ctx: RequestContext, body: s.SharedLinkCreateRequest) -> s.SharedLinkResponse:
    return ctx.container.shared_link_service.create(ctx.auth, body)


@route(
    bp,
    "GET",
    "/shared-links",
    summary="My shared links",
    tag=TAG,
    response=s.SharedLinkResponse,
    many=True,
)
def list_links(ctx: RequestContext) -> list[s.SharedLinkResponse]:
    return ctx.container.shared_link_service.list_for(ctx.auth)


# --- the visitor (declared before /{link_id} routes; static segments win anyway) ----------
@route(
    bp,
    "GET",
    "/shared-links/me",
    summary="Visitor: the link, its assets and a token",
    tag=TAG,
    auth="public",
    query=s.VisitorQuery,
    response=s.SharedLinkMeResponse,
    responses=VISITOR,
)
def visitor_me(ctx: RequestContext, query: s.VisitorQuery) -> s.SharedLinkMeResponse:
    return ctx.container.shared_link_service.me(visitor(ctx, query))


@route(
    bp,
    "GET",
    "/shared-links/me/assets/{asset_id}",
    summary="Visitor: one asset",
    tag=TAG,
    auth="public",
    query=s.VisitorQuery,
    response=s.SharedAssetResponse,
    responses=VISITOR,
)
def visitor_asset(
    ctx: RequestContext, asset_id: str, query: s.VisitorQuery
) -> s.SharedAssetResponse:
    return ctx.container.shared_link_service.visitor_asset(
        visitor(ctx, query), parse_uuid(asset_id)
    )


@route(
    bp,
    "GET",
    "/shared-links/me/assets/{asset_id}/thumbnail",
    summary="Visitor: thumbnail or preview (302)",
    tag=TAG,
    auth="public",
    query=s.VisitorThumbnailQuery,
    status=302,
    responses=VISITOR,
)
def visitor_thumbnail(
    ctx: RequestContext, asset_id: str, query: s.VisitorThumbnailQuery
) -> Response:
    url = ctx.container.media_service.thumbnail_url(
        visitor(ctx, query), parse_uuid(asset_id), query.size
    )
    return redirect(url)


@route(
    bp,
    "GET",
    "/shared-links/me/assets/{asset_id}/playback",
    summary="Visitor: play a video (302)",
    tag=TAG,
    auth="public",
    query=s.VisitorQuery,
    status=302,
    responses=VISITOR,
)
def visitor_playback(ctx: RequestContext, asset_id: str, query: s.VisitorQuery) -> Response:
    url = ctx.container.media_service.playback_url(visitor(ctx, query), parse_uuid(asset_id))
    return redirect(url)


@route(
    bp,
    "GET",
    "/shared-links/me/assets/{asset_id}/original",
    summary="Visitor: download the original (302) if the link allows",
    tag=TAG,
    auth="public",
    query=s.VisitorQuery,
    status=302,
    responses={403: "downloads are off for this link", **VISITOR},
)
def visitor_original(ctx: RequestContext, asset_id: str, query: s.VisitorQuery) -> Response:
    return redirect(
        ctx.container.shared_link_service.original_url(visitor(ctx, query), parse_uuid(asset_id))
    )


@route(
    bp,
    "POST",
    "/shared-links/me/uploads",
    summary="Visitor: upload into the link's album (presigned, as /assets/uploads)",
    tag=TAG,
    auth="public",
    query=s.VisitorQuery,
    body=asset_s.CreateUploadRequest,
    response=asset_s.CreateUploadResponse,
    status=201,
    responses={
        200: "duplicate: already in the owner's library (added to the album)",
        403: "uploads are off for this link",
        **VISITOR,
    },
)
def visitor_upload(
    ctx: RequestContext, query: s.VisitorQuery, body: asset_s.CreateUploadRequest
) -> Response:
    result = ctx.container.shared_link_service.upload(visitor(ctx, query), body)
    return respond(result, 200 if result.status == "duplicate" else 201)


@route(
    bp,
    "POST",
    "/shared-links/me/download/archive",
    summary="Visitor: start a zip of the link's assets (or its album) if the link allows",
    tag=TAG,
    auth="public",
    query=s.VisitorQuery,
    body=download_s.DownloadArchiveRequest,
    response=download_s.DownloadArchiveResponse,
    status=202,
    responses={403: "downloads are off for this link", **VISITOR},
)
def visitor_archive(
    ctx: RequestContext, query: s.VisitorQuery, body: download_s.DownloadArchiveRequest
) -> download_s.DownloadArchiveResponse:
    return ctx.container.download_service.create(visitor(ctx, query), body)


@route(
    bp,
    "GET",
    "/shared-links/me/download/archive/{archive_id}",
    summary="Visitor: a zip's progress and, once built, its parts' presigned URLs",
    tag=TAG,
    auth="public",
    query=s.VisitorQuery,
    response=download_s.DownloadArchiveResponse,
    responses=VISITOR,
)
def visitor_archive_status(
    ctx: RequestContext, archive_id: str, query: s.VisitorQuery
) -> download_s.DownloadArchiveResponse:
    return ctx.container.download_service.get(visitor(ctx, query), parse_uuid(archive_id))


# --- the owner, one link ------------------------------------------------------------------
@route(
    bp,
    "GET",
    "/shared-links/{link_id}",
    summary="One of my shared links",
    tag=TAG,
    response=s.SharedLinkResponse,
    responses={404: "not found"},
)
def get_link(ctx: RequestContext, link_id: str) -> s.SharedLinkResponse:
    return ctx.container.shared_link_service.get(ctx.auth, parse_uuid(link_id))


@route(
    bp,
    "PATCH",
    "/shared-links/{link_id}",
    summary="Edit a link (password: null removes it)",
    tag=TAG,
    body=s.SharedLinkEditRequest,
    response=s.SharedLinkResponse,
    responses={404: "not found"},
)
def update_link(
    ctx: RequestContext, link_id: str, body: s.SharedLinkEditRequest
) -> s.SharedLinkResponse:
    return ctx.container.shared_link_service.update(ctx.auth, parse_uuid(link_id), body)


@route(
    bp,
    "DELETE",
    "/shared-links/{link_id}",
    summary="Delete a link",
    tag=TAG,
    status=204,
    responses={404: "not found"},
)
def delete_link(ctx: RequestContext, link_id: str) -> None:
    ctx.container.shared_link_service.delete(ctx.auth, parse_uuid(link_id))


@route(
    bp,
    "PUT",
    "/shared-links/{link_id}/assets",
    summary="Add assets to an INDIVIDUAL link",
    tag=TAG,
    body=s.SharedLinkAssetsRequest,
    response=BulkIdResponse,
    many=True,
    responses={404: "not found"},
)
def add_link_assets(
    ctx: RequestContext, link_id: str, body: s.SharedLinkAssetsRequest
) -> list[BulkIdResponse]:
    return ctx.container.shared_link_service.add_assets(
        ctx.auth, parse_uuid(link_id), body.asset_ids
    )


@route(
    bp,
    "DELETE",
    "/shared-links/{link_id}/assets",
    summary="Remove assets from an INDIVIDUAL link",
    tag=TAG,
    body=s.SharedLinkAssetsRequest,
    response=BulkIdResponse,
    many=True,
    responses={404: "not found"},
)
def remove_link_assets(
    ctx: RequestContext, link_id: str, body: s.SharedLinkAssetsRequest
) -> list[BulkIdResponse]:
    return ctx.container.shared_link_service.remove_assets(
        ctx.auth, parse_uuid(link_id), body.asset_ids
    )
