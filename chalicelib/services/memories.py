"""Memories: "on this day" in earlier years. The scheduled ``memories`` job makes them
(``generate``); users list, save, mark seen and dismiss them."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any
from uuid import UUID

from chalicelib import errors
from chalicelib.repositories.memories import MemoryRepository
from chalicelib.schemas import memories as s
from chalicelib.schemas.assets import AssetResponse
from chalicelib.services.assets import to_response as asset_response
from chalicelib.services.auth import AuthUser


def today() -> date:
    return datetime.now(UTC).date()


class MemoryService:
    def __init__(self, memories: MemoryRepository) -> None:
        self._memories = memories

    def generate(self, show_on: date | None = None) -> dict[str, int]:
        return self._memories.generate(show_on or today())

    def list_shown(self, auth: AuthUser, query: s.MemoryQuery) -> list[s.MemoryResponse]:
        # Saved memories are listed whatever their day; otherwise the day's (default today).
        show_on = None if query.is_saved else (query.for_ or today())
        rows = self._memories.shown(auth.id, show_on, bool(query.is_saved))
        return self._with_assets(rows)

    def get(self, auth: AuthUser, memory_id: UUID) -> s.MemoryResponse:
        found = self._with_assets([self._load(auth, memory_id)], keep_empty=True)
        return found[0]

    def update(
        self, auth: AuthUser, memory_id: UUID, dto: s.MemoryUpdateRequest
    ) -> s.MemoryResponse:
        self._load(auth, memory_id)
        changes = dto.model_dump(exclude_unset=True)
        if changes:
            self._memories.update(auth.id, memory_id, changes)
        return self.get(auth, memory_id)

    def dismiss(self, auth: AuthUser, memory_id: UUID) -> None:
        if not self._memories.dismiss(auth.id, memory_id):
            raise errors.NotFound("Memory not found")

    def _with_assets(
        self, rows: list[dict[str, Any]], keep_empty: bool = False
    ) -> list[s.MemoryResponse]:
        assets: dict[UUID, list[AssetResponse]] = {}
        for row in self._memories.assets_of([r["id"] for r in rows]) if rows else []:
            assets.setdefault(row["memory_id"], []).append(asset_response(row))
        return [
            _to_response(r, assets.get(r["id"], []))
            for r in rows
            if keep_empty or assets.get(r["id"])
        ]

    def _load(self, auth: AuthUser, memory_id: UUID) -> dict[str, Any]:
        row = self._memories.get(auth.id, memory_id)
        if row is None:
            raise errors.NotFound("Memory not found")
        return row


def _to_response(row: dict[str, Any], assets: list[AssetResponse]) -> s.MemoryResponse:
    return s.MemoryResponse(
        id=row["id"],
        owner_id=row["owner_id"],
        type=row["type"],
        data=s.OnThisDayData(year=row["memory_at"].year),
        memory_at=row["memory_at"],
        show_at=row["show_on"],
        is_saved=row["is_saved"],
        seen_at=row["seen_at"],
        created_at=row["created_at"],
        updated_at=row["updated_at"],
        assets=assets,
    )
