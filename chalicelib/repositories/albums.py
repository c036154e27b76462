"""Albums, their assets and members. Access is decided before these are
called (chalicelib.services.access); methods here take ids the service already checked."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from chalicelib.db.pool import Pool, one
from chalicelib.repositories.sql import ASSET_LIST_SELECT, Row

_USER_JSON = "jsonb_build_object('id', {t}.id, 'name', {t}.name, 'email', {t}.email)"
# One row per album with what its JSON needs: owner, members, counts, date range.
_ALBUM = (
    "SELECT al.*, " + _USER_JSON.format(t="u") + " AS owner,"
    " coalesce(st.asset_count, 0) AS asset_count, st.start_date, st.end_date,"
    " EXISTS (SELECT 1 FROM shared_links l WHERE l.album_id = al.id) AS has_shared_link,"
    " coalesce((SELECT jsonb_agg(jsonb_build_object('user', "
    + _USER_JSON.format(t="mu")
    + ", 'role', au.role) ORDER BY au.created_at, mu.id) FROM album_users au"
    "  JOIN users mu ON mu.id = au.user_id WHERE au.album_id = al.id), '[]') AS album_users"
    " FROM albums al JOIN users u ON u.id = al.owner_id"
    " LEFT JOIN LATERAL (SELECT count(*) AS asset_count,"
    "  min(coalesce(a.local_date_time, a.file_created_at)) AS start_date,"
    "  max(coalesce(a.local_date_time, a.file_created_at)) AS end_date"
    "  FROM album_assets aa JOIN assets a ON a.id = aa.asset_id"
    "  WHERE aa.album_id = al.id AND a.trashed_at IS NULL) st ON true"
)
_ORDER = " ORDER BY al.created_at DESC, al.id"


class AlbumRepository:
    def __init__(self, pool: Pool) -> None:
        self._pool = pool

    def create(self, owner_id: UUID, name: str, description: str) -> UUID:
        with self._pool.connection() as conn:
            row = one(
                conn.execute(
                    "INSERT INTO albums (owner_id, album_name, description)"
                    " VALUES (%s, %s, %s) RETURNING id",
                    (owner_id, name, description),
                ).fetchone()
            )
        album_id: UUID = row["id"]
        return album_id

    def get(self, album_id: UUID) -> Row | None:
        with self._pool.connection() as conn:
            return conn.execute(f"{_ALBUM} WHERE al.id = %s", (album_id,)).fetchone()

    def list_owned(self, owner_id: UUID) -> list[Row]:
        with self._pool.connection() as conn:
            return conn.execute(f"{_ALBUM} WHERE al.owner_id = %s{_ORDER}", (owner_id,)).fetchall()

    def list_shared(self, user_id: UUID) -> list[Row]:
        """Albums shared with the user, and the user's own albums shared with anyone
        (members or a link), as Immich's ``?shared=true``."""
        with self._pool.connection() as conn:
            return conn.execute(
                f"{_ALBUM} WHERE EXISTS (SELECT 1 FROM album_users m WHERE m.album_id = al.id"
                "  AND m.user_id = %(u)s) OR (al.owner_id = %(u)s AND (EXISTS (SELECT 1 FROM"
                "  album_users m WHERE m.album_id = al.id) OR EXISTS (SELECT 1 FROM shared_links"
                f"  l WHERE l.album_id = al.id))){_ORDER}",
                {"u": user_id},
            ).fetchall()

    def list_not_shared(self, owner_id: UUID) -> list[Row]:
        with self._pool.connection() as conn:
            return conn.execute(
                f"{_ALBUM} WHERE al.owner_id = %s AND NOT EXISTS (SELECT 1 FROM album_users m"
                " WHERE m.album_id = al.id) AND NOT EXISTS (SELECT 1 FROM shared_links l"
                f" WHERE l.album_id = al.id){_ORDER}",
                (owner_id,),
            ).fetchall()

    def update(self, album_id: UUID, changes: dict[str, Any]) -> None:
        cols = [
            c for c in ("album_name", "description", "album_thumbnail_asset_id") if c in changes
        ]
        sets = ", ".join([f"{c} = %({c})s" for c in cols] + ["updated_at = now()"])
        with self._pool.connection() as conn:
            conn.execute(
                f"UPDATE albums SET {sets} WHERE id = %(id)s",
                {**{c: changes[c] for c in cols}, "id": album_id},  # type: ignore[misc]
            )

    def delete(self, album_id: UUID) -> None:
        with self._pool.connection() as conn:
            conn.execute("DELETE FROM albums WHERE id = %s", (album_id,))

    # --- assets -------------------------------------------------------------------------
    def assets(self, album_id: UUID, limit: int | None = None) -> list[Row]:
        """The album's assets, newest first; the first ``limit`` when given."""
        with self._pool.connection() as conn:
            return conn.execute(
                f"{ASSET_LIST_SELECT} JOIN album_assets aa ON aa.asset_id = a.id"
                " WHERE aa.album_id = %s AND a.trashed_at IS NULL"
                " ORDER BY coalesce(a.local_date_time, a.file_created_at) DESC, a.id LIMIT %s",
                (album_id, limit),
            ).fetchall()

    def asset_ids(self, album_id: UUID, ids: list[UUID]) -> set[UUID]:
        with self._pool.connection() as conn:
            rows = conn.execute(
                "SELECT asset_id FROM album_assets WHERE album_id = %s AND asset_id = ANY(%s)",
                (album_id, ids),
            ).fetchall()
        return {r["asset_id"] for r in rows}

    def add_assets(self, album_id: UUID, ids: list[UUID], added_by: UUID | None) -> set[UUID]:
        """Inserts; returns the ids that were new (the primary key settles races)."""
        if not ids:
            return set()
        with self._pool.connection() as conn:
            rows = conn.execute(
                "INSERT INTO album_assets (album_id, asset_id, added_by)"
                " SELECT %s, x, %s FROM unnest(%s::uuid[]) AS x"
                " ON CONFLICT DO NOTHING RETURNING asset_id",
                (album_id, added_by, ids),
            ).fetchall()
            added = {r["asset_id"] for r in rows}
            if added:
                # The first asset becomes the cover when there is none.
                conn.execute(
                    "UPDATE albums SET updated_at = now(), album_thumbnail_asset_id ="
                    " coalesce(album_thumbnail_asset_id, %s) WHERE id = %s",
                    (next(iter(ids_in_order(ids, added))), album_id),
                )
        return added

    def remove_assets(self, album_id: UUID, ids: list[UUID]) -> set[UUID]:
        with self._pool.connection() as conn:
            rows = conn.execute(
                "DELETE FROM album_assets WHERE album_id = %s AND asset_id = ANY(%s)"
                " RETURNING asset_id",
                (album_id, ids),
            ).fetchall()
            removed = {r["asset_id"] for r in rows}
            if removed:
                # A removed cover is replaced by the newest remaining asset (or none).
                conn.execute(
                    "UPDATE albums SET updated_at = now(), album_thumbnail_asset_id = CASE"
                    " WHEN album_thumbnail_asset_id = ANY(%s) THEN (SELECT aa.asset_id FROM"
                    " album_assets aa WHERE aa.album_id = albums.id ORDER BY aa.created_at"
                    " LIMIT 1) ELSE album_thumbnail_asset_id END WHERE id = %s",
                    (list(removed), album_id),
                )
        return removed

    # --- members ------------------------------------------------------------------------
    def set_member(self, album_id: UUID, user_id: UUID, role: str) -> None:
        with self._pool.connection() as conn:
            conn.execute(
                "INSERT INTO album_users (album_id, user_id, role) VALUES (%s, %s, %s)"
                " ON CONFLICT (album_id, user_id) DO UPDATE SET role = EXCLUDED.role",
                (album_id, user_id, role),
            )

    def remove_member(self, album_id: UUID, user_id: UUID) -> bool:
        with self._pool.connection() as conn:
            return (
                conn.execute(
                    "DELETE FROM album_users WHERE album_id = %s AND user_id = %s",
                    (album_id, user_id),
                ).rowcount
                == 1
            )


def ids_in_order(ids: list[UUID], keep: set[UUID]) -> list[UUID]:
    return [i for i in ids if i in keep]
