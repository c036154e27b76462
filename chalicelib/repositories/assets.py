"""Assets, uploads and EXIF rows. Every read and write that a user can reach is scoped by
``owner_id``; the worker-side methods take an asset id the pipeline itself produced."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

from chalicelib.db.pool import Connection, Pool, one
from chalicelib.repositories.sql import ASSET_LIST_SELECT, ASSET_SELECT, TAG_FILTER_SQL, Row

EXIF_COLUMNS = (
    "make",
    "model",
    "lens_model",
    "f_number",
    "exposure_time",
    "iso",
    "focal_length",
    "latitude",
    "longitude",
    "altitude",
    "date_time_original",
    "time_zone",
    "exif_image_width",
    "exif_image_height",
    "orientation",
    "description",
    "file_size_in_byte",
    "fps",
    "video_codec",
    "audio_codec",
    "rotation",
    "city",
    "state",
    "country",
    "date_source",
    "time_zone_source",
    "rating",
)


# The folder of a client path (what the index on it holds): "/a/b/c.jpg" -> "/a/b".
_FOLDER = "regexp_replace(a.original_path, '/[^/]*$', '')"
# The list's order: capture time (file time when unknown), newest first, id to break ties.
SORT_KEY = "coalesce(a.taken_at, a.file_created_at)"
LIST_WITH_SORT_KEY = ASSET_LIST_SELECT.replace(
    "SELECT a.*,", f"SELECT a.*, {SORT_KEY} AS sort_key,", 1
)
STATISTICS = (
    "images",
    "videos",
    "total",
    "favorites",
    "archived",
    "trashed",
    "failed",
    "pending",
    "usage_bytes",
)


class AssetRepository:
    def __init__(self, pool: Pool) -> None:
        self._pool = pool

    # --- uploads --------------------------------------------------------------------
    def find_by_checksums(
        self, owner_id: UUID, checksums: list[bytes], conn: Connection | None = None
    ) -> list[Row]:
        """The user's live assets with these bytes (in ``conn``'s transaction if given)."""
        if conn is None:
            with self._pool.connection() as own:
                return self.find_by_checksums(owner_id, checksums, own)
        return conn.execute(
            "SELECT id, checksum, status, storage_key, trashed_at IS NOT NULL AS is_trashed"
            " FROM assets"
            " WHERE owner_id = %s AND checksum = ANY(%s) AND status <> 'failed'"
            " AND library_id IS NULL",
            (owner_id, checksums),
        ).fetchall()

    @staticmethod
    def lock_owner(conn: Connection, owner_id: UUID) -> None:
        """Serialises one user's upload creations (quota check + insert) in this transaction."""
        conn.execute("SELECT pg_advisory_xact_lock(hashtextextended(%s::text, 7))", (owner_id,))

    @staticmethod
    def usage_bytes(conn: Connection, owner_id: UUID) -> int:
        """Bytes the quota counts, from the counter the assets' triggers keep
        (user_asset_stats): one row, however large the library."""
        row = conn.execute(
            "SELECT coalesce(sum(bytes_photos + bytes_videos), 0)::bigint AS used"
            " FROM user_asset_stats WHERE owner_id = %s",
            (owner_id,),
        ).fetchone()
        return int(one(row)["used"])

    @staticmethod
    def pending_count(conn: Connection, owner_id: UUID) -> int:
        row = conn.execute(
            "SELECT count(*) AS n FROM assets WHERE owner_id = %s AND status = 'pending'",
            (owner_id,),
        ).fetchone()
        return int(one(row)["n"])

    @staticmethod
    def insert_pending(conn: Connection, values: dict[str, Any]) -> Row | None:
        """None when the user already has these bytes (the unique index decides, not a read)."""
        return conn.execute(
            "INSERT INTO assets (id, owner_id, type, original_file_name, original_mime_type,"
            " checksum, file_size, storage_key, device_asset_id, device_id, file_created_at,"
            " file_modified_at, original_path) VALUES (%(id)s, %(owner_id)s, %(type)s,"
            " %(original_file_name)s, %(original_mime_type)s, %(checksum)s, %(file_size)s,"
            " %(storage_key)s, %(device_asset_id)s, %(device_id)s, %(file_created_at)s,"
            " %(file_modified_at)s, %(original_path)s)"
            " ON CONFLICT (owner_id, checksum) WHERE status <> 'failed' AND library_id IS NULL"
            " DO NOTHING RETURNING id",
            values,
        ).fetchone()

    @staticmethod
    def insert_upload(conn: Connection, values: dict[str, Any]) -> Row:
        row = conn.execute(
            "INSERT INTO uploads (asset_id, owner_id, method, s3_upload_id, part_size, part_count,"
            " content_type, expires_at) VALUES (%(asset_id)s, %(owner_id)s, %(method)s,"
            " %(s3_upload_id)s, %(part_size)s, %(part_count)s, %(content_type)s, %(expires_at)s)"
            " RETURNING id",
            values,
        ).fetchone()
        return one(row)

    def get_upload(self, owner_id: UUID, upload_id: UUID) -> Row | None:
        with self._pool.connection() as conn:
            return conn.execute(
                "SELECT u.*, a.storage_key, a.file_size, a.status AS asset_status FROM uploads u"
                " JOIN assets a ON a.id = u.asset_id WHERE u.id = %s AND u.owner_id = %s",
                (upload_id, owner_id),
            ).fetchone()

    def get_upload_for_asset(self, owner_id: UUID, asset_id: UUID) -> Row | None:
        with self._pool.connection() as conn:
            return conn.execute(
                "SELECT u.*, a.storage_key, a.file_size, a.checksum, a.status AS asset_status"
                " FROM uploads u JOIN assets a ON a.id = u.asset_id"
                " WHERE u.asset_id = %s AND u.owner_id = %s",
                (asset_id, owner_id),
            ).fetchone()

    def extend_upload(self, upload_id: UUID, expires_at: datetime) -> None:
        with self._pool.connection() as conn:
            conn.execute(
                "UPDATE uploads SET expires_at = %s WHERE id = %s", (expires_at, upload_id)
            )

    def mark_upload_completed(self, upload_id: UUID) -> None:
        with self._pool.connection() as conn:
            conn.execute(
                "UPDATE uploads SET completed_at = coalesce(completed_at, now()) WHERE id = %s",
                (upload_id,),
            )

    def delete_pending(self, asset_id: UUID) -> None:
        with self._pool.connection() as conn:
            conn.execute("DELETE FROM assets WHERE id = %s AND status = 'pending'", (asset_id,))

    def expired_pending(self, older_than: datetime, limit: int = 500) -> list[Row]:
        with self._pool.connection() as conn:
            return conn.execute(
                "SELECT a.id, a.storage_key, u.s3_upload_id FROM assets a"
                " LEFT JOIN uploads u ON u.asset_id = a.id"
                " WHERE a.status = 'pending' AND a.created_at < %s ORDER BY a.created_at LIMIT %s",
                (older_than, limit),
            ).fetchall()

    # --- reads ----------------------------------------------------------------------
    def get(self, owner_id: UUID, asset_id: UUID) -> Row | None:
        with self._pool.connection() as conn:
            return conn.execute(
                f"{ASSET_SELECT} WHERE a.id = %s AND a.owner_id = %s", (asset_id, owner_id)
            ).fetchone()

    def list_page(
        self,
        owner_id: UUID,
        filters: dict[str, Any],
        limit: int,
        offset: int,
        after: tuple[datetime, UUID] | None = None,
    ) -> list[Row]:
        """A page newest first, each row with its ``sort_key``. ``after`` (the last row's
        sort key and id) starts the page there through the (owner, time, id) index:
        keyset paging, as fast on page 1,000 as on page 1."""
        # Motion parts of Live Photos stay out of lists (reachable by id), as in Immich.
        where = ["a.owner_id = %(owner)s", "a.visibility = 'timeline'"]
        params: dict[str, Any] = {"owner": owner_id, "limit": limit, "offset": offset, **filters}
        if after is not None:
            # "<=" first: a bound the index scan starts from (an OR alone is a filter, and
            # the scan would walk every row before the cursor).
            where.append(f"{SORT_KEY} <= %(after_key)s AND ({SORT_KEY} < %(after_key)s"
                         " OR a.id > %(after_id)s)")  # fmt: skip
            params.update(after_key=after[0], after_id=after[1])
        if filters.get("type"):
            where.append("a.type = %(type)s")
        if filters.get("status"):
            where.append("a.status = %(status)s")
        if filters.get("is_favorite") is not None:
            where.append("a.is_favorite = %(is_favorite)s")
        if filters.get("is_archived") is not None:
            where.append("a.is_archived = %(is_archived)s")
        # Trashed assets only show when asked for, as in Immich.
        where.append("(a.trashed_at IS NOT NULL) = %(trashed)s")
        params["trashed"] = bool(filters.get("is_trashed"))
        if filters.get("taken_after"):
            where.append("coalesce(a.taken_at, a.file_created_at) >= %(taken_after)s")
        if filters.get("taken_before"):
            where.append("coalesce(a.taken_at, a.file_created_at) < %(taken_before)s")
        if filters.get("tag_id"):
            where.append(TAG_FILTER_SQL)
        sql = (
            f"{LIST_WITH_SORT_KEY} WHERE {' AND '.join(where)}"
            f" ORDER BY {SORT_KEY} DESC, a.id LIMIT %(limit)s OFFSET %(offset)s"
        )
        with self._pool.connection() as conn:
            return conn.execute(sql, params).fetchall()

    def statistics(self, owner_id: UUID) -> Row:
        """The owner's counters (user_asset_stats, kept by triggers on assets): one row."""
        with self._pool.connection() as conn:
            row = conn.execute(
                "SELECT images, videos, images + videos AS total, favorites, archived,"
                " trashed, failed, pending, bytes_photos + bytes_videos AS usage_bytes"
                " FROM user_asset_stats WHERE owner_id = %s",
                (owner_id,),
            ).fetchone()
        return row or dict.fromkeys(STATISTICS, 0)

    # --- user changes ---------------------------------------------------------------
    def update_flags(self, owner_id: UUID, asset_id: UUID, changes: dict[str, Any]) -> bool:
        sets = [f"{c} = %({c})s" for c in ("is_favorite", "is_archived") if c in changes]
        if "taken_at" in changes:
            sets += ["taken_at = %(taken_at)s", "local_date_time = %(local_date_time)s"]
        sql = (
            f"UPDATE assets SET {', '.join(sets + ['updated_at = now()'])}"
            " WHERE id = %(id)s AND owner_id = %(owner)s"
        )
        with self._pool.connection() as conn:
            return conn.execute(sql, {**changes, "id": asset_id, "owner": owner_id}).rowcount == 1

    # --- folder view: the folders of the client paths uploads gave ------------------------
    def folders(self, owner_id: UUID) -> list[str]:
        with self._pool.connection() as conn:
            rows = conn.execute(
                f"SELECT DISTINCT {_FOLDER} AS folder FROM assets a WHERE a.owner_id = %s"
                " AND a.original_path IS NOT NULL AND a.trashed_at IS NULL ORDER BY 1",
                (owner_id,),
            ).fetchall()
        return [r["folder"] for r in rows]

    def in_folder(self, owner_id: UUID, folder: str) -> list[Row]:
        with self._pool.connection() as conn:
            return conn.execute(
                f"{ASSET_SELECT} WHERE a.owner_id = %s AND a.original_path IS NOT NULL"
                f" AND {_FOLDER} = %s AND a.trashed_at IS NULL ORDER BY a.original_path, a.id",
                (owner_id, folder),
            ).fetchall()

    def upsert_exif(
        self, asset_id: UUID, values: dict[str, Any], conn: Connection | None = None
    ) -> None:
        cols = [c for c in values if c in EXIF_COLUMNS]
        if not cols:
            return
        sql = (
            f"INSERT INTO asset_exif (asset_id, {', '.join(cols)}) VALUES (%(asset_id)s, "
            f"{', '.join(f'%({c})s' for c in cols)}) ON CONFLICT (asset_id) DO UPDATE SET "
            f"{', '.join(f'{c} = EXCLUDED.{c}' for c in cols)}"
        )
        params = {**{c: values[c] for c in cols}, "asset_id": asset_id}
        if conn is not None:
            conn.execute(sql, params)
            return
        with self._pool.connection() as c:
            c.execute(sql, params)

    def trash(self, owner_id: UUID, ids: list[UUID]) -> list[UUID]:
        with self._pool.connection() as conn:
            rows = conn.execute(
                "UPDATE assets SET trashed_at = coalesce(trashed_at, now()), updated_at = now()"
                " WHERE owner_id = %s AND id = ANY(%s) RETURNING id",
                (owner_id, ids),
            ).fetchall()
        return [r["id"] for r in rows]

    def restore(self, owner_id: UUID, ids: list[UUID] | None) -> int:
        """How many came back, counted as the library shows them: a Live Photo's motion
        part comes back with its still and is not counted on its own."""
        with self._pool.connection() as conn:
            rows = conn.execute(
                "UPDATE assets SET trashed_at = NULL, updated_at = now() WHERE owner_id = %s"
                " AND trashed_at IS NOT NULL AND (%s::uuid[] IS NULL OR id = ANY(%s::uuid[]))"
                " RETURNING visibility",
                (owner_id, ids, ids),
            ).fetchall()
        return sum(r["visibility"] != "hidden" for r in rows)

    def with_motion_parts(self, owner_id: UUID, ids: list[UUID]) -> list[UUID]:
        """The ids plus the motion part of each Live Photo among them (one shot, one fate)."""
        with self._pool.connection() as conn:
            rows = conn.execute(
                "SELECT live_photo_video_id AS id FROM assets WHERE owner_id = %s"
                " AND id = ANY(%s) AND live_photo_video_id IS NOT NULL",
                (owner_id, ids),
            ).fetchall()
        return list(dict.fromkeys([*ids, *(r["id"] for r in rows)]))

    def owned_keys(self, owner_id: UUID, ids: list[UUID]) -> list[Row]:
        with self._pool.connection() as conn:
            return conn.execute(
                "SELECT id, owner_id, storage_key, library_id FROM assets"
                " WHERE owner_id = %s AND id = ANY(%s)",
                (owner_id, ids),
            ).fetchall()

    def trashed_before(
        self, owner_id: UUID | None, before: datetime, limit: int = 500
    ) -> list[Row]:
        with self._pool.connection() as conn:
            return conn.execute(
                "SELECT id, owner_id, storage_key, library_id, visibility FROM assets"
                " WHERE trashed_at IS NOT NULL"
                " AND trashed_at < %s AND (%s::uuid IS NULL OR owner_id = %s) LIMIT %s",
                (before, owner_id, owner_id, limit),
            ).fetchall()

    def count_owned(self, owner_id: UUID) -> int:
        with self._pool.connection() as conn:
            return int(
                one(
                    conn.execute(
                        "SELECT count(*) AS n FROM assets WHERE owner_id = %s", (owner_id,)
                    ).fetchone()
                )["n"]
            )

    def owned_batch(self, owner_id: UUID, limit: int) -> list[Row]:
        """Any ``limit`` of the owner's assets, whatever their state (a deleted user's purge)."""
        with self._pool.connection() as conn:
            return conn.execute(
                "SELECT id, owner_id, storage_key, library_id FROM assets"
                " WHERE owner_id = %s LIMIT %s",
                (owner_id, limit),
            ).fetchall()

    def count_trashed(self, owner_id: UUID, before: datetime) -> int:
        """What the owner trashed before ``before``, counted as the trash shows it: a Live
        Photo's motion part is part of its still, not an item of its own."""
        with self._pool.connection() as conn:
            return int(
                one(
                    conn.execute(
                        "SELECT count(*) AS n FROM assets WHERE owner_id = %s"
                        " AND trashed_at IS NOT NULL AND trashed_at < %s"
                        " AND visibility <> 'hidden'",
                        (owner_id, before),
                    ).fetchone()
                )["n"]
            )

    def restore_trashed(self, owner_id: UUID, before: datetime, limit: int) -> tuple[int, int]:
        """Restores up to ``limit`` rows of what the owner trashed before ``before``; (how
        many the library shows, as ``restore`` counts; how many rows came back)."""
        with self._pool.connection() as conn:
            rows = conn.execute(
                "UPDATE assets SET trashed_at = NULL, updated_at = now() WHERE id IN"
                " (SELECT id FROM assets WHERE owner_id = %s AND trashed_at IS NOT NULL"
                "  AND trashed_at < %s LIMIT %s) RETURNING visibility",
                (owner_id, before, limit),
            ).fetchall()
        return sum(r["visibility"] != "hidden" for r in rows), len(rows)

    def delete(self, ids: list[UUID]) -> int:
        with self._pool.connection() as conn:
            return conn.execute("DELETE FROM assets WHERE id = ANY(%s)", (ids,)).rowcount
