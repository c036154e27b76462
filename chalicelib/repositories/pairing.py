"""What ingest pairs: a Live Photo's still with its motion part, a RAW with its JPEG.

Both halves of a pair arrive in any order, possibly at the same moment in two workers. Each
pairing runs in one transaction that first takes an advisory lock on what pairs them (the
owner and the content identifier, or the owner and the base name): the second of two workers
waits for the first to commit, then sees its row and links both. Every statement is written
so that running it again changes nothing (duplicate events).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

from chalicelib.db.pool import Connection, Pool

Row = dict[str, Any]


@dataclass(frozen=True)
class MotionPart:
    asset_id: UUID
    storage_key: str
    status: str


def _lock(conn: Connection, *parts: object) -> None:
    key = "/".join(str(p) for p in parts)
    conn.execute("SELECT pg_advisory_xact_lock(hashtextextended(%s, 14))", (key,))


class PairingRepository:
    def __init__(self, pool: Pool) -> None:
        self._pool = pool

    # --- Live Photos -----------------------------------------------------------------
    def link_live_photo(
        self, owner_id: UUID, asset_id: UUID, cid: str, *, is_video: bool
    ) -> UUID | None:
        """Records the asset's content identifier and links it with its other half if that
        is already here. Returns the partner's id (None while it has not arrived)."""
        with self._pool.connection() as conn, conn.transaction():
            _lock(conn, "live", owner_id, cid)
            conn.execute(
                "UPDATE assets SET live_photo_cid = %s WHERE id = %s AND owner_id = %s",
                (cid, asset_id, owner_id),
            )
            partner = conn.execute(
                "SELECT id FROM assets WHERE owner_id = %s AND live_photo_cid = %s AND id <> %s"
                " AND type = %s AND status <> 'failed' ORDER BY created_at, id LIMIT 1",
                (owner_id, cid, asset_id, "IMAGE" if is_video else "VIDEO"),
            ).fetchone()
            if partner is None:
                return None
            still, video = (partner["id"], asset_id) if is_video else (asset_id, partner["id"])
            self._link(conn, owner_id, still, video)
            return UUID(str(partner["id"]))

    @staticmethod
    def _link(conn: Connection, owner_id: UUID, still: UUID, video: UUID) -> None:
        conn.execute(
            "UPDATE assets SET live_photo_video_id = %s, updated_at = now()"
            " WHERE id = %s AND owner_id = %s AND live_photo_video_id IS DISTINCT FROM %s",
            (video, still, owner_id, video),
        )
        # The motion part leaves the timeline and lists, as Immich hides it.
        conn.execute(
            "UPDATE assets SET visibility = 'hidden', updated_at = now()"
            " WHERE id = %s AND owner_id = %s AND visibility <> 'hidden'",
            (video, owner_id),
        )

    def add_motion_part(self, still: Row, values: dict[str, Any]) -> MotionPart:
        """The video extracted from a motion photo, as a hidden pending asset linked to the
        still (the same bytes again — a repeated event — reuse the asset already made)."""
        with self._pool.connection() as conn, conn.transaction():
            _lock(conn, "motion", still["owner_id"], still["id"])
            row = conn.execute(
                "INSERT INTO assets (id, owner_id, type, original_file_name, original_mime_type,"
                " checksum, file_size, storage_key, file_created_at, file_modified_at,"
                " visibility, device_id) VALUES (%(id)s, %(owner_id)s, 'VIDEO',"
                " %(original_file_name)s, 'video/mp4', %(checksum)s, %(file_size)s,"
                " %(storage_key)s, %(file_created_at)s, %(file_modified_at)s, 'hidden',"
                " %(device_id)s)"
                " ON CONFLICT (owner_id, checksum) WHERE status <> 'failed' AND library_id IS NULL"
                " DO NOTHING RETURNING id, storage_key, status",
                {**values, "owner_id": still["owner_id"], "device_id": still.get("device_id")},
            ).fetchone()
            if row is None:
                row = conn.execute(
                    "SELECT id, storage_key, status FROM assets WHERE owner_id = %s"
                    " AND checksum = %s AND status <> 'failed'",
                    (still["owner_id"], values["checksum"]),
                ).fetchone()
                assert row is not None  # the conflict names a live row, and we hold the lock
            video = UUID(str(row["id"]))
            self._link(conn, still["owner_id"], still["id"], video)
            return MotionPart(video, row["storage_key"], row["status"])

    # --- stacks --------------------------------------------------------------------
    def stack_raw_pair(
        self, owner_id: UUID, asset_id: UUID, stem: str, local: datetime | None, *, is_raw: bool
    ) -> UUID | None:
        """Stacks a RAW with the JPEG of the same shot, the JPEG as primary, whichever was
        ingested first: same base name, same wall-clock capture time (one of the two may lack
        the GPS position that gives the other its offset). A RAW whose pixels failed to
        decode still pairs: its metadata, the reason it is kept, is there. Returns the
        stack's id."""
        if local is None:
            return None
        with self._pool.connection() as conn, conn.transaction():
            _lock(conn, "stack", owner_id, stem.lower())
            partner = conn.execute(
                "SELECT id, stack_id FROM assets WHERE owner_id = %s AND id <> %s"
                " AND type = 'IMAGE' AND trashed_at IS NULL"
                " AND lower(regexp_replace(original_file_name, '\\.[^.]*$', '')) = %s"
                " AND local_date_time = %s AND (original_mime_type LIKE 'image/x-%%') = %s"
                " ORDER BY created_at, id LIMIT 1",
                (owner_id, asset_id, stem.lower(), local, not is_raw),
            ).fetchone()
            if partner is None:
                return None
            jpeg = asset_id if not is_raw else partner["id"]
            if partner["stack_id"] is not None:
                stack_id = partner["stack_id"]
            else:
                stack = conn.execute(
                    "INSERT INTO stacks (owner_id, primary_asset_id) VALUES (%s, %s) RETURNING id",
                    (owner_id, jpeg),
                ).fetchone()
                assert stack is not None
                stack_id = stack["id"]
            conn.execute(
                "UPDATE assets SET stack_id = %s, updated_at = now()"
                " WHERE owner_id = %s AND id = ANY(%s) AND stack_id IS DISTINCT FROM %s",
                (stack_id, owner_id, [asset_id, partner["id"]], stack_id),
            )
            return UUID(str(stack_id))
