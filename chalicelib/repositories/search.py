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
        order = "coalesce(a.taken_at, a.file_created_at) DESC, a.id"
        if filters.get("city"):
            # The EXIF row carries its asset's owner, trash state and time (migration 0024):
            # one city's assets come newest first from its index, without a scan of the
            # owner's other rows.
            where += ["e.owner_id = %(owner)s", "NOT e.asset_trashed"]
            order = "e.asset_time DESC, e.asset_id"
        sql = (
            f"{ASSET_LIST_SELECT} WHERE {' AND '.join(where)}"
            f" ORDER BY {order}"
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
        """The distinct values of one column over the owner's assets outside the trash,
        read from exif_values: per owner, how many such assets carry each combination of
        camera and place (kept by triggers, migration 0024)."""
        column = self.SUGGESTION_COLUMNS[kind]
        where = [
            "e.owner_id = %(owner)s",
            "e.count > 0",
            f"{column} IS NOT NULL",
            f"{column} <> ''",
        ]
        for name in ("make", "model", "country", "state"):
            if narrow.get(name):
                where.append(f"lower(e.{name}) = lower(%({name})s)")
        sql = (
            f"SELECT DISTINCT {column} AS value FROM exif_values e"
            f" WHERE {' AND '.join(where)}"
            " ORDER BY 1 LIMIT 500"
        )
        with self._pool.connection() as conn:
            rows = conn.execute(sql, {**narrow, "owner": owner_id}).fetchall()
        return [r["value"] for r in rows]


def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
