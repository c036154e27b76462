"""Stacks: a user's assets grouped behind a primary. Every query is scoped by ``owner_id``."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from chalicelib.db.pool import Connection, Pool
from chalicelib.repositories.sql import ASSET_SELECT

Row = dict[str, Any]

_STACK = "SELECT id, owner_id, primary_asset_id, created_at, updated_at FROM stacks"


class StackRepository:
    def __init__(self, pool: Pool) -> None:
        self._pool = pool

    def search(self, owner_id: UUID, primary_asset_id: UUID | None) -> list[Row]:
        with self._pool.connection() as conn:
            return conn.execute(
                f"{_STACK} WHERE owner_id = %s AND (%s::uuid IS NULL OR primary_asset_id = %s)"
                " ORDER BY created_at DESC, id",
                (owner_id, primary_asset_id, primary_asset_id),
            ).fetchall()

    def get(self, owner_id: UUID, stack_id: UUID) -> Row | None:
        with self._pool.connection() as conn:
            return conn.execute(
                f"{_STACK} WHERE id = %s AND owner_id = %s", (stack_id, owner_id)
            ).fetchone()

    def members(self, owner_id: UUID, stack_ids: list[UUID]) -> list[Row]:
        """The stacks' assets as the API maps them, the primary first."""
        with self._pool.connection() as conn:
            return conn.execute(
                f"{ASSET_SELECT} JOIN stacks st ON st.id = a.stack_id"
                " WHERE a.owner_id = %s AND a.stack_id = ANY(%s)"
                " ORDER BY a.stack_id, a.id = st.primary_asset_id DESC,"
                " coalesce(a.taken_at, a.file_created_at), a.id",
                (owner_id, stack_ids),
            ).fetchall()

    def owned_ids(self, owner_id: UUID, asset_ids: list[UUID]) -> set[UUID]:
        with self._pool.connection() as conn:
            rows = conn.execute(
                "SELECT id FROM assets WHERE owner_id = %s AND id = ANY(%s)",
                (owner_id, asset_ids),
            ).fetchall()
        return {r["id"] for r in rows}

    def create(self, owner_id: UUID, asset_ids: list[UUID]) -> UUID:
        """A new stack of these assets, the first as primary. Assets already in stacks
        leave them; stacks left with fewer than two assets are removed (as Immich)."""
        with self._pool.connection() as conn, conn.transaction():
            old = self._stacks_of(conn, owner_id, asset_ids)
            row = conn.execute(
                "INSERT INTO stacks (owner_id, primary_asset_id) VALUES (%s, %s) RETURNING id",
                (owner_id, asset_ids[0]),
            ).fetchone()
            assert row is not None
            # Whole stacks given by one of their assets come along (Immich merges them).
            conn.execute(
                "UPDATE assets SET stack_id = %s, updated_at = now() WHERE owner_id = %s"
                " AND (id = ANY(%s) OR stack_id = ANY(%s))",
                (row["id"], owner_id, asset_ids, old),
            )
            self._drop_small(conn, owner_id)
            return UUID(str(row["id"]))

    def set_primary(self, owner_id: UUID, stack_id: UUID, asset_id: UUID) -> bool:
        """False when the asset is not in the stack."""
        with self._pool.connection() as conn:
            return (
                conn.execute(
                    "UPDATE stacks SET primary_asset_id = %s, updated_at = now()"
                    " WHERE id = %s AND owner_id = %s AND EXISTS (SELECT 1 FROM assets"
                    " WHERE id = %s AND stack_id = %s AND owner_id = %s)",
                    (asset_id, stack_id, owner_id, asset_id, stack_id, owner_id),
                ).rowcount
                == 1
            )

    def remove_asset(self, owner_id: UUID, stack_id: UUID, asset_id: UUID) -> bool:
        """Takes one asset that is not the primary out of the stack (a stack left with one
        asset goes); False when it is not such a member."""
        with self._pool.connection() as conn, conn.transaction():
            removed = conn.execute(
                "UPDATE assets SET stack_id = NULL, updated_at = now() WHERE id = %s"
                " AND owner_id = %s AND stack_id = %s AND id <> (SELECT primary_asset_id"
                " FROM stacks WHERE id = %s)",
                (asset_id, owner_id, stack_id, stack_id),
            ).rowcount
            self._drop_small(conn, owner_id)
        return removed == 1

    def delete(self, owner_id: UUID, stack_ids: list[UUID]) -> int:
        """Removes the stacks; their assets stay, each on its own again."""
        with self._pool.connection() as conn:
            return conn.execute(
                "DELETE FROM stacks WHERE owner_id = %s AND id = ANY(%s)", (owner_id, stack_ids)
            ).rowcount

    def count_owned(self, owner_id: UUID, stack_ids: list[UUID]) -> int:
        with self._pool.connection() as conn:
            row = conn.execute(
                "SELECT count(*) AS n FROM stacks WHERE owner_id = %s AND id = ANY(%s)",
                (owner_id, stack_ids),
            ).fetchone()
        return int(row["n"]) if row else 0

    @staticmethod
    def _stacks_of(conn: Connection, owner_id: UUID, asset_ids: list[UUID]) -> list[UUID]:
        rows = conn.execute(
            "SELECT DISTINCT stack_id FROM assets WHERE owner_id = %s AND id = ANY(%s)"
            " AND stack_id IS NOT NULL",
            (owner_id, asset_ids),
        ).fetchall()
        return [r["stack_id"] for r in rows]

    @staticmethod
    def _drop_small(conn: Connection, owner_id: UUID) -> None:
        conn.execute(
            "DELETE FROM stacks st WHERE st.owner_id = %s AND (SELECT count(*) FROM assets a"
            " WHERE a.stack_id = st.id) < 2",
            (owner_id,),
        )
