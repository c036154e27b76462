"""Partners: one user's library shown to another (who asked to see it in their timeline)."""

from __future__ import annotations

from uuid import UUID

from chalicelib.db.pool import Pool
from chalicelib.repositories.sql import Row


class PartnerRepository:
    def __init__(self, pool: Pool) -> None:
        self._pool = pool

    def create(self, shared_by: UUID, shared_with: UUID) -> bool:
        with self._pool.connection() as conn:
            return (
                conn.execute(
                    "INSERT INTO partners (shared_by_id, shared_with_id) VALUES (%s, %s)"
                    " ON CONFLICT DO NOTHING",
                    (shared_by, shared_with),
                ).rowcount
                == 1
            )

    def get(self, shared_by: UUID, shared_with: UUID) -> Row | None:
        with self._pool.connection() as conn:
            return conn.execute(
                "SELECT * FROM partners WHERE shared_by_id = %s AND shared_with_id = %s",
                (shared_by, shared_with),
            ).fetchone()

    def shared_by(self, user_id: UUID) -> list[Row]:
        """The users I share my library with."""
        return self._list("p.shared_by_id = %s", "p.shared_with_id", user_id)

    def shared_with(self, user_id: UUID) -> list[Row]:
        """The users who share their library with me."""
        return self._list("p.shared_with_id = %s", "p.shared_by_id", user_id)

    def _list(self, where: str, other: str, user_id: UUID) -> list[Row]:
        with self._pool.connection() as conn:
            return conn.execute(
                f"SELECT u.id, u.name, u.email, p.in_timeline FROM partners p JOIN users u"
                f" ON u.id = {other} WHERE {where} AND u.deleted_at IS NULL"
                " ORDER BY p.created_at, u.id",
                (user_id,),
            ).fetchall()

    def set_in_timeline(self, shared_by: UUID, shared_with: UUID, value: bool) -> bool:
        with self._pool.connection() as conn:
            return (
                conn.execute(
                    "UPDATE partners SET in_timeline = %s WHERE shared_by_id = %s"
                    " AND shared_with_id = %s",
                    (value, shared_by, shared_with),
                ).rowcount
                == 1
            )

    def delete(self, shared_by: UUID, shared_with: UUID) -> bool:
        with self._pool.connection() as conn:
            return (
                conn.execute(
                    "DELETE FROM partners WHERE shared_by_id = %s AND shared_with_id = %s",
                    (shared_by, shared_with),
                ).rowcount
                == 1
            )

    def timeline_owners(self, user_id: UUID) -> list[UUID]:
        """Partners whose assets the user chose to see in their timeline."""
        with self._pool.connection() as conn:
            rows = conn.execute(
                "SELECT shared_by_id FROM partners WHERE shared_with_id = %s AND in_timeline",
                (user_id,),
            ).fetchall()
        return [r["shared_by_id"] for r in rows]
