"""Invitations: codes stored hashed; uses counted by the database, not by a read-check."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

from chalicelib.db.pool import Connection, Pool, one

Row = dict[str, Any]
_COLS = (
    "id, code_hint, created_by, expires_at, max_uses, uses, quota_size_in_bytes, is_admin,"
    " revoked_at, created_at"
)


class InvitationRepository:
    def __init__(self, pool: Pool) -> None:
        self._pool = pool

    def create(
        self,
        *,
        code_hash: bytes,
        code_hint: str,
        created_by: UUID,
        expires_at: datetime | None,
        max_uses: int | None,
        quota: int | None,
        is_admin: bool,
    ) -> Row:
        with self._pool.connection() as conn:
            return one(
                conn.execute(
                    "INSERT INTO invitations (code_hash, code_hint, created_by, expires_at,"
                    " max_uses, quota_size_in_bytes, is_admin) VALUES (%s, %s, %s, %s, %s, %s, %s)"
                    f" RETURNING {_COLS}",
                    (code_hash, code_hint, created_by, expires_at, max_uses, quota, is_admin),
                ).fetchone()
            )

    def list_all(self) -> list[Row]:
        with self._pool.connection() as conn:
            return conn.execute(
                f"SELECT {_COLS} FROM invitations ORDER BY created_at DESC"
            ).fetchall()

    def revoke(self, invitation_id: UUID) -> bool:
        with self._pool.connection() as conn:
            cur = conn.execute(
                "UPDATE invitations SET revoked_at = coalesce(revoked_at, now()) WHERE id = %s",
                (invitation_id,),
            )
            return cur.rowcount == 1

    @staticmethod
    def consume(conn: Connection, code_hash: bytes) -> Row | None:
        """Takes one use inside the caller's transaction. The row lock taken by UPDATE makes
        concurrent signups queue here, so ``uses`` can never pass ``max_uses``."""
        return conn.execute(
            "UPDATE invitations SET uses = uses + 1 WHERE code_hash = %s AND revoked_at IS NULL"
            " AND (expires_at IS NULL OR expires_at > now())"
            " AND (max_uses IS NULL OR uses < max_uses)"
            f" RETURNING {_COLS}",
            (code_hash,),
        ).fetchone()

    @staticmethod
    def why_unusable(conn: Connection, code_hash: bytes) -> str:
        row = conn.execute(
            "SELECT revoked_at IS NOT NULL AS revoked, expires_at <= now() AS expired,"
            " max_uses IS NOT NULL AND uses >= max_uses AS exhausted"
            " FROM invitations WHERE code_hash = %s",
            (code_hash,),
        ).fetchone()
        if row is None:
            return "unknown"
        for reason in ("revoked", "expired", "exhausted"):
            if row[reason]:
                return reason
        return "unknown"
