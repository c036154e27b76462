"""Tags: paths like Travel/Japan, their parents made on the way, and what they tag. Every
method takes the owner id and scopes by it."""

from __future__ import annotations

from uuid import UUID

from chalicelib.db.pool import Pool
from chalicelib.repositories.sql import TAG_SUBTREE, Row

_TAG_COLUMNS = "id, parent_id, value, color, created_at, updated_at"


class TagRepository:
    def __init__(self, pool: Pool) -> None:
        self._pool = pool

    def of_owner(self, owner_id: UUID, limit: int | None = None, offset: int = 0) -> list[Row]:
        """The owner's tags by path (value, then id: a stable order to page through)."""
        with self._pool.connection() as conn:
            return conn.execute(
                f"SELECT {_TAG_COLUMNS} FROM tags WHERE owner_id = %s ORDER BY value, id"
                " LIMIT %s OFFSET %s",
                (owner_id, limit, offset),
            ).fetchall()

    def get(self, owner_id: UUID, tag_id: UUID) -> Row | None:
        with self._pool.connection() as conn:
            return conn.execute(
                f"SELECT {_TAG_COLUMNS} FROM tags WHERE id = %s AND owner_id = %s",
                (tag_id, owner_id),
            ).fetchone()

    def upsert_path(self, owner_id: UUID, values: list[str], color: str | None) -> Row:
        """Creates every missing tag of a path ("A", "A/B", "A/B/C"), parents first, in one
        transaction; the unique (owner, value) index settles races. Returns the leaf."""
        parent: UUID | None = None
        row: Row | None = None
        with self._pool.connection() as conn:
            for i, value in enumerate(values):
                leaf_color = color if i == len(values) - 1 else None
                row = conn.execute(
                    "INSERT INTO tags (owner_id, parent_id, value, color) VALUES (%s, %s, %s, %s)"
                    " ON CONFLICT (owner_id, value) DO UPDATE SET"
                    " color = coalesce(EXCLUDED.color, tags.color)"
                    f" RETURNING {_TAG_COLUMNS}",
                    (owner_id, parent, value, leaf_color),
                ).fetchone()
                assert row is not None  # DO UPDATE always returns the row
                parent = row["id"]
        assert row is not None
        return row

    def rename(self, owner_id: UUID, tag_id: UUID, old: str, new: str) -> None:
        """Rewrites the path of the tag and of every tag below it (raises UniqueViolation
        when the new path is taken)."""
        with self._pool.connection() as conn:
            conn.execute(
                "UPDATE tags SET value = %(new)s || substr(value, length(%(old)s) + 1),"
                f" updated_at = now() WHERE owner_id = %(owner)s AND id IN ({TAG_SUBTREE})",
                {"new": new, "old": old, "owner": owner_id, "tag_id": tag_id},
            )

    def set_color(self, owner_id: UUID, tag_id: UUID, color: str | None) -> None:
        with self._pool.connection() as conn:
            conn.execute(
                "UPDATE tags SET color = %s, updated_at = now() WHERE id = %s AND owner_id = %s",
                (color, tag_id, owner_id),
            )

    def delete(self, owner_id: UUID, tag_id: UUID) -> bool:
        # Children go with it (ON DELETE CASCADE), as in Immich.
        with self._pool.connection() as conn:
            return (
                conn.execute(
                    "DELETE FROM tags WHERE id = %s AND owner_id = %s", (tag_id, owner_id)
                ).rowcount
                == 1
            )

    def tag_assets(
        self, owner_id: UUID, tag_id: UUID, ids: list[UUID]
    ) -> tuple[set[UUID], set[UUID]]:
        """Returns (the caller's assets among ids, those newly tagged)."""
        with self._pool.connection() as conn:
            owned = {
                r["id"]
                for r in conn.execute(
                    "SELECT id FROM assets WHERE owner_id = %s AND id = ANY(%s)", (owner_id, ids)
                ).fetchall()
            }
            added = {
                r["asset_id"]
                for r in conn.execute(
                    "INSERT INTO tag_assets (tag_id, asset_id) SELECT %s, unnest(%s::uuid[])"
                    " ON CONFLICT DO NOTHING RETURNING asset_id",
                    (tag_id, list(owned)),
                ).fetchall()
            }
            if added:
                conn.execute("UPDATE tags SET updated_at = now() WHERE id = %s", (tag_id,))
        return owned, added

    def untag_assets(self, tag_id: UUID, ids: list[UUID]) -> set[UUID]:
        with self._pool.connection() as conn:
            return {
                r["asset_id"]
                for r in conn.execute(
                    "DELETE FROM tag_assets WHERE tag_id = %s AND asset_id = ANY(%s)"
                    " RETURNING asset_id",
                    (tag_id, ids),
                ).fetchall()
            }
