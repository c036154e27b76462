"""Direct-to-S3 uploads: the server signs, S3 verifies, the bytes never pass through us."""

from __future__ import annotations

import math
import uuid
from datetime import UTC, datetime, timedelta
from uuid import UUID

from chalicelib import errors
from chalicelib.db.pool import Pool
from chalicelib.repositories.assets import AssetRepository
from chalicelib.schemas import assets as s
from chalicelib.services.auth import AuthUser
from chalicelib.services.media_types import ACCEPTED, classify
from chalicelib.settings import Settings
from chalicelib.storage import keys
from chalicelib.storage.s3 import ObjectStore

MAX_PARTS = 10_000


class UploadService:
    def __init__(
        self, pool: Pool, assets: AssetRepository, store: ObjectStore, settings: Settings
    ) -> None:
        self._pool = pool
        self._assets = assets
        self._store = store
        self._settings = settings

    def bulk_check(
        self, auth: AuthUser, dto: s.BulkUploadCheckRequest
    ) -> s.BulkUploadCheckResponse:
        wanted = {item.id: s.decode_checksum(item.checksum) for item in dto.assets}
        found = {
            bytes(r["checksum"]): r
            for r in self._assets.find_by_checksums(auth.id, list(set(wanted.values())))
        }
        # A pending asset's bytes may never have arrived: ask storage about all at once.
        pending = [r["storage_key"] for r in found.values() if r["status"] == "pending"]
        arrived = self._store.existing(pending)
        results = []
        for item_id, checksum in wanted.items():
            row = found.get(checksum)
            if row is None or (row["status"] == "pending" and row["storage_key"] not in arrived):
                # A pending asset's bytes never arrived: upload them (create resumes it).
                results.append(
                    s.BulkCheckResult(
                        id=item_id, action="accept", asset_id=row["id"] if row else None
                    )
                )
                continue
            results.append(
                s.BulkCheckResult(
                    id=item_id,
                    action="reject",
                    reason="duplicate",
                    asset_id=row["id"],
                    is_trashed=row["is_trashed"],
                )
            )
        return s.BulkUploadCheckResponse(results=results)

    def create(self, auth: AuthUser, dto: s.CreateUploadRequest) -> s.CreateUploadResponse:
        kind = classify(dto.content_type)
        if kind is None:
            raise errors.BadRequest(
                f"Unsupported content type {dto.content_type!r}",
                details=[
                    {"field": "contentType", "message": "one of: " + ", ".join(sorted(ACCEPTED))}
                ],
            )
        if dto.size > self._settings.max_upload_bytes:
            raise errors.PayloadTooLarge(
                f"File is larger than the {self._settings.max_upload_bytes} byte limit"
            )
        asset_type, default_ext = kind
        ext = keys.safe_extension(dto.filename) or default_ext
        asset_id = uuid.uuid4()
        key = keys.original_key(auth.id, asset_id, ext)
        checksum = s.decode_checksum(dto.checksum)
        multipart = dto.size >= self._settings.multipart_threshold_bytes
        part_size = self._part_size(dto.size) if multipart else None
        expires = datetime.now(UTC) + timedelta(seconds=self._settings.upload_url_ttl_seconds)
        with self._pool.connection() as conn:
            self._assets.lock_owner(conn, auth.id)
            # Known bytes first: re-sending a file you have is never "over quota".
            known = self._assets.find_by_checksums(auth.id, [checksum])
            if not known:
                self._check_quota(conn, auth, dto.size)
                row = self._assets.insert_pending(
                    conn,
                    {
                        "id": asset_id,
                        "owner_id": auth.id,
                        "type": asset_type,
                        "original_file_name": dto.filename,
                        "original_mime_type": dto.content_type,
                        "checksum": checksum,
                        "file_size": dto.size,
                        "storage_key": key,
                        "device_asset_id": dto.device_asset_id,
                        "device_id": dto.device_id,
                        "file_created_at": dto.file_created_at,
                        "file_modified_at": dto.file_modified_at,
                    },
                )
                # None only if something else inserted these bytes despite the lock.
                known = [] if row else self._assets.find_by_checksums(auth.id, [checksum])
            if known:
                conn.rollback()
                existing = known[0]
                if self._bytes_missing(existing):
                    # Announced before but the bytes never arrived: hand out the same upload
                    # again rather than calling unsaved bytes a duplicate.
                    return self._resume(auth, existing["id"], expires)
                return s.CreateUploadResponse(status="duplicate", asset_id=existing["id"])
            s3_upload_id = (
                self._store.create_multipart(key, dto.content_type) if multipart else None
            )
            upload = self._assets.insert_upload(
                conn,
                {
                    "asset_id": asset_id,
                    "owner_id": auth.id,
                    "method": "MULTIPART" if multipart else "PUT",
                    "s3_upload_id": s3_upload_id,
                    "part_size": part_size,
                    "part_count": math.ceil(dto.size / part_size) if part_size else None,
                    "content_type": dto.content_type,
                    "expires_at": expires,
                },
            )
        if multipart:
            assert part_size is not None
            return s.CreateUploadResponse(
                status="created",
                asset_id=asset_id,
                upload_id=upload["id"],
                method="MULTIPART",
                part_size=part_size,
                part_count=math.ceil(dto.size / part_size),
                expires_at=expires,
            )
        url, headers = self._store.presign_put(
            key,
            content_type=dto.content_type,
            size=dto.size,
            checksum_b64=dto.checksum,
            expires_in=self._settings.upload_url_ttl_seconds,
        )
        return s.CreateUploadResponse(
            status="created",
            asset_id=asset_id,
            upload_id=upload["id"],
            method="PUT",
            url=url,
            headers=headers,
            expires_at=expires,
        )

    def create_many(self, auth: AuthUser, dto: s.BulkUploadsRequest) -> s.BulkUploadsResponse:
        """``create`` for each item in order (so the quota counts the earlier ones), one
        result per item: a refused file (type, size, quota) does not stop the others. A
        server fault raises for the whole call; repeating it is safe, because ``create``
        hands an announced-but-unsent asset its upload again instead of a second asset."""
        results = []
        for item in dto.uploads:
            try:
                ticket = self.create(auth, item)
            except errors.SkyrollError as exc:
                if exc.status_code >= 500:
                    raise
                error = s.ItemError(
                    status_code=exc.status_code, error=exc.error, message=exc.message
                )
                results.append(s.BulkUploadResult(id=item.id, status="error", error=error))
                continue
            results.append(s.BulkUploadResult(id=item.id, **dict(ticket)))
        return s.BulkUploadsResponse(results=results)

    def part_urls(
        self, auth: AuthUser, upload_id: UUID, dto: s.PartUrlsRequest
    ) -> s.PartUrlsResponse:
        upload = self._open_multipart(auth, upload_id)
        urls = []
        for part in dto.parts:
            if part.part_number > upload["part_count"]:
                raise errors.BadRequest(
                    f"Part {part.part_number} is beyond this upload's {upload['part_count']} parts"
                )
            url, headers = self._store.presign_part(
                upload["storage_key"],
                upload["s3_upload_id"],
                part.part_number,
                self._part_length(upload, part.part_number),
                part.checksum,
                self._settings.upload_url_ttl_seconds,
            )
            urls.append(s.PartUrl(part_number=part.part_number, url=url, headers=headers))
        return s.PartUrlsResponse(parts=urls)

    def list_parts(self, auth: AuthUser, upload_id: UUID) -> s.UploadedPartsResponse:
        upload = self._open_multipart(auth, upload_id)
        return s.UploadedPartsResponse(
            parts=[
                s.UploadedPart(
                    part_number=p["PartNumber"],
                    size=p["Size"],
                    etag=p["ETag"],
                    checksum=p.get("ChecksumSHA256"),
                )
                for p in self._store.list_parts(upload["storage_key"], upload["s3_upload_id"])
            ]
        )

    def complete(
        self, auth: AuthUser, upload_id: UUID, dto: s.CompleteUploadRequest
    ) -> s.CompleteUploadResponse:
        upload = self._open_multipart(auth, upload_id)
        parts = self._store.list_parts(upload["storage_key"], upload["s3_upload_id"])
        have = {p["PartNumber"]: p for p in parts}
        missing = [n for n in range(1, upload["part_count"] + 1) if n not in have]
        if missing:
            raise errors.BadRequest(f"Parts not uploaded yet: {missing[:20]}")
        wrong = [
            n
            for n in have
            if n <= upload["part_count"] and have[n]["Size"] != self._part_length(upload, n)
        ]
        if wrong:
            raise errors.BadRequest(f"Parts with the wrong size: {wrong[:20]}")
        for claimed in dto.parts or []:
            part = have.get(int(claimed.get("partNumber", 0)))
            if part is None or str(claimed.get("etag", "")).strip('"') != part["ETag"].strip('"'):
                raise errors.BadRequest(f"ETag mismatch for part {claimed.get('partNumber')}")
        ordered = [have[n] for n in range(1, upload["part_count"] + 1)]
        self._store.complete_multipart(upload["storage_key"], upload["s3_upload_id"], ordered)
        self._assets.mark_upload_completed(upload_id)
        return s.CompleteUploadResponse(asset_id=upload["asset_id"], status="pending")

    def abort(self, auth: AuthUser, upload_id: UUID) -> None:
        upload = self._assets.get_upload(auth.id, upload_id)
        if upload is None:
            raise errors.NotFound("Upload not found")
        if upload["asset_status"] != "pending":
            raise errors.Conflict("This upload has already been received")
        if upload["s3_upload_id"]:
            self._store.abort_multipart(upload["storage_key"], upload["s3_upload_id"])
        else:
            self._store.delete(upload["storage_key"])
        self._assets.delete_pending(upload["asset_id"])

    # --- helpers ----------------------------------------------------------------------
    def _bytes_missing(self, row: dict) -> bool:
        """A pending asset whose object is not in storage yet (its client may have died
        between announcing and sending). Arrived-but-not-ingested bytes count as present."""
        return row["status"] == "pending" and self._store.head(row["storage_key"]) is None

    def _resume(self, auth: AuthUser, asset_id: UUID, expires: datetime) -> s.CreateUploadResponse:
        upload = self._assets.get_upload_for_asset(auth.id, asset_id)
        if upload is None or upload["completed_at"] is not None:
            return s.CreateUploadResponse(status="duplicate", asset_id=asset_id)
        self._assets.extend_upload(upload["id"], expires)
        common = {
            "status": "created",
            "asset_id": asset_id,
            "upload_id": upload["id"],
            "expires_at": expires,
        }
        if upload["method"] == "MULTIPART":
            return s.CreateUploadResponse(
                **common,
                method="MULTIPART",
                part_size=upload["part_size"],
                part_count=upload["part_count"],
            )
        url, headers = self._store.presign_put(
            upload["storage_key"],
            content_type=upload["content_type"],
            size=upload["file_size"],
            checksum_b64=s.encode_checksum(bytes(upload["checksum"])),
            expires_in=self._settings.upload_url_ttl_seconds,
        )
        return s.CreateUploadResponse(**common, method="PUT", url=url, headers=headers)

    def _open_multipart(self, auth: AuthUser, upload_id: UUID) -> dict:
        upload = self._assets.get_upload(auth.id, upload_id)
        if upload is None:
            raise errors.NotFound("Upload not found")
        if upload["method"] != "MULTIPART":
            raise errors.BadRequest("This upload is a single PUT, not multipart")
        if upload["completed_at"] is not None or upload["asset_status"] != "pending":
            raise errors.Conflict("This upload is already complete")
        return upload

    def _part_size(self, size: int) -> int:
        return max(self._settings.multipart_part_size_bytes, math.ceil(size / MAX_PARTS))

    @staticmethod
    def _part_length(upload: dict, part_number: int) -> int:
        if part_number < upload["part_count"]:
            return int(upload["part_size"])
        return int(upload["file_size"]) - (upload["part_count"] - 1) * int(upload["part_size"])

    def _check_quota(self, conn: object, auth: AuthUser, size: int) -> None:
        quota = auth.quota_size_in_bytes
        if quota is None:
            return
        used = self._assets.usage_bytes(conn, auth.id)
        if used + size > quota:
            raise errors.PayloadTooLarge(
                f"Upload of {size} bytes exceeds your quota: {used} of {quota} bytes used"
            )
