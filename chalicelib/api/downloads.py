"""Routes: zip downloads of a selection or an album, built in S3 by the archive stage.
(Single files: ``GET /api/assets/{id}/original``, a 302 to a presigned GET.)"""

from __future__ import annotations

from chalice import Blueprint

from chalicelib.api.http import RequestContext, parse_uuid, route
from chalicelib.schemas import downloads as s

bp = Blueprint(__name__)
TAG = "Download"


@route(
    bp,
    "POST",
    "/download/archive",
    summary="Start building a zip of assets or an album",
    tag=TAG,
    body=s.DownloadArchiveRequest,
    response=s.DownloadArchiveResponse,
    status=202,
    responses={
        404: "an asset or the album is not found (or not downloadable by you)",
        403: "album visible but not downloadable",
    },
)
def create_archive(
    ctx: RequestContext, body: s.DownloadArchiveRequest
) -> s.DownloadArchiveResponse:
    return ctx.container.download_service.create(ctx.auth, body)


@route(
    bp,
    "GET",
    "/download/archive/{archive_id}",
    summary="A zip download's progress and, once built, its parts' presigned URLs",
    tag=TAG,
    response=s.DownloadArchiveResponse,
    responses={404: "not found (or not yours)"},
)
def get_archive(ctx: RequestContext, archive_id: str) -> s.DownloadArchiveResponse:
    return ctx.container.download_service.get(ctx.auth, parse_uuid(archive_id))
