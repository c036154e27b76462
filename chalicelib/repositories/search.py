"""Metadata search and suggestions over the owner's assets."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from chalicelib.db.pool import Pool
from chalicelib.repositories.sql import ASSET_LIST_SELECT, Row, asset_filters


class MetadataSearchRepository:
    def __init__(self, pool: Pool) -> None:
        self._pool = pool

    TEXT_FILTERS = {
        "make": "e.make",
        "model": "e.model",
        "lens_model": "e.lens_model",
        "city": "e.city",
        "state": "e.state",
        "country": "e.country",
    }

    def search(self, filters: dict[str, Any], limit: int, offset: int) -> list[Row]:
        where: list[str] = []
        asset_filters(filters, where)
        for name, column in self.TEXT_FILTERS.items():
            if filters.get(name):
                where.append(f"lower({column}) = lower(%({name})s)")
        if filters.get("original_file_name"):
            # A substring, as Immich does; LIKE wildcards typed by the user are literal.
            where.append("a.original_file_name ILIKE '%%' || %(file_like)s || '%%'")
            filters = {**filters, "file_like": _escape_like(filters["original_file_name"])}
        if filters.get("description"):
            where.append("e.description ILIKE '%%' || %(description_like)s || '%%'")
            filters = {**filters, "description_like": _escape_like(filters["description"])}
        sql = (
            f"{ASSET_LIST_SELECT} WHERE {' AND '.join(where)}"
            " ORDER BY coalesce(a.taken_at, a.file_created_at) DESC, a.id"
            " LIMIT %(limit)s OFFSET %(offset)s"
        )
        with self._pool.connection() as conn:
            return conn.execute(sql, {**filters, "limit": limit, "offset": offset}).fetchall()

    SUGGESTION_COLUMNS = {
        "camera-make": "e.make",
        "camera-model": "e.model",
        "camera-lens-model": "e.lens_model",
        "city": "e.city",
        "state": "e.state",
        "country": "e.country",
    }

    def suggestions(self, owner_id: UUID, kind: str, narrow: dict[str, str | None]) -> list[str]:
        column = self.SUGGESTION_COLUMNS[kind]
        where = [
            "a.owner_id = %(owner)s",
            "a.trashed_at IS NULL",
            f"{column} IS NOT NULL",
            f"{column} <> ''",
        ]
        for name in ("make", "model", "country", "state"):
            if narrow.get(name):
                where.append(f"lower(e.{name}) = lower(%({name})s)")
        sql = (
            f"SELECT DISTINCT {column} AS value FROM assets a"
            f" JOIN asset_exif e ON e.asset_id = a.id WHERE {' AND '.join(where)}"
            " ORDER BY 1 LIMIT 500"
        )
        with self._pool.connection() as conn:
            rows = conn.execute(sql, {**narrow, "owner": owner_id}).fetchall()
        return [r["value"] for r in rows]


def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
