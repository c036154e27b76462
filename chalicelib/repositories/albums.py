"""Albums, their assets and members. Access is decided before these are
called (chalicelib.services.access); methods here take ids the service already checked."""

from __future__ import annotations

from dataclasses import dataclass
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
    # album_assets carries each asset's time and trash state (migration 0022's triggers).
    " LEFT JOIN LATERAL (SELECT count(*) AS asset_count, min(aa.asset_time) AS start_date,"
    "  max(aa.asset_time) AS end_date FROM album_assets aa"
    "  WHERE aa.album_id = al.id AND NOT aa.asset_trashed) st ON true"
)
_ORDER = " ORDER BY al.created_at DESC, al.id"


@dataclass(frozen=True)
class AlbumPage:
    """Which albums of a list: those holding ``asset_id`` when given, ``limit`` of them
    (all when None) from ``offset``."""

    asset_id: UUID | None = None
    limit: int | None = None
    offset: int = 0


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

    def list_owned(self, owner_id: UUID, page: AlbumPage | None = None) -> list[Row]:
        return self._list("al.owner_id = %(u)s", owner_id, page)

    def list_shared(self, user_id: UUID, page: AlbumPage | None = None) -> list[Row]:
        """Albums shared with the user, and the user's own albums shared with anyone
        (members or a link), as Immich's ``?shared=true``."""
        return self._list(
            "(EXISTS (SELECT 1 FROM album_users m WHERE m.album_id = al.id"
            "  AND m.user_id = %(u)s) OR (al.owner_id = %(u)s AND (EXISTS (SELECT 1 FROM"
            "  album_users m WHERE m.album_id = al.id) OR EXISTS (SELECT 1 FROM shared_links"
            "  l WHERE l.album_id = al.id))))",
            user_id,
            page,
        )

    def list_not_shared(self, owner_id: UUID, page: AlbumPage | None = None) -> list[Row]:
        return self._list(
            "al.owner_id = %(u)s AND NOT EXISTS (SELECT 1 FROM album_users m"
            " WHERE m.album_id = al.id) AND NOT EXISTS (SELECT 1 FROM shared_links l"
            " WHERE l.album_id = al.id)",
            owner_id,
            page,
        )

    def _list(self, where: str, user_id: UUID, page: AlbumPage | None) -> list[Row]:
        page = page or AlbumPage()
        if page.asset_id is not None:
            where += (
                " AND EXISTS (SELECT 1 FROM album_assets x WHERE x.album_id = al.id"
                " AND x.asset_id = %(asset)s)"
            )
        with self._pool.connection() as conn:
            return conn.execute(
                f"{_ALBUM} WHERE {where}{_ORDER} LIMIT %(limit)s OFFSET %(offset)s",
                {"u": user_id, "asset": page.asset_id, "limit": page.limit, "offset": page.offset},
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
            # The page comes from album_assets' index alone; only its assets are read.
            return conn.execute(
                f"WITH page AS (SELECT asset_id, asset_time FROM album_assets"
                " WHERE album_id = %s AND NOT asset_trashed"
                " ORDER BY asset_time DESC, asset_id LIMIT %s)"
                f" {ASSET_LIST_SELECT} JOIN page ON page.asset_id = a.id"
                " ORDER BY page.asset_time DESC, a.id",
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
