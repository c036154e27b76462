"""Timeline queries: ready assets grouped by their local date (month or day).

The scope (whose assets) is decided by the service after access checks: a set of owners
(me, plus partners shown in my timeline) or one album. Filters compose with AND.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

from chalicelib.db.pool import Pool
from chalicelib.repositories.sql import LISTED, LISTED_IN_TRASH

Row = dict[str, Any]

# Wall-clock date the photo was taken (stored as a UTC-labelled instant), as a plain timestamp.
LOCAL = "(coalesce(a.local_date_time, a.file_created_at) AT TIME ZONE 'UTC')"
# The assets a listed stack primary hides (its other members): what the month counters
# count but the timeline does not show.
HIDDEN_IN_STACK = f"a.stack_id IS NOT NULL AND NOT ({LISTED})"


@dataclass(frozen=True)
class TimelineScope:
    me: UUID
    owners: tuple[UUID, ...] = ()  # used when album_id is None
    album_id: UUID | None = None
    is_archived: bool | None = None
    is_favorite: bool | None = None
    is_trashed: bool = False
    person_id: UUID | None = None


def _where(scope: TimelineScope, listed: str | None = None) -> tuple[str, dict[str, Any]]:
    """The scope's assets as SQL conditions on ``assets a``, and their parameters.
    ``listed`` replaces which assets of the scope count (default: the ones shown)."""
    if listed is None:
        # One tile per shot: no motion parts, and a stack shows as its primary.
        listed = LISTED_IN_TRASH if scope.is_trashed else LISTED
    where = ["a.status = 'ready'", listed]
    params: dict[str, Any] = {"me": scope.me}
    if scope.album_id is not None:
        where.append(
            "EXISTS (SELECT 1 FROM album_assets aa WHERE aa.album_id = %(album)s"
            " AND aa.asset_id = a.id)"
        )
        params["album"] = scope.album_id
    else:
        where.append("a.owner_id = ANY(%(owners)s)")
        params["owners"] = list(scope.owners)
        # Partners' archives are theirs: only the caller's own archived assets show.
        where.append("(a.owner_id = %(me)s OR NOT a.is_archived)")
    if scope.is_trashed:
        # Trash is private to its owner, even inside a shared album.
        where.append("a.trashed_at IS NOT NULL AND a.owner_id = %(me)s")
    else:
        where.append("a.trashed_at IS NULL")
    if scope.is_archived is not None:
        where.append("a.is_archived = %(archived)s")
        params["archived"] = scope.is_archived
    if scope.is_favorite is not None:
        where.append("a.is_favorite = %(favorite)s")
        params["favorite"] = scope.is_favorite
    if scope.person_id is not None:
        # People are per library: only the caller's own person filters (others match nothing).
        where.append(
            "EXISTS (SELECT 1 FROM asset_faces f JOIN people p ON p.id = f.person_id"
            " WHERE f.asset_id = a.id AND p.id = %(person)s AND p.owner_id = %(me)s)"
        )
        params["person"] = scope.person_id
    return " AND ".join(where), params


def _months_where(scope: TimelineScope) -> tuple[str, dict[str, Any]]:
    """``_where`` over timeline_months (counts per owner, month and flag), for the scopes
    it can answer: owners without an album or a person."""
    where = ["m.owner_id = ANY(%(owners)s)", "(m.owner_id = %(me)s OR NOT m.is_archived)"]
    params: dict[str, Any] = {"me": scope.me, "owners": list(scope.owners)}
    where.append("m.is_trashed AND m.owner_id = %(me)s" if scope.is_trashed else "NOT m.is_trashed")
    if scope.is_archived is not None:
        where.append("m.is_archived = %(archived)s")
        params["archived"] = scope.is_archived
    if scope.is_favorite is not None:
        where.append("m.is_favorite = %(favorite)s")
        params["favorite"] = scope.is_favorite
    return " AND ".join(where), params


class TimelineRepository:
    def __init__(self, pool: Pool) -> None:
        self._pool = pool

    def buckets(self, scope: TimelineScope, unit: str) -> list[Row]:
        assert unit in ("month", "day")
        if unit == "month" and scope.album_id is None and scope.person_id is None:
            # The counters the assets' triggers keep (0011): a row per month and flag set.
            where, params = _months_where(scope)
            counted = f"SELECT m.month AS time_bucket, m.count FROM timeline_months m WHERE {where}"
            if not scope.is_trashed:
                # Stacked assets behind a shown primary are counted there, not shown: few
                # rows (the stack index), subtracted from their months.
                hidden, hidden_params = _where(scope, listed=HIDDEN_IN_STACK)
                counted += (
                    f" UNION ALL SELECT date_trunc('month', {LOCAL}), -1 FROM assets a"
                    f" WHERE a.visibility = 'timeline' AND {hidden}"
                )
                params = {**hidden_params, **params}
            with self._pool.connection() as conn:
                return conn.execute(
                    "SELECT time_bucket, sum(count)::bigint AS count"
                    f" FROM ({counted}) c GROUP BY 1 HAVING sum(count) > 0 ORDER BY 1 DESC",
                    params,
                ).fetchall()
        where, params = _where(scope)
        sql = (
            f"SELECT date_trunc('{unit}', {LOCAL}) AS time_bucket, count(*) AS count"
            f" FROM assets a WHERE {where} GROUP BY 1 ORDER BY 1 DESC"
        )
        with self._pool.connection() as conn:
            return conn.execute(sql, params).fetchall()

    def bucket(
        self,
        scope: TimelineScope,
        start: datetime,
        end: datetime,
        limit: int,
        after: tuple[datetime, UUID] | None = None,
    ) -> list[Row]:
        """One page of a bucket, newest first; ``after`` (a row's local time and id) starts
        it after that row, through the (owner, local time, id) index."""
        where, params = _where(scope)
        params.update(start=start, end=end, limit=limit)
        if after is not None:
            # "<=" first: a bound the index scan starts from, not a filter over the month.
            where += (
                f" AND {LOCAL} <= %(after_t)s AND ({LOCAL} < %(after_t)s OR a.id > %(after_id)s)"
            )
            params.update(after_t=after[0], after_id=after[1])
        sql = (
            f"SELECT a.id, a.owner_id, a.type, a.thumbhash, a.width, a.height,"
            f" a.duration_seconds, a.is_favorite, a.is_archived,"
            f" a.trashed_at IS NOT NULL AS is_trashed, {LOCAL} AS local_date_time,"
            " a.live_photo_video_id, a.stack_id, (SELECT count(*) FROM assets m"
            "  WHERE m.stack_id = a.stack_id AND m.trashed_at IS NULL) AS stack_count"
            f" FROM assets a WHERE {where} AND {LOCAL} >= %(start)s AND {LOCAL} < %(end)s"
            f" ORDER BY {LOCAL} DESC, a.id LIMIT %(limit)s"
        )
        with self._pool.connection() as conn:
            return conn.execute(sql, params).fetchall()
