"""Users, sessions and API keys."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

from chalicelib.db.pool import Connection, Pool, one

Row = dict[str, Any]

_USER_COLS = "id, email, name, is_admin, quota_size_in_bytes, created_at, updated_at, deleted_at"


class UserRepository:
    def __init__(self, pool: Pool) -> None:
        self._pool = pool

    def get(self, user_id: UUID) -> Row | None:
        with self._pool.connection() as conn:
            return conn.execute(
                f"SELECT {_USER_COLS} FROM users WHERE id = %s AND deleted_at IS NULL", (user_id,)
            ).fetchone()

    def get_for_login(self, email: str) -> Row | None:
        with self._pool.connection() as conn:
            return conn.execute(
                "SELECT id, password_hash FROM users"
                " WHERE lower(email) = lower(%s) AND deleted_at IS NULL",
                (email,),
            ).fetchone()

    def get_password_hash(self, user_id: UUID) -> str | None:
        with self._pool.connection() as conn:
            row = conn.execute(
                "SELECT password_hash FROM users WHERE id = %s", (user_id,)
            ).fetchone()
            return row["password_hash"] if row else None

    def create(
        self,
        conn: Connection,
        *,
        email: str,
        name: str,
        password_hash: str,
        is_admin: bool,
        quota: int | None,
    ) -> Row:
        return one(
            conn.execute(
                f"INSERT INTO users (email, name, password_hash, is_admin, quota_size_in_bytes)"
                f" VALUES (%s, %s, %s, %s, %s) RETURNING {_USER_COLS}",
                (email, name, password_hash, is_admin, quota),
            ).fetchone()
        )

    def list_all(self) -> list[Row]:
        with self._pool.connection() as conn:
            return conn.execute(
                f"SELECT {_USER_COLS} FROM users WHERE deleted_at IS NULL ORDER BY created_at"
            ).fetchall()

    def update(self, user_id: UUID, changes: dict[str, Any]) -> Row | None:
        allowed = {"name", "is_admin", "quota_size_in_bytes", "email"}
        sets = [f"{col} = %({col})s" for col in changes if col in allowed]
        if not sets:
            return self.get(user_id)
        with self._pool.connection() as conn:
            return conn.execute(
                f"UPDATE users SET {', '.join(sets)}, updated_at = now()"
                f" WHERE id = %(id)s AND deleted_at IS NULL RETURNING {_USER_COLS}",
                {**changes, "id": user_id},
            ).fetchone()

    def set_password(self, user_id: UUID, password_hash: str) -> None:
        with self._pool.connection() as conn:
            conn.execute(
                "UPDATE users SET password_hash = %s, updated_at = now() WHERE id = %s",
                (password_hash, user_id),
            )

    def soft_delete(self, user_id: UUID) -> bool:
        with self._pool.connection() as conn:
            cur = conn.execute(
                "UPDATE users SET deleted_at = now() WHERE id = %s AND deleted_at IS NULL",
                (user_id,),
            )
            conn.execute("DELETE FROM sessions WHERE user_id = %s", (user_id,))
            conn.execute("DELETE FROM api_keys WHERE user_id = %s", (user_id,))
            return cur.rowcount == 1

    def is_deleted(self, user_id: UUID) -> bool:
        """Soft-deleted, or already erased (the delete-user job's last batch erases the row,
        and a copy of its message may arrive after that)."""
        with self._pool.connection() as conn:
            row = conn.execute(
                "SELECT deleted_at IS NOT NULL AS deleted FROM users WHERE id = %s", (user_id,)
            ).fetchone()
        return row is None or bool(row["deleted"])

    def erase_deleted(self, user_id: UUID) -> bool:
        """Removes a soft-deleted user's row and, by cascade, everything that is theirs and
        only in the database: albums, tags, people, shared links, activity, partnerships,
        libraries, jobs, counters. Their assets (rows and objects) must be gone first."""
        with self._pool.connection() as conn:
            cur = conn.execute(
                "DELETE FROM users WHERE id = %s AND deleted_at IS NOT NULL", (user_id,)
            )
            return cur.rowcount == 1

    def any_admin(self) -> bool:
        with self._pool.connection() as conn:
            return bool(
                one(
                    conn.execute(
                        "SELECT EXISTS (SELECT 1 FROM users WHERE is_admin AND deleted_at IS NULL)"
                        " AS x"
                    ).fetchone()
                )["x"]
            )


class CredentialRepository:
    """Sessions and API keys: both are opaque tokens we only ever store hashed."""

    def __init__(self, pool: Pool) -> None:
        self._pool = pool

    def create_session(self, user_id: UUID, token_hash: bytes, expires_at: datetime) -> None:
        with self._pool.connection() as conn:
            conn.execute(
                "INSERT INTO sessions (user_id, token_hash, expires_at) VALUES (%s, %s, %s)",
                (user_id, token_hash, expires_at),
            )

    def user_for_session(self, token_hash: bytes) -> Row | None:
        with self._pool.connection() as conn:
            return conn.execute(
                f"SELECT {', '.join('u.' + c.strip() for c in _USER_COLS.split(','))}"
                " FROM sessions s JOIN users u ON u.id = s.user_id"
                " WHERE s.token_hash = %s AND s.expires_at > now() AND u.deleted_at IS NULL",
                (token_hash,),
            ).fetchone()

    def delete_session(self, token_hash: bytes) -> None:
        with self._pool.connection() as conn:
            conn.execute("DELETE FROM sessions WHERE token_hash = %s", (token_hash,))

    def delete_other_sessions(self, user_id: UUID, keep_hash: bytes | None) -> None:
        with self._pool.connection() as conn:
            conn.execute(
                "DELETE FROM sessions WHERE user_id = %s AND token_hash IS DISTINCT FROM %s",
                (user_id, keep_hash),
            )

    def delete_api_keys(self, user_id: UUID) -> int:
        with self._pool.connection() as conn:
            return conn.execute("DELETE FROM api_keys WHERE user_id = %s", (user_id,)).rowcount

    def user_for_api_key(self, key_hash: bytes) -> Row | None:
        with self._pool.connection() as conn:
            return conn.execute(
                f"WITH k AS (UPDATE api_keys SET last_used_at = now() WHERE key_hash = %s"
                f" RETURNING user_id)"
                f" SELECT {', '.join('u.' + c.strip() for c in _USER_COLS.split(','))}"
                " FROM k JOIN users u ON u.id = k.user_id WHERE u.deleted_at IS NULL",
                (key_hash,),
            ).fetchone()

    def create_api_key(self, user_id: UUID, name: str, key_hash: bytes) -> Row:
        with self._pool.connection() as conn:
            return one(
                conn.execute(
                    "INSERT INTO api_keys (user_id, name, key_hash) VALUES (%s, %s, %s)"
                    " RETURNING id, name, created_at, last_used_at",
                    (user_id, name, key_hash),
                ).fetchone()
            )

    def list_api_keys(self, user_id: UUID) -> list[Row]:
        with self._pool.connection() as conn:
            return conn.execute(
                "SELECT id, name, created_at, last_used_at FROM api_keys WHERE user_id = %s"
                " ORDER BY created_at",
                (user_id,),
            ).fetchall()

    def delete_api_key(self, user_id: UUID, key_id: UUID) -> bool:
        with self._pool.connection() as conn:
            cur = conn.execute(
                "DELETE FROM api_keys WHERE id = %s AND user_id = %s", (key_id, user_id)
            )
            return cur.rowcount == 1
