"""Hierarchical tags per user: create by path, rename (children follow), colour, delete,
tag and untag assets with per-asset results."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from chalicelib import errors
from chalicelib.repositories.tags import TagRepository
from chalicelib.schemas import tags as s
from chalicelib.schemas.base import BulkIdResponse, BulkIdsRequest
from chalicelib.services.auth import AuthUser


def split_path(name: str) -> list[str]:
    """ "Travel / Japan" → ["Travel", "Travel/Japan"]: the value of every tag on the path."""
    parts = [p.strip() for p in name.split("/")]
    if not all(parts):
        raise errors.BadRequest(
            "A tag path has no empty parts (no leading, trailing or double '/')"
        )
    return ["/".join(parts[: i + 1]) for i in range(len(parts))]


def to_response(row: dict[str, Any]) -> s.TagResponse:
    return s.TagResponse(
        id=row["id"],
        parent_id=row["parent_id"],
        name=row["value"].rpartition("/")[2],
        value=row["value"],
        color=row["color"],
        created_at=row["created_at"],
        updated_at=row["updated_at"],
    )


class TagService:
    def __init__(self, tags: TagRepository) -> None:
        self._tags = tags

    def list_all(self, auth: AuthUser, query: s.TagListQuery | None = None) -> list[s.TagResponse]:
        query = query or s.TagListQuery()
        offset = (query.page - 1) * query.size if query.size else 0
        return [to_response(r) for r in self._tags.of_owner(auth.id, query.size, offset)]

    def get(self, auth: AuthUser, tag_id: UUID) -> s.TagResponse:
        return to_response(self._load(auth, tag_id))

    def create(self, auth: AuthUser, dto: s.TagCreateRequest) -> s.TagResponse:
        name = dto.name
        if dto.parent_id is not None:
            name = f"{self._load(auth, dto.parent_id)['value']}/{name}"
        return to_response(self._tags.upsert_path(auth.id, split_path(name), dto.color))

    def update(self, auth: AuthUser, tag_id: UUID, dto: s.TagUpdateRequest) -> s.TagResponse:
        from psycopg.errors import UniqueViolation

        row = self._load(auth, tag_id)
        changes = dto.model_dump(exclude_unset=True)
        # The rename is the step that can be refused (409): it goes first, so a refused
        # update changes nothing.
        if changes.get("name"):
            parent, sep, _ = row["value"].rpartition("/")
            new = f"{parent}{sep}{split_path(changes['name'])[0]}"
            try:
                self._tags.rename(auth.id, tag_id, row["value"], new)
            except UniqueViolation as exc:
                raise errors.Conflict(f"A tag {new!r} already exists") from exc
        if "color" in changes:
            self._tags.set_color(auth.id, tag_id, changes["color"])
        return self.get(auth, tag_id)

    def delete(self, auth: AuthUser, tag_id: UUID) -> None:
        if not self._tags.delete(auth.id, tag_id):
            raise errors.NotFound("Tag not found")

    def tag_assets(self, auth: AuthUser, tag_id: UUID, dto: BulkIdsRequest) -> list[BulkIdResponse]:
        self._load(auth, tag_id)
        owned, added = self._tags.tag_assets(auth.id, tag_id, list(dict.fromkeys(dto.ids)))
        return [
            BulkIdResponse(
                id=i,
                success=i in added,
                error=None if i in added else "duplicate" if i in owned else "not_found",
            )
            for i in dto.ids
        ]

    def untag_assets(
        self, auth: AuthUser, tag_id: UUID, dto: BulkIdsRequest
    ) -> list[BulkIdResponse]:
        self._load(auth, tag_id)
        removed = self._tags.untag_assets(tag_id, list(dict.fromkeys(dto.ids)))
        return [
            BulkIdResponse(id=i, success=i in removed, error=None if i in removed else "not_found")
            for i in dto.ids
        ]

    def _load(self, auth: AuthUser, tag_id: UUID) -> dict[str, Any]:
        row = self._tags.get(auth.id, tag_id)
        if row is None:
            raise errors.NotFound("Tag not found")
        return row
