"""Tags, map markers, memories, download archives and usage statistics.

Every method a user reaches takes the owner id and scopes by it; the worker-side methods
(``part_for_build`` ...) take ids the API itself planned.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any
from uuid import UUID

from chalicelib.db.pool import Pool, one
from chalicelib.repositories.assets import _SELECT

Row = dict[str, Any]

# The tag and every tag below it, for one owner (parameters: tag_id, owner).
_SUBTREE = (
    "WITH RECURSIVE sub AS (SELECT id FROM tags WHERE id = %(tag_id)s"
    " AND owner_id = %(owner)s UNION ALL SELECT t.id FROM tags t"
    " JOIN sub ON t.parent_id = sub.id) SELECT id FROM sub"
)

# AssetRepository.list's tag filter: an asset tagged with the tag or any tag below it
# (as Immich: filtering by "Travel" finds what is tagged "Travel/Japan").
TAG_FILTER_SQL = (
    f"EXISTS (SELECT 1 FROM tag_assets ta WHERE ta.asset_id = a.id AND ta.tag_id IN ({_SUBTREE}))"
)

_TAG_COLUMNS = "id, parent_id, value, color, created_at, updated_at"


class TagRepository:
    def __init__(self, pool: Pool) -> None:
        self._pool = pool

    def of_owner(self, owner_id: UUID) -> list[Row]:
        with self._pool.connection() as conn:
            return conn.execute(
                f"SELECT {_TAG_COLUMNS} FROM tags WHERE owner_id = %s ORDER BY value", (owner_id,)
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
                f" updated_at = now() WHERE owner_id = %(owner)s AND id IN ({_SUBTREE})",
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

    def tag_assets(self, owner_id: UUID, tag_id: UUID, ids: list[UUID]) -> tuple[set, set]:
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

    def untag_assets(self, tag_id: UUID, ids: list[UUID]) -> set:
        with self._pool.connection() as conn:
            return {
                r["asset_id"]
                for r in conn.execute(
                    "DELETE FROM tag_assets WHERE tag_id = %s AND asset_id = ANY(%s)"
                    " RETURNING asset_id",
                    (tag_id, ids),
                ).fetchall()
            }


class MapRepository:
    def __init__(self, pool: Pool) -> None:
        self._pool = pool

    def markers(self, owner_id: UUID, filters: dict[str, Any]) -> list[Row]:
        where = [
            "a.owner_id = %(owner)s",
            "a.trashed_at IS NULL",
            "a.status IN ('ready', 'processing')",
            "e.latitude IS NOT NULL",
            "e.longitude IS NOT NULL",
            "a.is_archived = %(is_archived)s",
        ]
        params: dict[str, Any] = {
            "owner": owner_id,
            **filters,
            "is_archived": bool(filters.get("is_archived")),
        }
        if filters.get("is_favorite") is not None:
            where.append("a.is_favorite = %(is_favorite)s")
        if filters.get("file_created_after"):
            where.append("a.file_created_at >= %(file_created_after)s")
        if filters.get("file_created_before"):
            where.append("a.file_created_at < %(file_created_before)s")
        with self._pool.connection() as conn:
            return conn.execute(
                "SELECT a.id, e.latitude AS lat, e.longitude AS lon, e.city, e.state, e.country"
                " FROM assets a JOIN asset_exif e ON e.asset_id = a.id"
                f" WHERE {' AND '.join(where)}"
                " ORDER BY coalesce(a.taken_at, a.file_created_at) DESC, a.id",
                params,
            ).fetchall()


class MemoryRepository:
    def __init__(self, pool: Pool) -> None:
        self._pool = pool

    def generate(self, show_on: date) -> dict[str, int]:
        """ "On this day" for every user: one memory per earlier year that has photos taken
        (wall-clock date) on this month and day. Re-running adds late assets and never
        brings back a dismissed memory (its row stays, deleted)."""
        params = {"month": show_on.month, "day": show_on.day, "show_on": show_on}
        picked = (
            "SELECT owner_id, id AS asset_id, day FROM (SELECT a.owner_id, a.id,"
            " (coalesce(a.local_date_time, a.file_created_at) AT TIME ZONE 'UTC')::date AS day"
            " FROM assets a WHERE a.status = 'ready' AND a.trashed_at IS NULL"
            " AND NOT a.is_archived) d WHERE extract(month FROM day) = %(month)s"
            " AND extract(day FROM day) = %(day)s AND day < %(show_on)s"
        )
        with self._pool.connection() as conn:
            made = conn.execute(
                "INSERT INTO memories (owner_id, memory_at, show_on)"
                f" SELECT DISTINCT owner_id, day, %(show_on)s FROM ({picked}) p"
                " ON CONFLICT DO NOTHING",
                params,
            ).rowcount
            linked = conn.execute(
                "INSERT INTO memory_assets (memory_id, asset_id) SELECT m.id, p.asset_id"
                f" FROM ({picked}) p JOIN memories m ON m.owner_id = p.owner_id"
                " AND m.memory_at = p.day AND m.show_on = %(show_on)s"
                " AND m.type = 'on_this_day' ON CONFLICT DO NOTHING",
                params,
            ).rowcount
        return {"memories": made, "assets": linked}

    def shown(self, owner_id: UUID, show_on: date | None, saved_only: bool) -> list[Row]:
        with self._pool.connection() as conn:
            return conn.execute(
                "SELECT * FROM memories WHERE owner_id = %s AND deleted_at IS NULL"
                " AND (%s::date IS NULL OR show_on = %s) AND (NOT %s OR is_saved)"
                " ORDER BY show_on DESC, memory_at DESC",
                (owner_id, show_on, show_on, saved_only),
            ).fetchall()

    def get(self, owner_id: UUID, memory_id: UUID) -> Row | None:
        with self._pool.connection() as conn:
            return conn.execute(
                "SELECT * FROM memories WHERE id = %s AND owner_id = %s AND deleted_at IS NULL",
                (memory_id, owner_id),
            ).fetchone()

    def assets_of(self, memory_ids: list[UUID]) -> list[Row]:
        """Asset rows (AssetRepository's shape) plus ``memory_id``; trashed ones left out."""
        with self._pool.connection() as conn:
            return conn.execute(
                f"SELECT ma.memory_id, q.* FROM memory_assets ma JOIN LATERAL ({_SELECT}"
                " WHERE a.id = ma.asset_id) q ON true WHERE ma.memory_id = ANY(%s)"
                " AND NOT q.is_trashed"
                " ORDER BY coalesce(q.taken_at, q.file_created_at), q.id",
                (memory_ids,),
            ).fetchall()

    def update(self, owner_id: UUID, memory_id: UUID, changes: dict[str, Any]) -> None:
        sets = [f"{c} = %({c})s" for c in ("is_saved", "seen_at") if c in changes]
        with self._pool.connection() as conn:
            conn.execute(
                f"UPDATE memories SET {', '.join(sets + ['updated_at = now()'])}"
                " WHERE id = %(id)s AND owner_id = %(owner)s",
                {**changes, "id": memory_id, "owner": owner_id},
            )

    def dismiss(self, owner_id: UUID, memory_id: UUID) -> bool:
        with self._pool.connection() as conn:
            return (
                conn.execute(
                    "UPDATE memories SET deleted_at = now(), updated_at = now() WHERE id = %s"
                    " AND owner_id = %s AND deleted_at IS NULL",
                    (memory_id, owner_id),
                ).rowcount
                == 1
            )


class DownloadRepository:
    def __init__(self, pool: Pool) -> None:
        self._pool = pool

    def owned(self, owner_id: UUID, ids: list[UUID]) -> set[UUID]:
        with self._pool.connection() as conn:
            return {
                r["id"]
                for r in conn.execute(
                    "SELECT id FROM assets WHERE owner_id = %s AND id = ANY(%s)", (owner_id, ids)
                ).fetchall()
            }

    def downloadable(self, ids: list[UUID]) -> list[Row]:
        """Those of ``ids`` (access already checked) whose original is in the bucket, oldest
        first."""
        with self._pool.connection() as conn:
            return conn.execute(
                "SELECT id, file_size FROM assets WHERE id = ANY(%s) AND status <> 'pending'"
                " ORDER BY coalesce(taken_at, file_created_at), id",
                (ids,),
            ).fetchall()

    def create(self, archive: dict[str, Any], parts: list[dict[str, Any]]) -> None:
        with self._pool.connection() as conn:
            conn.execute(
                "INSERT INTO download_archives (id, owner_id, archive_size, asset_count,"
                " total_size, expires_at) VALUES (%(id)s, %(owner_id)s, %(archive_size)s,"
                " %(asset_count)s, %(total_size)s, %(expires_at)s)",
                archive,
            )
            for part in parts:
                conn.execute(
                    "INSERT INTO download_archive_parts (archive_id, part_number, asset_ids,"
                    " planned_size, storage_key) VALUES (%(archive_id)s, %(part_number)s,"
                    " %(asset_ids)s, %(planned_size)s, %(storage_key)s)",
                    part,
                )

    def get(self, owner_id: UUID, archive_id: UUID) -> Row | None:
        with self._pool.connection() as conn:
            return conn.execute(
                "SELECT * FROM download_archives WHERE id = %s AND owner_id = %s",
                (archive_id, owner_id),
            ).fetchone()

    def parts(self, archive_id: UUID) -> list[Row]:
        with self._pool.connection() as conn:
            return conn.execute(
                "SELECT * FROM download_archive_parts WHERE archive_id = %s ORDER BY part_number",
                (archive_id,),
            ).fetchall()

    # --- the archive stage ------------------------------------------------------------
    def part_for_build(self, archive_id: UUID, part_number: int) -> Row | None:
        with self._pool.connection() as conn:
            return conn.execute(
                "SELECT p.*, d.owner_id FROM download_archive_parts p"
                " JOIN download_archives d ON d.id = p.archive_id"
                " WHERE p.archive_id = %s AND p.part_number = %s",
                (archive_id, part_number),
            ).fetchone()

    def part_assets(self, ids: list[UUID]) -> list[Row]:
        """The planned assets still there, in the planned order."""
        with self._pool.connection() as conn:
            return conn.execute(
                "SELECT a.id, a.storage_key, a.original_file_name, a.file_size,"
                " coalesce(a.local_date_time, a.file_created_at) AS taken"
                " FROM unnest(%s::uuid[]) WITH ORDINALITY AS i(id, n)"
                " JOIN assets a ON a.id = i.id ORDER BY i.n",
                (ids,),
            ).fetchall()

    def set_part(
        self,
        archive_id: UUID,
        part_number: int,
        status: str,
        *,
        byte_size: int | None = None,
        skipped: int = 0,
        error: str | None = None,
    ) -> None:
        with self._pool.connection() as conn:
            conn.execute(
                "UPDATE download_archive_parts SET status = %s, byte_size = %s, skipped = %s,"
                " error = %s, updated_at = now() WHERE archive_id = %s AND part_number = %s",
                (status, byte_size, skipped, error, archive_id, part_number),
            )

    def expired(self, now: datetime, limit: int = 200) -> list[Row]:
        with self._pool.connection() as conn:
            return conn.execute(
                "SELECT id, owner_id FROM download_archives WHERE expires_at < %s LIMIT %s",
                (now, limit),
            ).fetchall()

    def delete(self, archive_id: UUID) -> None:
        with self._pool.connection() as conn:
            conn.execute("DELETE FROM download_archives WHERE id = %s", (archive_id,))


class StatsRepository:
    def __init__(self, pool: Pool) -> None:
        self._pool = pool

    _USAGE = (
        "count(a.id) FILTER (WHERE a.type = 'IMAGE' AND a.status IN ('ready', 'processing'))"
        " AS photos,"
        " count(a.id) FILTER (WHERE a.type = 'VIDEO' AND a.status IN ('ready', 'processing'))"
        " AS videos,"
        # Usage counts what the quota counts: every original not failed (trash included).
        " coalesce(sum(a.file_size) FILTER (WHERE a.status <> 'failed'), 0)::bigint AS usage,"
        " coalesce(sum(a.file_size) FILTER (WHERE a.status <> 'failed' AND a.type = 'IMAGE'),"
        " 0)::bigint AS usage_photos,"
        " coalesce(sum(a.file_size) FILTER (WHERE a.status <> 'failed' AND a.type = 'VIDEO'),"
        " 0)::bigint AS usage_videos"
    )

    def usage_by_user(self) -> list[Row]:
        with self._pool.connection() as conn:
            return conn.execute(
                "SELECT u.id AS user_id, u.name AS user_name, u.quota_size_in_bytes,"
                f" {self._USAGE} FROM users u LEFT JOIN assets a ON a.owner_id = u.id"
                " WHERE u.deleted_at IS NULL GROUP BY u.id ORDER BY u.created_at, u.id"
            ).fetchall()

    def usage_of(self, owner_id: UUID) -> Row:
        with self._pool.connection() as conn:
            return one(
                conn.execute(
                    f"SELECT {self._USAGE} FROM assets a WHERE a.owner_id = %s", (owner_id,)
                ).fetchone()
            )

    def stage_counts(self) -> dict[str, dict[str, int]]:
        with self._pool.connection() as conn:
            rows = conn.execute(
                "SELECT stage, status, count(*) AS n FROM asset_stages GROUP BY stage, status"
            ).fetchall()
        counts: dict[str, dict[str, int]] = {}
        for r in rows:
            counts.setdefault(r["stage"], {})[r["status"]] = r["n"]
        return counts

    def stage_errors(self, stage: str, asset_ids: list[UUID]) -> dict[UUID, str | None]:
        with self._pool.connection() as conn:
            rows = conn.execute(
                "SELECT asset_id, error FROM asset_stages WHERE stage = %s AND asset_id = ANY(%s)",
                (stage, asset_ids),
            ).fetchall()
        return {r["asset_id"]: r["error"] for r in rows}
