"""External libraries: a user's own S3 bucket/prefix, read in place.

A user registers a bucket and prefix; an admin approves it (Skyroll's role must be granted
read on it: docs/deploy.md); then a scan lists it one page per ``library_scan`` message (the
page's continuation token in the message and saved on the library, so a lost message is
resumed by asking for a scan again). Each listed object becomes an asset whose original
stays where it is: new objects are ingested, objects whose ETag changed are ingested anew,
and assets a finished scan did not list go offline (into the trash). Skyroll never writes to
or deletes from a library's bucket; what the stages make goes to Skyroll's own bucket.
"""

from __future__ import annotations

import hashlib
from datetime import datetime
from typing import Any
from uuid import UUID, uuid4

from chalicelib import errors
from chalicelib.messaging import LibraryScanMessage, LibraryScanQueue, StageQueue
from chalicelib.observability import logger, metrics
from chalicelib.repositories.libraries import LibraryRepository
from chalicelib.schemas import libraries as s
from chalicelib.services.auth import AuthUser
from chalicelib.services.media_types import ACCEPTED
from chalicelib.storage import keys
from chalicelib.storage.s3 import ObjectStore

# Extension -> (asset type, content type), from the types uploads accept.
EXTENSIONS: dict[str, tuple[str, str]] = {
    ext: (kind, mime) for mime, (kind, ext) in ACCEPTED.items() if mime != "image/dng"
} | {"jpeg": ("IMAGE", "image/jpeg"), "tif": ("IMAGE", "image/tiff")}
PAGE_SIZE = 1000


def media_kind(key: str) -> tuple[str, str] | None:
    """(asset type, content type) for a key whose extension is a photo or video type."""
    ext = keys.safe_extension(key.rsplit("/", 1)[-1])
    return EXTENSIONS.get(ext) if ext else None


def placeholder_checksum(bucket: str, key: str, etag: str) -> bytes:
    """Until ingest has read the bytes (and stores their SHA-256)."""
    return hashlib.sha256(f"skyroll-library\0{bucket}\0{key}\0{etag}".encode()).digest()


class LibraryService:
    def __init__(
        self,
        repo: LibraryRepository,
        store: ObjectStore,
        scans: LibraryScanQueue,
        stages: StageQueue,
        page_size: int = PAGE_SIZE,
    ) -> None:
        self._repo = repo
        self._store = store
        self._scans = scans
        self._stages = stages
        self._page_size = page_size

    # --- what users do ------------------------------------------------------------------
    def create(self, auth: AuthUser, dto: s.CreateLibraryRequest) -> s.LibraryResponse:
        row = self._repo.create(auth.id, dto.name, dto.bucket, dto.prefix)
        if row is None:
            raise errors.Conflict("You already have a library on this bucket and prefix")
        logger.info("library registered", extra={"library_id": str(row["id"])})
        return _response(row)

    def list_for(self, auth: AuthUser) -> list[s.LibraryResponse]:
        """Your libraries; an admin sees everyone's (to approve them)."""
        return [_response(r) for r in self._repo.find(None if auth.is_admin else auth.id)]

    def get(self, auth: AuthUser, library_id: UUID) -> s.LibraryResponse:
        return _response(self._visible(auth, library_id))

    def update(
        self, auth: AuthUser, library_id: UUID, dto: s.UpdateLibraryRequest
    ) -> s.LibraryResponse:
        changes = dto.model_dump(exclude_none=True)
        row = self._repo.update(auth.id, library_id, changes) if changes else None
        if row is None:
            row = self._owned(auth, library_id)
        return _response(row)

    # --- the delete-library bulk job (services/bulk_jobs.py) ---------------------------------
    def begin_delete(self, owner_id: UUID, library_id: UUID) -> None:
        """The job's check: the library leaves every view and stops scanning at once; its
        assets go in the job's batches."""
        if not self._repo.mark_deleting(owner_id, library_id):
            raise errors.NotFound("Library not found")

    def count_to_delete(self, library_id: UUID) -> int:
        return self._repo.count_assets(library_id)

    def delete_batch(self, library_id: UUID, limit: int) -> tuple[int, bool]:
        """Up to ``limit`` of the library's assets: what Skyroll made for them, then their
        rows; the objects in the library's bucket stay untouched. Once none is left, the
        library itself. (How many, whether more may remain.)"""
        if self._repo.being_deleted(library_id) is None:
            return 0, False  # deleted by an earlier delivery of this batch
        rows = self._repo.asset_batch(library_id, limit)
        for row in rows:
            self._store.delete_prefix(keys.derived_prefix(row["owner_id"], row["id"]))
        deleted = self._repo.delete_assets(library_id, [r["id"] for r in rows]) if rows else 0
        if len(rows) < limit:
            self._repo.remove(library_id)
            logger.info("library deleted", extra={"library_id": str(library_id)})
            return deleted, False
        return deleted, True

    def approve(self, auth: AuthUser, library_id: UUID) -> s.LibraryResponse:
        if not auth.is_admin:
            raise errors.Forbidden("Only an admin approves a library")
        row = self._repo.approve(library_id, auth.id)
        if row is None:
            raise errors.NotFound("Library not found")
        return _response(row)

    def scan(self, auth: AuthUser, library_id: UUID) -> s.LibraryScanResponse:
        row = self._owned(auth, library_id)
        if row["approved_at"] is None:
            raise errors.Conflict("The library awaits an admin's approval")
        resumed = row["scan_id"] is not None
        scan = self._repo.start_scan(library_id, uuid4())
        self._scans.send_library_scan(
            LibraryScanMessage(
                library_id=library_id, scan_id=scan["scan_id"], token=scan["scan_token"]
            )
        )
        return s.LibraryScanResponse(scan_id=scan["scan_id"], resumed=resumed)

    def statistics(self, auth: AuthUser, library_id: UUID) -> s.LibraryStatsResponse:
        self._visible(auth, library_id)
        row = self._repo.statistics(library_id)
        return s.LibraryStatsResponse(
            photos=row["photos"],
            videos=row["videos"],
            offline=row["offline"],
            total=row["photos"] + row["videos"],
            usage=row["usage"],
        )

    # --- the scan worker ---------------------------------------------------------------
    def scan_page(self, message: LibraryScanMessage) -> dict[str, int]:
        """Lists one page and brings the library's assets in step with it, then queues the
        next page or ends the scan. A message of a finished or replaced scan, or for a page
        already done (a redelivery), does nothing."""
        library = self._repo.get(None, message.library_id)
        if library is None or library["scan_id"] != message.scan_id:
            return {}
        if library["scan_token"] != message.token or library["approved_at"] is None:
            return {}
        source = self._store.for_bucket(library["bucket"])
        page = source.list_page(library["prefix"], message.token, self._page_size)
        counts = self._apply(library, message.scan_id, page["objects"])
        next_token = page["next_token"]
        if not self._repo.save_page(library["id"], message.scan_id, next_token):
            return counts
        if next_token:
            self._scans.send_library_scan(message.model_copy(update={"token": next_token}))
        else:
            counts["offline"] = self._repo.finish_scan(library["id"], message.scan_id)
            logger.info("library scan finished", extra={"library_id": str(library["id"])})
        return counts

    def _apply(
        self, library: dict[str, Any], scan_id: UUID, objects: list[dict[str, Any]]
    ) -> dict[str, int]:
        media = [(o, found) for o in objects if (found := media_kind(o["Key"])) is not None]
        known = self._repo.known(library["id"], [o["Key"] for o, _ in media])
        new, changed, same = [], [], []
        for obj, (kind, mime) in media:
            etag = str(obj["ETag"]).strip('"')
            modified: datetime = obj["LastModified"]
            row = known.get(obj["Key"])
            if row is None:
                new.append(
                    {
                        "owner_id": library["owner_id"],
                        "library_id": library["id"],
                        "source_bucket": library["bucket"],
                        "storage_key": obj["Key"],
                        "source_etag": etag,
                        "source_modified_at": modified,
                        "seen_scan": scan_id,
                        "type": kind,
                        "original_file_name": obj["Key"].rsplit("/", 1)[-1],
                        "original_mime_type": mime,
                        "checksum": placeholder_checksum(library["bucket"], obj["Key"], etag),
                        "file_size": int(obj["Size"]),
                    }
                )
            elif row["source_etag"] != etag:
                changed.append(
                    {"id": row["id"], "etag": etag, "modified": modified, "size": int(obj["Size"])}
                )
            else:
                same.append(row["id"])
        inserted = self._repo.insert_assets(new)
        self._repo.mark_changed(changed, scan_id)
        self._repo.mark_seen(same, scan_id)
        ingest = inserted + [c["id"] for c in changed]
        if ingest:
            self._stages.send("ingest", ingest)
        metrics.add_metric(name="LibraryObjectsScanned", unit="Count", value=len(objects))
        return {"listed": len(objects), "new": len(inserted), "changed": len(changed)}

    # --- access ---------------------------------------------------------------------------
    def _visible(self, auth: AuthUser, library_id: UUID) -> dict[str, Any]:
        row = self._repo.get(None if auth.is_admin else auth.id, library_id)
        if row is None:
            raise errors.NotFound("Library not found")
        return row

    def _owned(self, auth: AuthUser, library_id: UUID) -> dict[str, Any]:
        row = self._repo.get(auth.id, library_id)
        if row is None:
            raise errors.NotFound("Library not found")
        return row


def _response(row: dict[str, Any]) -> s.LibraryResponse:
    return s.LibraryResponse(
        **row,
        is_approved=row["approved_at"] is not None,
        is_scanning=row["scan_id"] is not None,
    )
