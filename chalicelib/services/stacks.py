"""Stacks: group one's own assets behind a primary (Immich's StackService)."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from chalicelib import errors
from chalicelib.repositories.stacks import StackRepository
from chalicelib.schemas import stacks as s
from chalicelib.services.assets import to_response
from chalicelib.services.auth import AuthUser


class StackService:
    def __init__(self, stacks: StackRepository) -> None:
        self._stacks = stacks

    def search(self, auth: AuthUser, query: s.StackSearchQuery) -> list[s.StackResponse]:
        return self._map(auth, self._stacks.search(auth.id, query.primary_asset_id))

    def get(self, auth: AuthUser, stack_id: UUID) -> s.StackResponse:
        return self._map(auth, [self._load(auth, stack_id)])[0]

    def create(self, auth: AuthUser, dto: s.StackCreateRequest) -> s.StackResponse:
        if self._stacks.owned_ids(auth.id, dto.asset_ids) != set(dto.asset_ids):
            # Someone else's asset is as unknown as one that does not exist.
            raise errors.NotFound("One or more assets not found")
        return self.get(auth, self._stacks.create(auth.id, dto.asset_ids))

    def update(self, auth: AuthUser, stack_id: UUID, dto: s.StackUpdateRequest) -> s.StackResponse:
        self._load(auth, stack_id)
        if not self._stacks.set_primary(auth.id, stack_id, dto.primary_asset_id):
            raise errors.BadRequest("primaryAssetId: the asset is not in this stack")
        return self.get(auth, stack_id)

    def remove_asset(self, auth: AuthUser, stack_id: UUID, asset_id: UUID) -> None:
        """As Immich: the primary stays (choose another first); the last two part ways."""
        stack = self._load(auth, stack_id)
        if stack["primary_asset_id"] == asset_id:
            raise errors.BadRequest("The primary asset cannot leave its stack: choose another")
        if not self._stacks.remove_asset(auth.id, stack_id, asset_id):
            raise errors.BadRequest("The asset is not in this stack")

    def delete(self, auth: AuthUser, stack_id: UUID) -> None:
        self._load(auth, stack_id)
        self._stacks.delete(auth.id, [stack_id])

    def delete_all(self, auth: AuthUser, stack_ids: list[UUID]) -> None:
        if self._stacks.count_owned(auth.id, stack_ids) != len(set(stack_ids)):
            raise errors.NotFound("One or more stacks not found")
        self._stacks.delete(auth.id, stack_ids)

    def _load(self, auth: AuthUser, stack_id: UUID) -> dict[str, Any]:
        row = self._stacks.get(auth.id, stack_id)
        if row is None:
            raise errors.NotFound("Stack not found")
        return row

    def _map(self, auth: AuthUser, rows: list[dict[str, Any]]) -> list[s.StackResponse]:
        members: dict[UUID, list[Any]] = {}
        for asset in self._stacks.members(auth.id, [r["id"] for r in rows]):
            members.setdefault(asset["stack_id"], []).append(to_response(asset))
        return [
            s.StackResponse(
                id=r["id"], primary_asset_id=r["primary_asset_id"], assets=members.get(r["id"], [])
            )
            for r in rows
        ]
