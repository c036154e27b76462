"""Perceptual hashes and near-duplicate groups per owner."""

from __future__ import annotations

from uuid import UUID

from chalicelib.db.pool import Pool
from chalicelib.repositories.sql import ASSET_SELECT, Row


class DuplicateRepository:
    """asset_phash: perceptual hashes and duplicate groups per owner."""

    def __init__(self, pool: Pool) -> None:
        self._pool = pool

    def save_and_group(
        self, asset_id: UUID, owner_id: UUID, bits: str, max_distance: int
    ) -> UUID | None:
        """Stores the hash and puts the asset in a group with its near-duplicates (joining
        and merging existing groups). Returns the group id, None when it has no twin.

        One transaction under a per-owner lock: two twins processed at the same moment see
        each other's hash, so they never make two groups.
        """
        from uuid import uuid4

        with self._pool.connection() as conn:
            conn.execute(
                "SELECT pg_advisory_xact_lock(hashtextextended(%s::text, 43))", (owner_id,)
            )
            conn.execute(
                "INSERT INTO asset_phash (asset_id, owner_id, phash) VALUES (%s, %s, %s::bit(64))"
                " ON CONFLICT (asset_id) DO UPDATE SET phash = EXCLUDED.phash,"
                " updated_at = now()",
                (asset_id, owner_id, bits),
            )
            twins = conn.execute(
                "SELECT h.asset_id, h.duplicate_id FROM asset_phash h"
                " JOIN assets a ON a.id = h.asset_id"
                " WHERE h.owner_id = %s AND h.asset_id <> %s AND a.trashed_at IS NULL"
                " AND bit_count(h.phash # %s::bit(64)) <= %s",
                (owner_id, asset_id, bits, max_distance),
            ).fetchall()
            if not twins:
                return None
            groups = sorted({t["duplicate_id"] for t in twins if t["duplicate_id"]}, key=str)
            group = groups[0] if groups else uuid4()
            members = [asset_id, *(t["asset_id"] for t in twins)]
            conn.execute(
                "UPDATE asset_phash SET duplicate_id = %s WHERE owner_id = %s"
                " AND (asset_id = ANY(%s::uuid[]) OR duplicate_id = ANY(%s::uuid[]))",
                (group, owner_id, members, groups),
            )
            return group

    def groups(self, owner_id: UUID) -> list[Row]:
        """Asset rows with ``duplicate_id``, of groups that still have two live assets."""
        with self._pool.connection() as conn:
            return conn.execute(
                f"SELECT x.*, h.duplicate_id FROM ({ASSET_SELECT}) x"
                " JOIN asset_phash h ON h.asset_id = x.id"
                " WHERE h.owner_id = %(owner)s AND x.trashed_at IS NULL AND h.duplicate_id IN"
                " (SELECT h2.duplicate_id FROM asset_phash h2 JOIN assets a2 ON a2.id = h2.asset_id"
                "  WHERE h2.owner_id = %(owner)s AND a2.trashed_at IS NULL"
                "  AND h2.duplicate_id IS NOT NULL GROUP BY 1 HAVING count(*) > 1)"
                " ORDER BY h.duplicate_id, x.file_size DESC, x.id",
                {"owner": owner_id},
            ).fetchall()

    def members(self, owner_id: UUID, duplicate_id: UUID) -> list[UUID]:
        with self._pool.connection() as conn:
            rows = conn.execute(
                "SELECT h.asset_id FROM asset_phash h JOIN assets a ON a.id = h.asset_id"
                " WHERE h.owner_id = %s AND h.duplicate_id = %s AND a.trashed_at IS NULL",
                (owner_id, duplicate_id),
            ).fetchall()
        return [r["asset_id"] for r in rows]

    def dissolve(self, owner_id: UUID, duplicate_id: UUID) -> None:
        with self._pool.connection() as conn:
            conn.execute(
                "UPDATE asset_phash SET duplicate_id = NULL WHERE owner_id = %s"
                " AND duplicate_id = %s",
                (owner_id, duplicate_id),
            )
