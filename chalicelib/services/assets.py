"""The asset library: browse, change, trash, restore, delete for good, download."""

from __future__ import annotations

import base64
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID

from chalicelib import errors
from chalicelib.observability import logger
from chalicelib.repositories.assets import AssetRepository
from chalicelib.schemas import assets as s
from chalicelib.schemas.base import validate_many
from chalicelib.services.access import AccessService
from chalicelib.services.auth import AuthUser
from chalicelib.services.system_config import SystemConfigReader
from chalicelib.settings import Settings
from chalicelib.storage import keys
from chalicelib.storage.s3 import ObjectStore


def format_duration(seconds: float | None) -> str | None:
    if seconds is None:
        return None
    hours, rest = divmod(float(seconds), 3600)
    minutes, secs = divmod(rest, 60)
    return f"{int(hours)}:{int(minutes):02d}:{secs:09.6f}"


_UNSET = object()


def _capture_fields(when: datetime | None) -> dict[str, Any]:
    """A capture time the owner set: the instant for ordering, the wall clock where it was
    taken (labelled UTC, as ingest stores it) for the timeline's day, and its offset."""
    if when is None:  # cleared: the file time orders the asset again
        return {"taken_at": None, "local_date_time": None, "time_zone": None}
    offset = when.utcoffset() or timedelta(0)
    minutes = int(offset.total_seconds() // 60)
    hours, mins = divmod(abs(minutes), 60)
    return {
        "taken_at": when.astimezone(UTC),
        "local_date_time": when.replace(tzinfo=UTC),
        "time_zone": f"{'-' if minutes < 0 else '+'}{hours:02d}:{mins:02d}",
    }


def to_response(row: dict[str, Any]) -> s.AssetResponse:
    """One asset's detail (a row of ASSET_SELECT, stages and tags included)."""
    return s.AssetResponse.model_validate(
        {
            **summary_fields(row),
            "stages": row.get("stages") or [],
            "tags": [
                {**tag, "name": tag["value"].rpartition("/")[2]} for tag in row.get("tags") or []
            ],
        }
    )


def to_summaries(rows: list[dict[str, Any]]) -> list[s.AssetSummary]:
    """A page of assets as lists show them, validated in one pass."""
    return validate_many(s.AssetSummary, map(summary_fields, rows))


def summary_fields(row: dict[str, Any]) -> dict[str, Any]:
    """The AssetSummary fields of a row of ASSET_LIST_SELECT, nested DTOs as dicts."""
    exif = row.get("exif")
    return {
        "id": row["id"],
        "owner_id": row["owner_id"],
        "type": row["type"],
        "status": row["status"],
        "failure_reason": row["failure_reason"],
        "original_file_name": row["original_file_name"],
        "original_mime_type": row["original_mime_type"],
        "checksum": s.encode_checksum(bytes(row["checksum"])),
        "file_created_at": row["file_created_at"],
        "file_modified_at": row["file_modified_at"],
        "local_date_time": row["local_date_time"] or row["file_created_at"],
        "is_favorite": row["is_favorite"],
        "is_archived": row["is_archived"],
        "is_trashed": row["is_trashed"],
        "duration": format_duration(row["duration_seconds"]),
        "thumbhash": row["thumbhash"],
        "width": row["width"],
        "height": row["height"],
        "device_asset_id": row["device_asset_id"],
        "device_id": row["device_id"],
        "created_at": row["created_at"],
        "updated_at": row["updated_at"],
        "exif_info": {
            **exif,
            "file_size_in_byte": exif.get("file_size_in_byte") or row["file_size"],
        }
        if exif
        else None,
        "original_path": row.get("original_path"),
        "live_photo_video_id": row.get("live_photo_video_id"),
        "visibility": _visibility(row),
        "stack": row["stack"] if row.get("stack") else None,
        "library_id": row.get("library_id"),
        "is_offline": bool(row.get("is_offline")),
        "sidecar": {"status": row["sidecar_status"], "reason": row.get("sidecar_reason")}
        if row.get("sidecar_status")
        else None,
    }


def for_viewer(asset: s.AssetResponse, viewer: UUID | None) -> s.AssetResponse:
    """What ``viewer`` may see of an asset: the pipeline's stages and their errors are the
    owner's business (storage and database messages), not a partner's or album member's."""
    return asset if asset.owner_id == viewer else asset.model_copy(update={"stages": []})


def _visibility(row: dict[str, Any]) -> str:
    if row.get("visibility") == "hidden":
        return "hidden"
    return "archive" if row["is_archived"] else "timeline"


def encode_cursor(sort_key: datetime, asset_id: UUID) -> str:
    """Where a page ended: the last asset's sort time and id (the list's order), opaque to
    clients so the order can change without breaking them."""
    raw = f"{sort_key.isoformat()}|{asset_id}".encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str) -> tuple[datetime, UUID]:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        when, asset_id = raw.split("|")
        sort_key = datetime.fromisoformat(when)
        if sort_key.tzinfo is None:
            raise ValueError("naive time")
        return sort_key, UUID(asset_id)
    except ValueError as exc:  # binascii.Error and UnicodeDecodeError are ValueErrors
        raise errors.BadRequest(
            "cursor is not one this API returned",
            details=[{"field": "cursor", "message": "pass nextCursor from the previous page"}],
        ) from exc


class AssetService:
    def __init__(
        self,
        assets: AssetRepository,
        store: ObjectStore,
        settings: Settings,
        access: AccessService,
        config: SystemConfigReader | None = None,
    ) -> None:
        self._assets = assets
        self._store = store
        self._settings = settings
        # trash.days, as the admin set it (services/system_config.py).
        self._config = config
        # services/access.py: partners, album members may read (and download) what they see.
        self._access = access

    def list_page(self, auth: AuthUser, query: s.AssetListQuery) -> s.AssetPage:
        filters = query.model_dump(exclude={"page", "size", "cursor"}, exclude_none=True)
        after = decode_cursor(query.cursor) if query.cursor else None
        offset = 0 if after else (query.page - 1) * query.size
        rows = self._assets.list_page(auth.id, filters, query.size + 1, offset, after)
        more = len(rows) > query.size
        items = rows[: query.size]
        return s.AssetPage(
            items=to_summaries(items),
            next_page=(None if after else query.page + 1) if more else None,
            next_cursor=encode_cursor(items[-1]["sort_key"], items[-1]["id"]) if more else None,
        )

    def get(self, auth: AuthUser, asset_id: UUID) -> s.AssetResponse:
        return for_viewer(to_response(self._load_shared(auth, asset_id, download=False)), auth.id)

    def update(self, auth: AuthUser, asset_id: UUID, dto: s.UpdateAssetRequest) -> s.AssetResponse:
        self._load(auth, asset_id)
        self._apply(auth, [asset_id], dto)
        return self.get(auth, asset_id)

    # --- folder view (the client paths uploads gave) -------------------------------------
    def folders(self, auth: AuthUser) -> s.FolderPathsResponse:
        return s.FolderPathsResponse(self._assets.folders(auth.id))

    def folder(self, auth: AuthUser, query: s.FolderQuery) -> list[s.AssetResponse]:
        folder = query.path.replace("\\", "/").rstrip("/")
        return [to_response(r) for r in self._assets.in_folder(auth.id, folder)]

    def update_many(self, auth: AuthUser, dto: s.BulkUpdateAssetsRequest) -> None:
        """``update`` for many assets: every id must be the caller's (404 otherwise, before
        anything changes)."""
        ids = list(dict.fromkeys(dto.ids))
        if len(self._assets.owned_keys(auth.id, ids)) != len(ids):
            raise errors.NotFound("One or more assets not found")
        self._apply(auth, ids, dto)

    def _apply(self, auth: AuthUser, ids: list[UUID], dto: s.UpdateAssetRequest) -> None:
        # The DTO has refused every bad input already (the position pair included), so
        # nothing below fails half-way on the caller's account.
        changes = dto.model_dump(exclude_unset=True, exclude={"ids"})
        flags = {k: v for k, v in changes.items() if k in ("is_favorite", "is_archived")}
        exif = {
            k: v
            for k, v in changes.items()
            if k in ("description", "date_time_original", "latitude", "longitude")
        }
        if (when := changes.get("date_time_original", _UNSET)) is not _UNSET:
            flags.update(_capture_fields(when))
            exif.update(
                date_source="user" if when is not None else None,
                time_zone=flags.pop("time_zone"),
                time_zone_source="user" if when is not None else None,
            )
        if "latitude" in exif and "longitude" in exif:
            from chalicelib.media.geocode import place_fields

            exif.update(place_fields(exif["latitude"], exif["longitude"]))
        for asset_id in ids:
            if flags:
                self._assets.update_flags(auth.id, asset_id, flags)
            if exif:
                self._assets.upsert_exif(asset_id, exif)

    def delete(self, auth: AuthUser, dto: s.DeleteAssetsRequest) -> None:
        owned = self._assets.owned_keys(auth.id, dto.ids)
        if len(owned) != len(set(dto.ids)):
            raise errors.NotFound("One or more assets not found")
        # A Live Photo's motion part goes (to the trash, or for good) with its still.
        ids = self._assets.with_motion_parts(auth.id, dto.ids)
        if not dto.force:
            self._assets.trash(auth.id, ids)
            return
        self._purge(self._assets.owned_keys(auth.id, ids))

    def restore(self, auth: AuthUser, dto: s.AssetIdsRequest) -> s.CountResponse:
        ids = self._assets.with_motion_parts(auth.id, dto.ids) if dto.ids else None
        return s.CountResponse(count=self._assets.restore(auth.id, ids))

    def count_trash(self, owner_id: UUID, before: datetime) -> int:
        return self._assets.count_trashed(owner_id, before)

    def purge_trash_batch(self, owner_id: UUID, before: datetime, limit: int) -> tuple[int, bool]:
        """One batch of the empty-trash job: up to ``limit`` rows of what the owner trashed
        before ``before`` deleted for good; (how many, counted as the trash shows them: a
        motion part is not an item; whether more may remain)."""
        rows = self._assets.trashed_before(owner_id, before, limit)
        if rows:
            self._purge(rows)
        return sum(r["visibility"] != "hidden" for r in rows), len(rows) == limit

    def check_owned(self, owner_id: UUID, ids: list[UUID]) -> None:
        if len(self._assets.owned_keys(owner_id, ids)) != len(set(ids)):
            raise errors.NotFound("One or more assets not found")

    def purge_ids_batch(self, owner_id: UUID, ids: list[UUID]) -> int:
        """One batch of the delete-assets job: these of the owner's assets (those still
        there) deleted for good."""
        rows = self._assets.owned_keys(owner_id, ids)
        return self._purge(rows) if rows else 0

    def count_owned(self, owner_id: UUID) -> int:
        return self._assets.count_owned(owner_id)

    def purge_owner_batch(self, owner_id: UUID, limit: int) -> tuple[int, bool]:
        """One batch of the delete-user job: up to ``limit`` of the owner's assets, every
        object then the rows; (how many, whether more may remain)."""
        rows = self._assets.owned_batch(owner_id, limit)
        return (self._purge(rows) if rows else 0), len(rows) == limit

    def restore_trash_batch(self, owner_id: UUID, before: datetime, limit: int) -> tuple[int, bool]:
        """One batch of the restore-trash job; (how many, counted as ``restore`` counts them:
        a motion part comes back uncounted; whether more may remain)."""
        shown, rows = self._assets.restore_trashed(owner_id, before, limit)
        return shown, rows == limit

    def original_url(self, auth: AuthUser, asset_id: UUID) -> str:
        row = self._load_shared(auth, asset_id, download=True)
        if row["status"] == "pending":
            raise errors.NotFound("The original has not been uploaded yet")
        return self._store.for_bucket(row.get("source_bucket")).presign_get(
            row["storage_key"],
            filename=row["original_file_name"],
            content_type=row["original_mime_type"],
            expires_in=300,
        )

    def statistics(self, auth: AuthUser) -> s.AssetStatistics:
        row = self._assets.statistics(auth.id)
        return s.AssetStatistics(**row, quota_size_in_bytes=auth.quota_size_in_bytes)

    def purge_trash(self) -> int:
        """The purge-trash job: deletes for good what has been in the trash longer than the
        retention period."""
        days = (
            self._config.get().trash.days
            if self._config is not None
            else self._settings.trash_retention_days
        )
        cutoff = datetime.now(UTC) - timedelta(days=days)
        total = 0
        while rows := self._assets.trashed_before(None, cutoff):
            total += self._purge(rows)
        return total

    def _purge(self, rows: list[dict[str, Any]]) -> int:
        """Deletes every object of each asset, then its rows. Objects first: a crash in
        between leaves a row to retry, never an object nobody can find."""
        for row in rows:
            if row["library_id"] is not None:
                # An external library's original is the user's own object in their bucket:
                # only what Skyroll made for it goes (a later scan finds the object again).
                self._store.delete_prefix(keys.derived_prefix(row["owner_id"], row["id"]))
                continue
            owner, _, _ = row["storage_key"].removeprefix(keys.ORIGINALS_PREFIX).partition("/")
            for prefix in keys.asset_prefixes(UUID(owner), row["id"]):
                self._store.delete_prefix(prefix)
        deleted = self._assets.delete([r["id"] for r in rows])
        logger.info("purged assets", extra={"count": deleted})
        return deleted

    def _load_shared(self, auth: AuthUser, asset_id: UUID, *, download: bool) -> dict[str, Any]:
        """The owner's row, or one shared with the caller (read-only: changes stay owner-only)."""
        row = self._assets.get(auth.id, asset_id)
        if row is not None:
            return row
        if download and not self._access.can_download(auth, asset_id):
            raise errors.NotFound("Asset not found")
        shared = self._access.media_seam(auth, asset_id)
        if shared is None:
            raise errors.NotFound("Asset not found")
        return dict(shared)

    def _load(self, auth: AuthUser, asset_id: UUID) -> dict[str, Any]:
        row = self._assets.get(auth.id, asset_id)
        if row is None:
            raise errors.NotFound("Asset not found")
        return row
