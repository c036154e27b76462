"""Routes: thumbnails, previews and video playback (302s to presigned GETs; Lambda never
streams media), and the admin re-queue of a pipeline stage."""

from __future__ import annotations

from chalice import Blueprint, Response

from chalicelib.api.http import RequestContext, parse_uuid, redirect, route
from chalicelib.schemas import media as s
from chalicelib.schemas.bulk_jobs import BulkJobResponse

bp = Blueprint(__name__)
TAG = "Assets"


@route(
    bp,
    "GET",
    "/assets/{asset_id}/thumbnail",
    summary="Thumbnail or preview image (302)",
    tag=TAG,
    query=s.ThumbnailQuery,
    status=302,
    responses={404: "not generated yet, or not found (or not visible to you)"},
)
def thumbnail(ctx: RequestContext, asset_id: str, query: s.ThumbnailQuery) -> Response:
    from chalicelib.services.media import REDIRECT_CACHE

    url = ctx.container.media_service.thumbnail_url(ctx.auth, parse_uuid(asset_id), query.size)
    return redirect(url, cache_control=REDIRECT_CACHE)


@route(
    bp,
    "GET",
    "/assets/{asset_id}/playback",
    summary="Web-playable video stream (302)",
    tag=TAG,
    status=302,
    responses={404: "no web-playable version, or not found (or not visible to you)"},
)
def playback(ctx: RequestContext, asset_id: str) -> Response:
    from chalicelib.services.media import REDIRECT_CACHE

    url = ctx.container.media_service.playback_url(ctx.auth, parse_uuid(asset_id))
    return redirect(url, cache_control=REDIRECT_CACHE)


@route(
    bp,
    "POST",
    "/admin/stages/{stage}/requeue",
    summary="Re-queue a pipeline stage (a bulk job: poll /api/bulk-jobs/{id})",
    tag="Admin",
    auth="admin",
    body=s.RequeueRequest,
    response=BulkJobResponse,
    status=202,
    responses={400: "the stage starts from S3 uploads", 404: "no such stage"},
)
def requeue(ctx: RequestContext, stage: str, body: s.RequeueRequest) -> BulkJobResponse:
    params = {"stage": stage, "mode": body.mode}
    return ctx.container.bulk_job_service.start(ctx.auth, "requeue", params)


@route(
    bp,
    "POST",
    "/assets/media-urls",
    summary="Signed thumbnail/preview URLs for many assets (for <img> tags)",
    tag=TAG,
    body=s.MediaUrlsRequest,
    response=s.MediaUrlsResponse,
)
def media_urls(ctx: RequestContext, body: s.MediaUrlsRequest) -> s.MediaUrlsResponse:
    return ctx.container.media_service.signed_urls(ctx.auth, body.asset_ids, body.sizes)
