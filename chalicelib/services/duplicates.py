"""Near-duplicate groups: list them, resolve one (keep some, the rest go to the trash)."""

from __future__ import annotations

from itertools import groupby
from uuid import UUID

from chalicelib import errors
from chalicelib.observability import logger
from chalicelib.repositories.assets import AssetRepository
from chalicelib.repositories.duplicates import DuplicateRepository
from chalicelib.schemas import duplicates as s
from chalicelib.services.assets import to_response
from chalicelib.services.auth import AuthUser


class DuplicateService:
    def __init__(self, duplicates: DuplicateRepository, assets: AssetRepository) -> None:
        self._duplicates = duplicates
        self._assets = assets

    def list_for(self, auth: AuthUser) -> list[s.DuplicateGroupResponse]:
        rows = self._duplicates.groups(auth.id)
        return [
            s.DuplicateGroupResponse(duplicate_id=group, assets=[to_response(r) for r in members])
            for group, members in groupby(rows, key=lambda r: r["duplicate_id"])
        ]

    def resolve(
        self, auth: AuthUser, duplicate_id: UUID, dto: s.ResolveDuplicatesRequest
    ) -> s.ResolveDuplicatesResponse:
        members = self._duplicates.members(auth.id, duplicate_id)
        if len(members) < 2:
            raise errors.NotFound("Duplicate group not found")
        keep = set(dto.keep_asset_ids)
        strangers = keep - set(members)
        if strangers:
            raise errors.BadRequest(
                "keepAssetIds: not in this group",
                details=[{"field": "keepAssetIds", "message": str(i)} for i in sorted(strangers)],
            )
        trashed = self._assets.trash(auth.id, [m for m in members if m not in keep])
        self._duplicates.dissolve(auth.id, duplicate_id)
        logger.info("duplicates resolved", extra={"kept": len(keep), "trashed": len(trashed)})
        return s.ResolveDuplicatesResponse(
            duplicate_id=duplicate_id, kept=sorted(keep, key=str), trashed=sorted(trashed, key=str)
        )
