"""The timeline: counts per month or day, then the assets of one bucket, newest first, with
what a client needs to lay out a grid (thumbhash, ratio, duration) without more calls.

Only ready assets: pending and failed ones are listed by /api/assets. Bucket counts come
from the same WHERE clause as the bucket's assets, so they always agree.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

from chalicelib import errors
from chalicelib.repositories.partners import PartnerRepository
from chalicelib.repositories.timeline import TimelineRepository, TimelineScope
from chalicelib.schemas import timeline as s
from chalicelib.schemas.base import validate_many
from chalicelib.services.access import AccessService, Perm
from chalicelib.services.assets import format_duration
from chalicelib.services.auth import AuthUser


def bucket_label(value: datetime | date) -> str:
    return f"{value:%Y-%m-%d}T00:00:00.000Z"  # Immich's timeBucket format


def bucket_range(day: date, size: str) -> tuple[datetime, datetime]:
    if size == "DAY":
        start = datetime(day.year, day.month, day.day)
        return start, start + timedelta(days=1)
    start = datetime(day.year, day.month, 1)
    end = datetime(day.year + day.month // 12, day.month % 12 + 1, 1)
    return start, end


def ratio(width: int | None, height: int | None) -> float:
    return width / height if width and height else 1.0


def timeline_asset(r: dict[str, Any]) -> dict[str, Any]:
    """A bucket row's TimelineAsset fields (validated a page at a time: validate_many)."""
    return {
        "id": r["id"],
        "owner_id": r["owner_id"],
        "type": r["type"],
        "thumbhash": r["thumbhash"],
        "ratio": ratio(r["width"], r["height"]),
        "duration": format_duration(r["duration_seconds"]),
        "is_favorite": r["is_favorite"],
        "is_archived": r["is_archived"],
        "is_trashed": r["is_trashed"],
        "local_date_time": r["local_date_time"],
        "live_photo_video_id": r["live_photo_video_id"],
        "stack": {"id": r["stack_id"], "asset_count": r["stack_count"]} if r["stack_id"] else None,
    }


class TimelineService:
    def __init__(
        self, timeline: TimelineRepository, partners: PartnerRepository, access: AccessService
    ) -> None:
        self._timeline = timeline
        self._partners = partners
        self._access = access

    def buckets(self, auth: AuthUser, query: s.TimeBucketsQuery) -> list[s.TimeBucketResponse]:
        rows = self._timeline.buckets(
            self._scope(auth, query), "day" if query.size == "DAY" else "month"
        )
        return validate_many(
            s.TimeBucketResponse,
            ({"time_bucket": bucket_label(r["time_bucket"]), "count": r["count"]} for r in rows),
        )

    def bucket(self, auth: AuthUser, query: s.TimeBucketQuery) -> list[s.TimelineAsset]:
        start, end = bucket_range(query.time_bucket, query.size)
        after = (
            (query.after_local_date_time.astimezone(UTC).replace(tzinfo=None), query.after_id)
            if query.after_local_date_time is not None and query.after_id is not None
            else None
        )
        rows = self._timeline.bucket(self._scope(auth, query), start, end, query.limit, after)
        return validate_many(s.TimelineAsset, map(timeline_asset, rows))

    def _scope(self, auth: AuthUser, query: s.TimeBucketsQuery) -> TimelineScope:
        if query.with_partners and (query.is_archived or query.is_trashed or query.is_favorite):
            # As Immich: partners' archives, trash and favourites are their own business.
            raise errors.BadRequest(
                "withPartners is only supported for non-archived, non-trashed, "
                "non-favorited assets",
                details=[{"field": "withPartners", "message": "conflicts with other filters"}],
            )
        common: dict[str, Any] = {
            "me": auth.id,
            "is_archived": query.is_archived,
            "is_favorite": query.is_favorite,
            "is_trashed": bool(query.is_trashed),
            "person_id": query.person_id,
        }
        if query.album_id is not None:
            self._access.require(auth, Perm.ALBUM_READ, query.album_id)
            return TimelineScope(album_id=query.album_id, **common)
        owners = [auth.id]
        if query.with_partners:
            owners += self._partners.timeline_owners(auth.id)
        return TimelineScope(owners=tuple(owners), **common)
