"""The queries behind chalicelib.services.access: which of these ids may this caller reach,
and by which path (owner, partner, album membership, shared link).

Each method takes a set of ids and returns the subset that passes, so a bulk request costs
one query. Shared paths never reach trashed assets: trash is private to its owner.
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

from chalicelib.db.pool import Pool
from chalicelib.repositories.sql import ASSET_SELECT, Row


def _ids(rows: list[Row], column: str = "id") -> set[UUID]:
    return {r[column] for r in rows}


class AccessRepository:
    def __init__(self, pool: Pool) -> None:
        self._pool = pool

    def _select(
        self, sql: str, params: tuple[Any, ...] | dict[str, Any], column: str = "id"
    ) -> set[UUID]:
        with self._pool.connection() as conn:
            return _ids(conn.execute(sql, params).fetchall(), column)

    # --- assets -----------------------------------------------------------------------
    def asset_owner(self, user_id: UUID, ids: list[UUID]) -> set[UUID]:
        return self._select(
            "SELECT id FROM assets WHERE owner_id = %s AND id = ANY(%s)", (user_id, ids)
        )

    def asset_readable(self, user_id: UUID, ids: list[UUID]) -> set[UUID]:
        """Own assets (trash included), and untrashed ones of a partner who shares with the
        user or in an album the user owns or is a member of (any role)."""
        return self._select(
            "SELECT a.id FROM assets a WHERE a.id = ANY(%(ids)s) AND (a.owner_id = %(u)s"
            " OR (a.trashed_at IS NULL AND ("
            "  EXISTS (SELECT 1 FROM partners p WHERE p.shared_by_id = a.owner_id"
            "          AND p.shared_with_id = %(u)s)"
            "  OR EXISTS (SELECT 1 FROM album_assets aa JOIN albums al ON al.id = aa.album_id"
            "             WHERE aa.asset_id = a.id AND (al.owner_id = %(u)s"
            "             OR EXISTS (SELECT 1 FROM album_users au WHERE au.album_id = al.id"
            "                        AND au.user_id = %(u)s))))))",
            {"ids": ids, "u": user_id},
        )

    def asset_link(self, link_id: UUID, ids: list[UUID]) -> set[UUID]:
        """The link's own assets, or the assets of its album."""
        return self._select(
            "SELECT a.id FROM assets a WHERE a.id = ANY(%s) AND a.trashed_at IS NULL AND ("
            " EXISTS (SELECT 1 FROM shared_link_assets sa WHERE sa.shared_link_id = %s"
            "         AND sa.asset_id = a.id)"
            " OR EXISTS (SELECT 1 FROM shared_links l JOIN album_assets aa"
            "            ON aa.album_id = l.album_id WHERE l.id = %s AND aa.asset_id = a.id))",
            (ids, link_id, link_id),
        )

    def stills_of_motion_parts(self, ids: list[UUID]) -> dict[UUID, UUID]:
        """Still id -> motion part id, for those of ``ids`` that are a still's untrashed
        motion part of the same owner (the owner reaches trashed ones directly)."""
        with self._pool.connection() as conn:
            rows = conn.execute(
                "SELECT s.id, s.live_photo_video_id AS motion_id FROM assets s"
                " JOIN assets m ON m.id = s.live_photo_video_id"
                " WHERE s.live_photo_video_id = ANY(%s) AND m.owner_id = s.owner_id"
                " AND m.trashed_at IS NULL",
                (ids,),
            ).fetchall()
        return {r["id"]: r["motion_id"] for r in rows}

    def asset_row(self, asset_id: UUID) -> Row | None:
        """The asset JSON row, unscoped: call only after an access check passed."""
        with self._pool.connection() as conn:
            return conn.execute(f"{ASSET_SELECT} WHERE a.id = %s", (asset_id,)).fetchone()

    # --- albums -----------------------------------------------------------------------
    def album_allowed(self, user_id: UUID, ids: list[UUID], roles: tuple[str, ...]) -> set[UUID]:
        """Albums the user owns, or is a member of in one of ``roles`` (none: owner only)."""
        return self._select(
            "SELECT al.id FROM albums al WHERE al.id = ANY(%(ids)s) AND (al.owner_id = %(u)s"
            " OR EXISTS (SELECT 1 FROM album_users au WHERE au.album_id = al.id"
            "            AND au.user_id = %(u)s AND au.role = ANY(%(roles)s)))",
            {"ids": ids, "u": user_id, "roles": list(roles)},
        )

    # --- shared-link visitors ---------------------------------------------------------
    def link_by_key_hash(self, key_hash: bytes) -> Row | None:
        with self._pool.connection() as conn:
            return conn.execute(
                "SELECT * FROM shared_links WHERE key_hash = %s", (key_hash,)
            ).fetchone()

    def link_by_token_hash(self, token_hash: bytes) -> Row | None:
        with self._pool.connection() as conn:
            return conn.execute(
                "SELECT l.* FROM shared_link_tokens t JOIN shared_links l"
                " ON l.id = t.shared_link_id WHERE t.token_hash = %s AND t.expires_at > now()",
                (token_hash,),
            ).fetchone()

    def create_token(self, link_id: UUID, token_hash: bytes, expires_at: Any) -> None:
        with self._pool.connection() as conn:
            # Expired tokens of this link go on the way in: the table stays small.
            conn.execute(
                "DELETE FROM shared_link_tokens WHERE shared_link_id = %s AND expires_at <= now()",
                (link_id,),
            )
            conn.execute(
                "INSERT INTO shared_link_tokens (token_hash, shared_link_id,"
                " expires_at) VALUES (%s, %s, %s)",
                (token_hash, link_id, expires_at),
            )
