"""Direct-to-S3 uploads: the server signs, S3 verifies, the bytes never pass through us."""

from __future__ import annotations

import math
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID

from chalicelib import errors
from chalicelib.db.pool import Connection, Pool
from chalicelib.repositories.assets import AssetRepository
from chalicelib.schemas import assets as s
from chalicelib.services.auth import AuthUser
from chalicelib.services.media_types import ACCEPTED, classify
from chalicelib.services.system_config import SystemConfigReader
from chalicelib.settings import Settings
from chalicelib.storage import keys
from chalicelib.storage.s3 import ObjectStore

MAX_PARTS = 10_000


@dataclass(frozen=True)
class _Plan:
    """One file of a create call, checked and named, before anything is stored."""

    index: int
    dto: s.CreateUploadRequest
    asset_id: UUID
    asset_type: str
    key: str
    checksum: bytes
    part_size: int | None

    @property
    def part_count(self) -> int | None:
        return math.ceil(self.dto.size / self.part_size) if self.part_size else None


class UploadService:
    def __init__(
        self,
        pool: Pool,
        assets: AssetRepository,
        store: ObjectStore,
        settings: Settings,
        config: SystemConfigReader | None = None,
    ) -> None:
        self._pool = pool
        self._assets = assets
        self._store = store
        self._settings = settings
        # The admin's upload limit (upload.maxFileSizeInBytes), at most the environment's.
        self._config = config

    def expire_pending(self) -> int:
        """The expire-pending-uploads job: uploads announced but never finished lose their
        multipart upload, their partial object and their pending row."""
        cutoff = datetime.now(UTC) - timedelta(hours=self._settings.pending_upload_ttl_hours)
        total = 0
        while rows := self._assets.expired_pending(cutoff):
            for row in rows:
                if row["s3_upload_id"]:
                    self._store.abort_multipart(row["storage_key"], row["s3_upload_id"])
                self._store.delete(row["storage_key"])
                self._assets.delete_pending(row["id"])
            total += len(rows)
        return total

    def bulk_check(
        self, auth: AuthUser, dto: s.BulkUploadCheckRequest
    ) -> s.BulkUploadCheckResponse:
        wanted = {item.id: s.decode_checksum(item.checksum) for item in dto.assets}
        known = self._known(auth, list(set(wanted.values())))
        results = []
        for item_id, checksum in wanted.items():
            row, missing = known.get(checksum, (None, True))
            if row is None or missing:
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
        (result,) = self._create_all(auth, [dto])
        if isinstance(result, errors.SkyrollError):
            raise result
        return result

    def create_many(self, auth: AuthUser, dto: s.BulkUploadsRequest) -> s.BulkUploadsResponse:
        """``create`` for many files, one result each: a refused file (type, size, quota)
        does not stop the others. A server fault fails the whole call and keeps nothing;
        repeating a call that did succeed hands out the same assets again."""
        results = []
        for item, result in zip(dto.uploads, self._create_all(auth, dto.uploads), strict=True):
            if isinstance(result, errors.SkyrollError):
                error = s.ItemError(
                    status_code=result.status_code, error=result.error, message=result.message
                )
                results.append(s.BulkUploadResult(id=item.id, status="error", error=error))
            else:
                results.append(s.BulkUploadResult(id=item.id, **dict(result)))
        return s.BulkUploadsResponse(results=results)

    def _create_all(
        self, auth: AuthUser, dtos: Sequence[s.CreateUploadRequest]
    ) -> list[s.CreateUploadResponse | errors.SkyrollError]:
        """One transaction under the user's lock: bytes the user already has first (a
        duplicate is never "over quota"), then the quota in order, then the new rows."""
        expires = datetime.now(UTC) + timedelta(seconds=self._settings.upload_url_ttl_seconds)
        out: dict[int, s.CreateUploadResponse | errors.SkyrollError] = {}
        plans: list[_Plan] = []
        for index, dto in enumerate(dtos):
            try:
                plans.append(self._plan(index, dto, auth))
            except errors.SkyrollError as exc:
                out[index] = exc
        again: list[tuple[int, UUID]] = []  # announced before, bytes missing: same upload
        created: list[tuple[_Plan, UUID]] = []
        with self._pool.connection() as conn:
            self._assets.lock_owner(conn, auth.id)
            known = self._known(auth, [p.checksum for p in plans], conn)
            used = (
                self._assets.usage_bytes(conn, auth.id)
                if auth.quota_size_in_bytes is not None
                else 0
            )
            first: dict[bytes, UUID] = {}
            room = self._settings.max_pending_uploads - (
                self._assets.pending_count(conn, auth.id) if plans else 0
            )
            for plan in plans:
                if plan.checksum in known:
                    row, missing = known[plan.checksum]
                    if missing:
                        again.append((plan.index, row["id"]))
                    else:
                        out[plan.index] = s.CreateUploadResponse(
                            status="duplicate", asset_id=row["id"]
                        )
                elif plan.checksum in first:  # the same bytes twice in one call: one asset
                    again.append((plan.index, first[plan.checksum]))
                elif (refused := self._over_quota(auth, used, plan.dto.size)) is not None:
                    out[plan.index] = refused
                elif room <= 0:
                    out[plan.index] = self._too_many_pending()
                else:
                    room -= 1
                    used += plan.dto.size
                    created.append((plan, self._insert(conn, auth, plan, expires)))
                    first[plan.checksum] = plan.asset_id
        for index, asset_id in again:
            out[index] = self._resume(auth, asset_id, expires)
        for plan, upload_id in created:
            out[plan.index] = self._ticket(plan, upload_id, expires)
        return [out[i] for i in range(len(dtos))]

    def _plan(self, index: int, dto: s.CreateUploadRequest, auth: AuthUser) -> _Plan:
        kind = classify(dto.content_type)
        if kind is None:
            raise errors.BadRequest(
                f"Unsupported content type {dto.content_type!r}",
                details=[
                    {"field": "contentType", "message": "one of: " + ", ".join(sorted(ACCEPTED))}
                ],
            )
        limit = self._max_upload_bytes()
        if dto.size > limit:
            # The stages copy a whole original to Lambda's /tmp (docs/deploy.md: limits):
            # refused here, before any byte is sent, rather than failed after the upload.
            raise errors.PayloadTooLarge(
                f"File is larger than the {limit / 1024**3:.1f} GiB ({limit} bytes) this "
                "server can process"
            )
        asset_type, default_ext = kind
        asset_id = uuid.uuid4()
        ext = keys.safe_extension(dto.filename) or default_ext
        multipart = dto.size >= self._settings.multipart_threshold_bytes
        return _Plan(
            index=index,
            dto=dto,
            asset_id=asset_id,
            asset_type=asset_type,
            key=keys.original_key(auth.id, asset_id, ext),
            checksum=s.decode_checksum(dto.checksum),
            part_size=self._part_size(dto.size) if multipart else None,
        )

    def _known(
        self, auth: AuthUser, checksums: list[bytes], conn: Connection | None = None
    ) -> dict[bytes, tuple[dict[str, Any], bool]]:
        """checksum → (the user's asset with these bytes, whether its bytes never arrived)."""
        rows = self._assets.find_by_checksums(auth.id, checksums, conn) if checksums else []
        pending = [r["storage_key"] for r in rows if r["status"] == "pending"]
        arrived = self._store.existing(pending)
        return {
            bytes(r["checksum"]): (
                r,
                r["status"] == "pending" and r["storage_key"] not in arrived,
            )
            for r in rows
        }

    def _max_upload_bytes(self) -> int:
        ceiling = self._settings.max_upload_bytes
        if self._config is None:
            return ceiling
        return min(ceiling, self._config.get().upload.max_file_size_in_bytes)

    def _too_many_pending(self) -> errors.SkyrollError:
        limit = self._settings.max_pending_uploads
        return errors.Conflict(
            f"You have {limit} uploads waiting for their bytes: finish or cancel some first "
            f"(unfinished ones expire after {self._settings.pending_upload_ttl_hours} hours)"
        )

    @staticmethod
    def _over_quota(auth: AuthUser, used: int, size: int) -> errors.SkyrollError | None:
        quota = auth.quota_size_in_bytes
        if quota is None or used + size <= quota:
            return None
        return errors.PayloadTooLarge(
            f"Upload of {size} bytes exceeds your quota: {used} of {quota} bytes used"
        )

    def _insert(self, conn: Connection, auth: AuthUser, plan: _Plan, expires: datetime) -> UUID:
        dto = plan.dto
        row = self._assets.insert_pending(
            conn,
            {
                "id": plan.asset_id,
                "owner_id": auth.id,
                "type": plan.asset_type,
                "original_file_name": dto.filename,
                "original_mime_type": dto.content_type,
                "checksum": plan.checksum,
                "file_size": dto.size,
                "storage_key": plan.key,
                "device_asset_id": dto.device_asset_id,
                "device_id": dto.device_id,
                "file_created_at": dto.file_created_at,
                "file_modified_at": dto.file_modified_at,
                "original_path": dto.original_path,
            },
        )
        if row is None:  # only if something inserted these bytes without the user's lock
            raise errors.Conflict("These bytes are being uploaded already; try again")
        multipart = plan.part_size is not None
        s3_upload_id = (
            self._store.create_multipart(plan.key, dto.content_type) if multipart else None
        )
        upload = self._assets.insert_upload(
            conn,
            {
                "asset_id": plan.asset_id,
                "owner_id": auth.id,
                "method": "MULTIPART" if multipart else "PUT",
                "s3_upload_id": s3_upload_id,
                "part_size": plan.part_size,
                "part_count": plan.part_count,
                "content_type": dto.content_type,
                "expires_at": expires,
            },
        )
        return UUID(str(upload["id"]))

    def _ticket(self, plan: _Plan, upload_id: UUID, expires: datetime) -> s.CreateUploadResponse:
        common = {
            "status": "created",
            "asset_id": plan.asset_id,
            "upload_id": upload_id,
            "expires_at": expires,
        }
        if plan.part_size is not None:
            return s.CreateUploadResponse(
                **common, method="MULTIPART", part_size=plan.part_size, part_count=plan.part_count
            )
        url, headers = self._store.presign_put(
            plan.key,
            content_type=plan.dto.content_type,
            size=plan.dto.size,
            checksum_b64=plan.dto.checksum,
            expires_in=self._settings.upload_url_ttl_seconds,
        )
        return s.CreateUploadResponse(**common, method="PUT", url=url, headers=headers)

    def sidecar_ticket(
        self, auth: AuthUser, asset_id: UUID, dto: s.SidecarUploadRequest
    ) -> s.SidecarUploadResponse:
        """A presigned PUT for the asset's XMP sidecar; before or after the photo's bytes."""
        from chalicelib.repositories.sidecars import SidecarRepository

        if SidecarRepository(self._pool).owned_asset(auth.id, asset_id) is None:
            raise errors.NotFound("Asset not found")
        ttl = self._settings.upload_url_ttl_seconds
        url, headers = self._store.presign_put(
            keys.sidecar_key(auth.id, asset_id),
            content_type=dto.content_type,
            size=dto.size,
            checksum_b64=dto.checksum,
            expires_in=ttl,
        )
        return s.SidecarUploadResponse(
            url=url, headers=headers, expires_at=datetime.now(UTC) + timedelta(seconds=ttl)
        )

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

    def _open_multipart(self, auth: AuthUser, upload_id: UUID) -> dict[str, Any]:
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
    def _part_length(upload: dict[str, Any], part_number: int) -> int:
        if part_number < upload["part_count"]:
            return int(upload["part_size"])
        return int(upload["file_size"]) - (int(upload["part_count"]) - 1) * int(upload["part_size"])
