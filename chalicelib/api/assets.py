"""Routes: uploads (presigned, multipart) and the asset library."""

from __future__ import annotations

from chalice import Blueprint, Response

from chalicelib.api.http import RequestContext, parse_uuid, redirect, respond, route
from chalicelib.schemas import assets as s
from chalicelib.schemas.bulk_jobs import BulkJobResponse

bp = Blueprint(__name__)
UP = "Uploads"
TAG = "Assets"


@route(
    bp,
    "POST",
    "/assets/bulk-upload-check",
    summary="Which of these checksums are new?",
    tag=UP,
    body=s.BulkUploadCheckRequest,
    response=s.BulkUploadCheckResponse,
)
def bulk_upload_check(
    ctx: RequestContext, body: s.BulkUploadCheckRequest
) -> s.BulkUploadCheckResponse:
    return ctx.container.upload_service.bulk_check(ctx.auth, body)


@route(
    bp,
    "POST",
    "/assets/uploads",
    summary="Start an upload: a presigned PUT or multipart",
    tag=UP,
    body=s.CreateUploadRequest,
    response=s.CreateUploadResponse,
    status=201,
    responses={
        409: "too many uploads waiting for their bytes",
        413: "over quota or size limit",
    },
    other_bodies={200: ("duplicate: the asset already exists", s.CreateUploadResponse)},
)
def create_upload(ctx: RequestContext, body: s.CreateUploadRequest) -> Response:
    result = ctx.container.upload_service.create(ctx.auth, body)
    return respond(result, 200 if result.status == "duplicate" else 201)


@route(
    bp,
    "POST",
    "/assets/bulk-uploads",
    summary="Start up to 100 uploads in one call",
    tag=UP,
    body=s.BulkUploadsRequest,
    response=s.BulkUploadsResponse,
)
def bulk_uploads(ctx: RequestContext, body: s.BulkUploadsRequest) -> s.BulkUploadsResponse:
    """Each item is what POST /assets/uploads takes plus the caller's ``id``; each result is
    what that call returns, or ``status: error`` with the body it would have returned."""
    return ctx.container.upload_service.create_many(ctx.auth, body)


@route(
    bp,
    "POST",
    "/assets/uploads/{upload_id}/parts",
    summary="Presigned URLs for parts",
    tag=UP,
    body=s.PartUrlsRequest,
    response=s.PartUrlsResponse,
    responses={404: "no such upload"},
)
def part_urls(ctx: RequestContext, upload_id: str, body: s.PartUrlsRequest) -> s.PartUrlsResponse:
    return ctx.container.upload_service.part_urls(ctx.auth, parse_uuid(upload_id), body)


@route(
    bp,
    "GET",
    "/assets/uploads/{upload_id}/parts",
    summary="Parts S3 already has (resume)",
    tag=UP,
    response=s.UploadedPartsResponse,
    responses={404: "no such upload"},
)
def list_parts(ctx: RequestContext, upload_id: str) -> s.UploadedPartsResponse:
    return ctx.container.upload_service.list_parts(ctx.auth, parse_uuid(upload_id))


@route(
    bp,
    "POST",
    "/assets/uploads/{upload_id}/complete",
    summary="Finish a multipart upload",
    tag=UP,
    body=s.CompleteUploadRequest,
    response=s.CompleteUploadResponse,
    responses={404: "no such upload", 409: "already complete"},
)
def complete_upload(
    ctx: RequestContext, upload_id: str, body: s.CompleteUploadRequest
) -> s.CompleteUploadResponse:
    return ctx.container.upload_service.complete(ctx.auth, parse_uuid(upload_id), body)


@route(
    bp,
    "DELETE",
    "/assets/uploads/{upload_id}",
    summary="Abort an upload",
    tag=UP,
    status=204,
    responses={404: "no such upload", 409: "already received"},
)
def abort_upload(ctx: RequestContext, upload_id: str) -> None:
    ctx.container.upload_service.abort(ctx.auth, parse_uuid(upload_id))


@route(
    bp,
    "PUT",
    "/assets/{asset_id}/sidecar",
    summary="Attach an XMP sidecar: a presigned PUT, before or after the photo's bytes",
    tag=UP,
    body=s.SidecarUploadRequest,
    response=s.SidecarUploadResponse,
    responses={404: "not found (or not yours)"},
)
def sidecar_upload(
    ctx: RequestContext, asset_id: str, body: s.SidecarUploadRequest
) -> s.SidecarUploadResponse:
    """S3 takes exactly the announced bytes at ``users/{user}/{asset}/sidecar.xmp``; its
    values win over the file's once ingest has both (docs/media.md, "XMP sidecars")."""
    return ctx.container.upload_service.sidecar_ticket(ctx.auth, parse_uuid(asset_id), body)


@route(
    bp,
    "GET",
    "/assets",
    summary="My assets, newest first, with filters",
    tag=TAG,
    query=s.AssetListQuery,
    response=s.AssetPage,
)
def list_assets(ctx: RequestContext, query: s.AssetListQuery) -> s.AssetPage:
    return ctx.container.asset_service.list_page(ctx.auth, query)


@route(
    bp, "GET", "/assets/statistics", summary="Counts and bytes", tag=TAG, response=s.AssetStatistics
)
def statistics(ctx: RequestContext) -> s.AssetStatistics:
    return ctx.container.asset_service.statistics(ctx.auth)


@route(
    bp,
    "GET",
    "/assets/{asset_id}",
    summary="One asset",
    tag=TAG,
    response=s.AssetResponse,
    responses={404: "not found (or not yours)"},
)
def get_asset(ctx: RequestContext, asset_id: str) -> s.AssetResponse:
    return ctx.container.asset_service.get(ctx.auth, parse_uuid(asset_id))


@route(
    bp,
    "PUT",
    "/assets/{asset_id}",
    summary="Favorite, archive, description, date, location",
    tag=TAG,
    body=s.UpdateAssetRequest,
    response=s.AssetResponse,
    responses={404: "not found (or not yours)"},
)
def update_asset(ctx: RequestContext, asset_id: str, body: s.UpdateAssetRequest) -> s.AssetResponse:
    return ctx.container.asset_service.update(ctx.auth, parse_uuid(asset_id), body)


@route(
    bp,
    "GET",
    "/view/folder/unique-paths",
    summary="The folders my uploads came from (the client paths the uploads gave)",
    tag="View",
    response=s.FolderPathsResponse,
)
def folder_paths(ctx: RequestContext) -> s.FolderPathsResponse:
    return ctx.container.asset_service.folders(ctx.auth)


@route(
    bp,
    "GET",
    "/view/folder",
    summary="My assets uploaded from one folder, by path",
    tag="View",
    query=s.FolderQuery,
    response=s.AssetResponse,
    many=True,
)
def folder_assets(ctx: RequestContext, query: s.FolderQuery) -> list[s.AssetResponse]:
    return ctx.container.asset_service.folder(ctx.auth, query)


@route(
    bp,
    "PUT",
    "/assets",
    summary="The same changes (favorite, archive, description, date, location) for many assets",
    tag=TAG,
    body=s.BulkUpdateAssetsRequest,
    status=204,
    responses={404: "one of them not found (or not yours): nothing changed"},
)
def update_assets(ctx: RequestContext, body: s.BulkUpdateAssetsRequest) -> None:
    ctx.container.asset_service.update_many(ctx.auth, body)


@route(
    bp,
    "DELETE",
    "/assets",
    summary="Trash assets, or delete them for good with force (over 100 ids: a bulk job, 202)",
    tag=TAG,
    body=s.DeleteAssetsRequest,
    status=204,
    responses={404: "not found (or not yours)"},
    other_bodies={202: ("force, over 100 ids: the bulk job deleting them", BulkJobResponse)},
)
def delete_assets(ctx: RequestContext, body: s.DeleteAssetsRequest) -> Response | None:
    if body.needs_job:  # objects of many assets: more S3 calls than a request has time for
        ids = [str(i) for i in dict.fromkeys(body.ids)]
        job = ctx.container.bulk_job_service.start(ctx.auth, "delete-assets", {"ids": ids})
        return respond(job, 202)
    ctx.container.asset_service.delete(ctx.auth, body)
    return None


@route(
    bp,
    "GET",
    "/assets/{asset_id}/original",
    summary="Download the original (302)",
    tag=TAG,
    status=302,
    responses={404: "not found (or not yours)"},
)
def download_original(ctx: RequestContext, asset_id: str) -> Response:
    return redirect(
        ctx.container.asset_service.original_url(ctx.auth, parse_uuid(asset_id)),
        cache_control="private, max-age=60",
    )


@route(
    bp,
    "POST",
    "/trash/restore",
    summary="Restore the ids given (200), or everything in my trash (202: a bulk job)",
    tag="Trash",
    body=s.AssetIdsRequest,
    response=s.CountResponse,
    other_bodies={202: ("restoring all: the bulk job doing it", BulkJobResponse)},
)
def restore_trash(ctx: RequestContext, body: s.AssetIdsRequest) -> s.CountResponse | Response:
    if body.ids is None:  # the whole trash grows with the library: a job does it
        return respond(ctx.container.bulk_job_service.start(ctx.auth, "restore-trash", {}), 202)
    return ctx.container.asset_service.restore(ctx.auth, body)


@route(
    bp,
    "POST",
    "/trash/empty",
    summary="Delete everything in my trash for good (a bulk job: poll /api/bulk-jobs/{id})",
    tag="Trash",
    response=BulkJobResponse,
    status=202,
)
def empty_trash(ctx: RequestContext) -> BulkJobResponse:
    return ctx.container.bulk_job_service.start(ctx.auth, "empty-trash", {})
