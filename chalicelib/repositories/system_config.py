"""The stored server settings (what differs from the environment's defaults) and their
history."""

from __future__ import annotations

import json
from typing import Any
from uuid import UUID

from chalicelib.db.pool import Pool

Row = dict[str, Any]


class SystemConfigRepository:
    def __init__(self, pool: Pool) -> None:
        self._pool = pool

    def overrides(self) -> dict[str, Any]:
        with self._pool.connection() as conn:
            row = conn.execute("SELECT overrides FROM system_config WHERE id").fetchone()
        return dict(row["overrides"]) if row else {}

    def save(
        self, overrides: dict[str, Any], changes: list[dict[str, Any]], changed_by: UUID
    ) -> None:
        """Stores the new overrides and their history row in one transaction."""
        with self._pool.connection() as conn, conn.transaction():
            conn.execute(
                "INSERT INTO system_config (id, overrides, updated_at, updated_by)"
                " VALUES (true, %s::jsonb, now(), %s) ON CONFLICT (id) DO UPDATE"
                " SET overrides = excluded.overrides, updated_at = now(),"
                " updated_by = excluded.updated_by",
                (json.dumps(overrides), changed_by),
            )
            conn.execute(
                "INSERT INTO system_config_history (changed_by, changes, overrides)"
                " VALUES (%s, %s::jsonb, %s::jsonb)",
                (changed_by, json.dumps(changes), json.dumps(overrides)),
            )

    def history(self, limit: int) -> list[Row]:
        with self._pool.connection() as conn:
            return conn.execute(
                "SELECT h.id, h.changed_at, h.changed_by, u.email AS changed_by_email, h.changes"
                " FROM system_config_history h LEFT JOIN users u ON u.id = h.changed_by"
                " ORDER BY h.changed_at DESC, h.id DESC LIMIT %s",
                (limit,),
            ).fetchall()
