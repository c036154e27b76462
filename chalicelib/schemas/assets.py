"""DTOs for uploads and assets (Immich's AssetResponseDto field names where they match)."""

from __future__ import annotations

import base64
import binascii
from datetime import datetime
from typing import Annotated, Literal
from uuid import UUID

from pydantic import AfterValidator, Field, RootModel, field_validator, model_validator

from chalicelib.schemas.base import DbDateTime, Dto, FieldError, NotNullBool, Page, ResponseDto
from chalicelib.schemas.tags import TagResponse


def decode_checksum(value: str) -> bytes:
    """A SHA-256 digest as base64 (what S3 wants) or hex; anything else is refused."""
    value = value.strip()
    if len(value) == 64:
        try:
            return bytes.fromhex(value)
        except ValueError:
            pass
    try:
        raw = base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError):
        raw = b""
    if len(raw) != 32:
        raise ValueError("checksum must be a SHA-256 digest, base64 (44 chars) or hex (64 chars)")
    return raw


def encode_checksum(raw: bytes) -> str:
    return base64.b64encode(raw).decode()


Checksum = Annotated[str, AfterValidator(lambda v: encode_checksum(decode_checksum(v)))]


class BulkCheckItem(Dto):
    id: str = Field(min_length=1, max_length=1024)
    checksum: Checksum


class BulkUploadCheckRequest(Dto):
    assets: list[BulkCheckItem] = Field(min_length=1, max_length=1000)


class BulkCheckResult(ResponseDto):
    id: str
    action: Literal["accept", "reject"]
    reason: Literal["duplicate"] | None = None
    asset_id: UUID | None = None
    is_trashed: bool | None = None


class BulkUploadCheckResponse(ResponseDto):
    results: list[BulkCheckResult]


class CreateUploadRequest(Dto):
    filename: str = Field(min_length=1, max_length=255)
    size: int = Field(ge=0)
    checksum: Checksum
    content_type: str = Field(min_length=3, max_length=127)
    file_created_at: DbDateTime
    file_modified_at: DbDateTime
    device_asset_id: str | None = Field(default=None, max_length=512)
    device_id: str | None = Field(default=None, max_length=512)
    original_path: str | None = Field(
        default=None,
        max_length=4096,
        description="The file's path on the client (/home/me/Pictures/2020/a.jpg): the folder"
        " view browses its folders. Backslashes become slashes.",
    )

    @field_validator("filename")
    @classmethod
    def _plain_name(cls, value: str) -> str:
        if "/" in value or "\\" in value or value in {".", ".."} or "\x00" in value:
            raise ValueError("filename must be a plain file name without path parts")
        return value

    @field_validator("original_path")
    @classmethod
    def _client_path(cls, value: str | None) -> str | None:
        if value is None:
            return None
        path = value.replace("\\", "/")
        if not path.strip("/") or path.endswith("/"):
            raise ValueError("must be a file's path, ending with its name")
        return path


MAX_SIDECAR_BYTES = 1 << 20  # chalicelib/media/sidecar.py refuses larger ones again


class SidecarUploadRequest(Dto):
    """An XMP sidecar for an asset: S3 takes exactly these bytes (length, SHA-256, type)."""

    size: int = Field(ge=1, le=MAX_SIDECAR_BYTES)
    checksum: Checksum
    content_type: Literal["application/xml", "application/rdf+xml", "text/xml"] = "application/xml"


class SidecarUploadResponse(ResponseDto):
    method: Literal["PUT"] = "PUT"
    url: str
    headers: dict[str, str]
    expires_at: datetime


class AssetSidecar(ResponseDto):
    """The asset's XMP sidecar: applied over the file's metadata, or ignored with a reason."""

    status: Literal["applied", "ignored"]
    reason: str | None = None


class PartUrl(ResponseDto):
    part_number: int
    url: str
    headers: dict[str, str]


class CreateUploadResponse(ResponseDto):
    status: Literal["created", "duplicate"]
    asset_id: UUID
    upload_id: UUID | None = None
    method: Literal["PUT", "MULTIPART"] | None = None
    url: str | None = None
    headers: dict[str, str] | None = None
    part_size: int | None = None
    part_count: int | None = None
    expires_at: datetime | None = None


MAX_BULK_UPLOADS = 100


class BulkUploadItem(CreateUploadRequest):
    """One file of ``POST /api/assets/bulk-uploads``: the single call's fields plus the
    caller's id for it (echoed in the result)."""

    id: str = Field(min_length=1, max_length=1024)


class BulkUploadsRequest(Dto):
    uploads: list[BulkUploadItem] = Field(min_length=1, max_length=MAX_BULK_UPLOADS)


class ItemError(ResponseDto):
    """Why one item of a bulk call was refused: the body a single call would have had."""

    status_code: int
    error: str
    message: str


class BulkUploadResult(CreateUploadResponse):
    id: str
    status: Literal["created", "duplicate", "error"]  # type: ignore[assignment]
    asset_id: UUID | None = None  # type: ignore[assignment]
    error: ItemError | None = None


class BulkUploadsResponse(ResponseDto):
    results: list[BulkUploadResult]


class PartChecksum(Dto):
    part_number: int = Field(ge=1, le=10_000)
    checksum: Checksum


class PartUrlsRequest(Dto):
    parts: list[PartChecksum] = Field(min_length=1, max_length=100)


class PartUrlsResponse(ResponseDto):
    parts: list[PartUrl]


class UploadedPart(ResponseDto):
    part_number: int
    size: int
    etag: str
    checksum: str | None


class UploadedPartsResponse(ResponseDto):
    parts: list[UploadedPart]


class CompleteUploadRequest(Dto):
    # Optional: the server lists what S3 holds; etags given here are checked against it.
    parts: list[dict[str, int | str]] | None = None


class CompleteUploadResponse(ResponseDto):
    asset_id: UUID
    status: str


DateSource = Literal["exif", "xmp", "iptc", "quicktime", "filename", "file time", "user"]


class ExifInfo(ResponseDto):
    make: str | None = None
    model: str | None = None
    lens_model: str | None = None
    f_number: float | None = None
    exposure_time: str | None = None
    iso: int | None = None
    focal_length: float | None = None
    latitude: float | None = None
    longitude: float | None = None
    altitude: float | None = None
    date_time_original: datetime | None = None
    time_zone: str | None = None
    exif_image_width: int | None = None
    exif_image_height: int | None = None
    orientation: int | None = None
    description: str | None = None
    file_size_in_byte: int | None = None
    fps: float | None = None
    video_codec: str | None = None
    audio_codec: str | None = None
    city: str | None = None
    state: str | None = None
    country: str | None = None
    rating: int | None = Field(default=None, description="0-5 stars, from an XMP sidecar")
    date_source: DateSource | None = Field(
        default=None,
        description="Where the capture time came from (docs/media.md). 'file time' means the"
        " file carried none and the client's file time stands in.",
    )
    time_zone_source: Literal["tag", "gps", "user"] | None = Field(
        default=None,
        description="Where timeZone came from: stored with the time (tag), the time zone at"
        " the GPS position (gps), or the offset of a date the owner set (user); null when"
        " unknown.",
    )


class AssetStage(ResponseDto):
    """One pipeline stage of an asset: its state, how often it was started (each retry
    adds one; 0 while it waits in the queue), and the last failure reason."""

    stage: str
    status: Literal["queued", "running", "done", "failed", "skipped"]
    attempts: int
    error: str | None = None
    updated_at: datetime


class AssetStack(ResponseDto):
    """The stack an asset is in (Immich's AssetStackResponseDto)."""

    id: UUID
    primary_asset_id: UUID
    asset_count: int


class AssetSummary(ResponseDto):
    """An asset as lists return it: everything but its pipeline stages and tags
    (GET /assets/{id} has those)."""

    id: UUID
    owner_id: UUID
    type: Literal["IMAGE", "VIDEO"]
    status: Literal["pending", "processing", "ready", "failed"]
    failure_reason: str | None
    original_file_name: str
    original_mime_type: str
    checksum: str
    file_created_at: datetime
    file_modified_at: datetime
    local_date_time: datetime | None
    is_favorite: bool
    is_archived: bool
    is_trashed: bool
    duration: str | None = Field(description="H:MM:SS.ffffff, as Immich")
    thumbhash: str | None
    width: int | None
    height: int | None
    device_asset_id: str | None
    device_id: str | None
    created_at: datetime
    updated_at: datetime
    exif_info: ExifInfo | None
    original_path: str | None = Field(default=None, description="The file's path on the client.")
    live_photo_video_id: UUID | None = Field(
        default=None,
        description="The motion part of a Live Photo or motion photo: a video asset, played"
        " with GET /api/assets/{livePhotoVideoId}/playback",
    )
    visibility: Literal["timeline", "archive", "hidden"] = Field(
        default="timeline",
        description="'hidden': a motion part, kept out of the timeline and lists",
    )
    stack: AssetStack | None = None
    # An external library's asset (read in place from its owner's bucket; Skyroll never
    # deletes the object); offline: the library's last scan did not find it.
    library_id: UUID | None = None
    is_offline: bool = False
    sidecar: AssetSidecar | None = Field(
        default=None, description="The XMP sidecar's outcome; null when the asset has none"
    )


class AssetResponse(AssetSummary):
    """One asset, with each pipeline stage's state and its tags."""

    stages: list[AssetStage] = Field(default_factory=list)
    tags: list[TagResponse] = Field(default_factory=list)


class FolderQuery(Dto):
    path: str = Field(min_length=1, max_length=4096)


# A bare JSON array, as a RootModel so that the route table (and so the OpenAPI) has its
# schema like any other response body's.
class FolderPathsResponse(RootModel[list[str]]):
    """The folders the caller's uploads came from, each one holding files directly."""


class AssetListQuery(Dto):
    page: Page = 1
    size: int = Field(default=100, ge=1, le=1000)
    cursor: str | None = Field(
        default=None,
        max_length=200,
        description="nextCursor of the previous page: keyset paging, as fast deep in the"
        " library as on page 1 (page is then ignored). page alone still works, at the cost"
        " of an offset that grows with it.",
    )
    type: Literal["IMAGE", "VIDEO"] | None = None
    is_favorite: bool | None = None
    is_archived: bool | None = None
    is_trashed: bool | None = None
    status: Literal["pending", "processing", "ready", "failed"] | None = None
    taken_after: DbDateTime | None = None
    taken_before: DbDateTime | None = None
    # Assets with this tag or any tag below it (chalicelib.repositories.sql).
    tag_id: UUID | None = None


class AssetPage(ResponseDto):
    items: list[AssetSummary]
    next_page: int | None
    # Where the next page starts (pass it as cursor); null on the last page.
    next_cursor: str | None = None


class UpdateAssetRequest(Dto):
    multiline_fields = frozenset({"description"})

    is_favorite: NotNullBool = None
    is_archived: NotNullBool = None
    description: str | None = Field(default=None, max_length=10_000)
    date_time_original: DbDateTime | None = Field(
        default=None,
        description="With its offset (2019-07-24T11:25:40+02:00): the offset becomes the"
        " asset's timeZone, the wall clock its localDateTime (the timeline's day).",
    )
    latitude: float | None = Field(default=None, ge=-90, le=90)
    longitude: float | None = Field(default=None, ge=-180, le=180)

    @model_validator(mode="after")
    def _position_together(self) -> UpdateAssetRequest:
        # A position is one correction: half of one would move the asset somewhere else.
        given = {"latitude", "longitude"} & self.model_fields_set
        if len(given) == 1:
            (missing,) = {"latitude", "longitude"} - given
            raise FieldError(missing, "latitude and longitude are corrected together")
        if given and (self.latitude is None) != (self.longitude is None):
            null = "latitude" if self.latitude is None else "longitude"
            raise FieldError(null, "latitude and longitude are both set or both null")
        return self


class BulkUpdateAssetsRequest(UpdateAssetRequest):
    """The same changes for many assets at once (Immich's AssetBulkUpdateDto); all of them
    the caller's, or nothing changes."""

    ids: list[UUID] = Field(min_length=1, max_length=1000)


# Deleting for good costs a few S3 calls per asset: more than this many is a bulk job (202).
PURGE_IN_REQUEST_MAX = 100


class DeleteAssetsRequest(Dto):
    ids: list[UUID] = Field(min_length=1, max_length=1000)
    force: bool = False

    @property
    def needs_job(self) -> bool:
        return self.force and len(set(self.ids)) > PURGE_IN_REQUEST_MAX


class AssetIdsRequest(Dto):
    ids: list[UUID] | None = Field(default=None, max_length=1000)


class CountResponse(ResponseDto):
    count: int


class AssetStatistics(ResponseDto):
    images: int
    videos: int
    total: int
    favorites: int
    archived: int
    trashed: int
    failed: int
    pending: int
    usage_bytes: int
    quota_size_in_bytes: int | None
