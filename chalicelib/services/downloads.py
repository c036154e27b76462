"""Zip downloads: a selection of assets or an album, planned here into parts of at most
``archiveSize`` bytes of originals, built into S3 by the ``archive`` stage (one message per
part, so no part outlives a Lambda), delivered as presigned GETs.

Nothing streams through the API Lambda (6 MB responses): the worker reads originals from
S3 and writes the zip back to S3 (chalicelib.workers.archive).
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID

from chalicelib import errors
from chalicelib.messaging import StageQueue
from chalicelib.repositories.downloads import DownloadRepository
from chalicelib.schemas import downloads as s
from chalicelib.services.access import Principal, Visitor
from chalicelib.storage.s3 import ObjectStore

STAGE = "archive"
ARCHIVE_TTL = timedelta(hours=24)
URL_TTL_SECONDS = 3600  # the URL only has to be valid when the GET starts

# (caller, asset ids) → the ids the caller may download.
Allowed = Callable[[Principal, list[UUID]], set[UUID]]
# (caller, album id) → the album's asset ids, after checking the caller may download it.
AlbumAssets = Callable[[Principal, UUID], list[UUID]]


def archive_prefix(owner_id: UUID, archive_id: UUID) -> str:
    # Outside users/: the upload notification (ingest) and orphan cleanup never see these.
    return f"downloads/{owner_id}/{archive_id}/"


def part_key(owner_id: UUID, archive_id: UUID, part_number: int) -> str:
    return f"{archive_prefix(owner_id, archive_id)}part-{part_number:04d}.zip"


def plan(assets: list[dict[str, Any]], archive_size: int) -> list[list[dict[str, Any]]]:
    """Greedy, in order: a part takes assets while their bytes fit ``archive_size``; an
    asset bigger than that gets a part of its own."""
    parts: list[list[dict[str, Any]]] = []
    size = 0
    for asset in assets:
        if not parts or (parts[-1] and size + asset["file_size"] > archive_size):
            parts.append([])
            size = 0
        parts[-1].append(asset)
        size += asset["file_size"]
    return parts


class DownloadService:
    def __init__(
        self,
        downloads: DownloadRepository,
        store: ObjectStore,
        queue: StageQueue,
        allowed: Allowed,
        album_assets: AlbumAssets,
        *,
        min_part_size: int = 64 * 1024**2,
    ) -> None:
        self._min_part_size = min_part_size
        self._downloads = downloads
        self._store = store
        self._queue = queue
        self._allowed = allowed
        self._album_assets = album_assets

    def create(self, auth: Principal, dto: s.DownloadArchiveRequest) -> s.DownloadArchiveResponse:
        """A user's zip, or a shared-link visitor's (the link's assets, when the link allows
        downloads; it belongs to the link and lives with its owner's downloads)."""
        if isinstance(auth, Visitor) and not auth.allow_download:
            raise errors.Forbidden("Downloads are off for this shared link")
        owner_id = auth.owner_id if isinstance(auth, Visitor) else auth.id
        ids = self._requested(auth, dto)
        assets = self._downloads.downloadable(ids)
        if not assets:
            raise errors.BadRequest("Nothing to download: no uploaded originals")
        archive_id = uuid.uuid4()
        # A floor on the part size: ``archiveSize: 1`` would otherwise make one zip, one
        # message and one Lambda run per asset. The response says the size used.
        archive_size = max(dto.archive_size, self._min_part_size)
        parts = plan(assets, archive_size)
        archive = {
            "id": archive_id,
            "owner_id": owner_id,
            "shared_link_id": auth.link_id if isinstance(auth, Visitor) else None,
            "archive_size": archive_size,
            "asset_count": len(assets),
            "total_size": sum(a["file_size"] for a in assets),
            "expires_at": datetime.now(UTC) + ARCHIVE_TTL,
        }
        rows = [
            {
                "archive_id": archive_id,
                "part_number": n,
                "asset_ids": [a["id"] for a in p],
                "planned_size": sum(a["file_size"] for a in p),
                "storage_key": part_key(owner_id, archive_id, n),
            }
            for n, p in enumerate(parts, start=1)
        ]
        self._downloads.create(archive, rows)
        self._queue.send_archive_parts(archive_id, [row["part_number"] for row in rows])
        return self.get(auth, archive_id)

    def get(self, auth: Principal, archive_id: UUID) -> s.DownloadArchiveResponse:
        archive = (
            self._downloads.get_for_link(auth.link_id, archive_id)
            if isinstance(auth, Visitor)
            else self._downloads.get(auth.id, archive_id)
        )
        if archive is None:
            raise errors.NotFound("Download not found")
        rows = self._downloads.parts(archive_id)
        parts = [self._part(archive, p, len(rows)) for p in rows]
        return s.DownloadArchiveResponse(
            id=archive["id"],
            status=overall([p.status for p in parts]),
            asset_count=archive["asset_count"],
            total_size=archive["total_size"],
            archive_size=archive["archive_size"],
            created_at=archive["created_at"],
            expires_at=archive["expires_at"],
            parts=parts,
        )

    def _part(self, archive: dict[str, Any], row: dict[str, Any], count: int) -> s.ArchivePart:
        url = None
        if row["status"] == "done":
            day = archive["created_at"].strftime("%Y%m%d")
            suffix = f"-{row['part_number']}" if count > 1 else ""
            url = self._store.presign_get(
                row["storage_key"],
                filename=f"skyroll-{day}{suffix}.zip",
                content_type="application/zip",
                expires_in=URL_TTL_SECONDS,
            )
        return s.ArchivePart(
            part_number=row["part_number"],
            status=row["status"],
            asset_count=len(row["asset_ids"]),
            planned_size=row["planned_size"],
            size=row["byte_size"],
            skipped=row["skipped"],
            url=url,
            error=row["error"],
        )

    def expire(self, now: datetime | None = None) -> dict[str, int]:
        """The ``expire-downloads`` job: zips older than ARCHIVE_TTL go, objects first."""
        removed = 0
        while rows := self._downloads.expired(now or datetime.now(UTC)):
            for row in rows:
                self._store.delete_prefix(archive_prefix(row["owner_id"], row["id"]))
                self._downloads.delete(row["id"])
                removed += 1
        return {"expired": removed}

    def forget_owner(self, owner_id: UUID) -> int:
        """Every zip object a user asked for, for the delete-user job (their rows go with
        the user's row)."""
        return self._store.delete_prefix(f"downloads/{owner_id}/")

    def _requested(self, auth: Principal, dto: s.DownloadArchiveRequest) -> list[UUID]:
        if dto.album_id is not None:
            return self._album_assets(auth, dto.album_id)
        ids = list(dict.fromkeys(dto.asset_ids or []))
        if len(self._allowed(auth, ids)) != len(ids):
            raise errors.NotFound("One or more assets not found")
        return ids


def overall(statuses: list[str]) -> str:
    if "failed" in statuses:
        return "failed"
    if statuses and all(st == "done" for st in statuses):
        return "done"
    if all(st == "queued" for st in statuses):
        return "queued"
    return "running"
