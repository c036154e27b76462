"""Routes: shared links - the owner's management routes, and the visitor's routes, which
are public at the HTTP layer and authenticated by the link (key + password, or a visitor
token) in services/access.py. See services/shared_links.py for the visitor flow."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

from chalice import Blueprint, Response
from pydantic import BaseModel

from chalicelib.api.http import RequestContext, parse_uuid, redirect, respond, route
from chalicelib.schemas import assets as asset_s
from chalicelib.schemas import downloads as download_s
from chalicelib.schemas import media as media_s
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


def visitor(ctx: RequestContext) -> Visitor:
    """The link's secrets come in headers (``x-shared-link-key``, ``x-shared-link-password``,
    ``x-shared-link-token``), which access logs do not record; no visitor route reads a
    secret from the URL. ``<img>``, ``<video>`` and download links, which cannot send a
    header, get signed S3 URLs from ``POST /api/shared-links/me/media-urls`` instead."""
    headers = {k.lower(): v for k, v in (ctx.request.headers or {}).items()}
    return ctx.container.access_service.visitor(
        key=headers.get("x-shared-link-key"),
        token=headers.get("x-shared-link-token"),
        password=headers.get("x-shared-link-password"),
        client=ctx.client,
    )


VisitorHandler = Callable[..., Any]


def visitor_route(
    method: str,
    path: str,
    *,
    summary: str,
    query: type[BaseModel] = s.VisitorQuery,
    responses: dict[int, str] | None = None,
    **options: Any,
) -> Callable[[VisitorHandler], VisitorHandler]:
    """A visitor route: public at the HTTP layer, authenticated by the link's headers
    (``visitor``), its query refusing secrets (``VisitorQuery``). The handler is called as
    ``fn(ctx, who, **path_params, body=...)``, plus ``query=`` when the route has fields of
    its own there."""

    def decorate(fn: VisitorHandler) -> VisitorHandler:
        @functools.wraps(fn)
        def handler(ctx: RequestContext, **kwargs: Any) -> Any:
            if query is s.VisitorQuery:
                kwargs.pop("query")
            return fn(ctx, visitor(ctx), **kwargs)

        route(
            bp,
            method,
            f"/shared-links/me{path}",
            summary=summary,
            tag=TAG,
            auth="public",
            query=query,
            responses={**(responses or {}), **VISITOR},
            **options,
        )(handler)
        return fn

    return decorate


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
@visitor_route(
    "GET",
    "",
    summary="Visitor: the link, its assets and a token",
    response=s.SharedLinkMeResponse,
    responses={429: "too many wrong passwords (Retry-After)"},
)
def visitor_me(ctx: RequestContext, who: Visitor) -> s.SharedLinkMeResponse:
    return ctx.container.shared_link_service.me(who)


@visitor_route(
    "POST",
    "/media-urls",
    summary="Visitor: signed URLs of the link's assets for <img>, <video> and downloads",
    body=media_s.LinkMediaUrlsRequest,
    response=media_s.LinkMediaUrlsResponse,
    responses={403: "originals asked for, and downloads are off for this link"},
)
def visitor_media_urls(
    ctx: RequestContext, who: Visitor, body: media_s.LinkMediaUrlsRequest
) -> media_s.LinkMediaUrlsResponse:
    return ctx.container.media_service.link_urls(who, body.asset_ids, body.sizes)


@visitor_route(
    "GET",
    "/assets/{asset_id}",
    summary="Visitor: one asset",
    response=s.SharedAssetResponse,
)
def visitor_asset(ctx: RequestContext, who: Visitor, asset_id: str) -> s.SharedAssetResponse:
    return ctx.container.shared_link_service.visitor_asset(who, parse_uuid(asset_id))


@visitor_route(
    "GET",
    "/assets/{asset_id}/thumbnail",
    summary="Visitor: thumbnail or preview (302)",
    query=s.VisitorThumbnailQuery,
    status=302,
)
def visitor_thumbnail(
    ctx: RequestContext, who: Visitor, asset_id: str, query: s.VisitorThumbnailQuery
) -> Response:
    url = ctx.container.media_service.thumbnail_url(who, parse_uuid(asset_id), query.size)
    return redirect(url)


@visitor_route(
    "GET",
    "/assets/{asset_id}/playback",
    summary="Visitor: play a video (302)",
    status=302,
)
def visitor_playback(ctx: RequestContext, who: Visitor, asset_id: str) -> Response:
    return redirect(ctx.container.media_service.playback_url(who, parse_uuid(asset_id)))


@visitor_route(
    "GET",
    "/assets/{asset_id}/original",
    summary="Visitor: download the original (302) if the link allows",
    status=302,
    responses={403: "downloads are off for this link"},
)
def visitor_original(ctx: RequestContext, who: Visitor, asset_id: str) -> Response:
    return redirect(ctx.container.shared_link_service.original_url(who, parse_uuid(asset_id)))


@visitor_route(
    "POST",
    "/uploads",
    summary="Visitor: upload into the link's album (presigned, as /assets/uploads)",
    body=asset_s.CreateUploadRequest,
    response=asset_s.CreateUploadResponse,
    status=201,
    responses={
        409: "already in the owner's library outside the album (not added), or too many "
        "uploads waiting for their bytes",
        403: "uploads are off for this link",
    },
    other_bodies={200: ("duplicate: already in the album", asset_s.CreateUploadResponse)},
)
def visitor_upload(
    ctx: RequestContext, who: Visitor, body: asset_s.CreateUploadRequest
) -> Response:
    result = ctx.container.shared_link_service.upload(who, body)
    return respond(result, 200 if result.status == "duplicate" else 201)


@visitor_route(
    "POST",
    "/download/archive",
    summary="Visitor: start a zip of the link's assets (or its album) if the link allows",
    body=download_s.DownloadArchiveRequest,
    response=download_s.DownloadArchiveResponse,
    status=202,
    responses={403: "downloads are off for this link"},
)
def visitor_archive(
    ctx: RequestContext, who: Visitor, body: download_s.DownloadArchiveRequest
) -> download_s.DownloadArchiveResponse:
    return ctx.container.download_service.create(who, body)


@visitor_route(
    "GET",
    "/download/archive/{archive_id}",
    summary="Visitor: a zip's progress and, once built, its parts' presigned URLs",
    response=download_s.DownloadArchiveResponse,
)
def visitor_archive_status(
    ctx: RequestContext, who: Visitor, archive_id: str
) -> download_s.DownloadArchiveResponse:
    return ctx.container.download_service.get(who, parse_uuid(archive_id))


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
