"""Server statistics (per-user usage and totals), one user's usage against their quota, and
what this server can do."""

from __future__ import annotations

from importlib.util import find_spec

from chalicelib import pipeline
from chalicelib.repositories.statistics import StatsRepository
from chalicelib.schemas import statistics as s
from chalicelib.services.auth import AuthUser


class StatisticsService:
    def __init__(self, stats: StatsRepository) -> None:
        self._stats = stats

    def statistics(self) -> s.ServerStatsResponse:
        users = [s.UsageByUser.model_validate(r) for r in self._stats.usage_by_user()]
        return s.ServerStatsResponse(
            photos=sum(u.photos for u in users),
            videos=sum(u.videos for u in users),
            usage=sum(u.usage for u in users),
            usage_photos=sum(u.usage_photos for u in users),
            usage_videos=sum(u.usage_videos for u in users),
            usage_by_user=users,
        )

    def usage(self, auth: AuthUser) -> s.UserUsageResponse:
        row = self._stats.usage_of(auth.id)
        quota = auth.quota_size_in_bytes
        return s.UserUsageResponse(
            photos=row["photos"],
            videos=row["videos"],
            usage=row["usage"],
            quota_size_in_bytes=quota,
            quota_usage_in_bytes=row["usage"],
            quota_remaining_in_bytes=None if quota is None else max(0, quota - row["usage"]),
        )

    @staticmethod
    def features() -> s.ServerFeaturesResponse:
        """From what is deployed: the pipeline's stages, and whether the geocoder's place
        list ships with this function (find_spec only looks; nothing heavy is imported)."""
        stages = {st.name for st in pipeline.STAGES}
        return s.ServerFeaturesResponse(
            smart_search="smart_search" in stages,
            facial_recognition="faces" in stages,
            duplicate_detection="duplicates" in stages,
            map=True,
            reverse_geocoding=find_spec("reverse_geocoder") is not None,
            trash=True,
            sharing=True,
            tags=True,
            memories=True,
            download_archive="archive" in stages,
            password_login=True,
            oauth=False,
            search=True,
        )
