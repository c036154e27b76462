"""Server statistics, features and per-user usage."""

from __future__ import annotations

from uuid import UUID

from chalicelib.schemas.base import ResponseDto


class UsageByUser(ResponseDto):
    user_id: UUID
    user_name: str
    photos: int
    videos: int
    usage: int
    usage_photos: int
    usage_videos: int
    quota_size_in_bytes: int | None


class ServerStatsResponse(ResponseDto):
    photos: int
    videos: int
    usage: int
    usage_photos: int
    usage_videos: int
    usage_by_user: list[UsageByUser]


class ServerFeaturesResponse(ResponseDto):
    smart_search: bool
    facial_recognition: bool
    duplicate_detection: bool
    map: bool
    reverse_geocoding: bool
    trash: bool
    sharing: bool
    tags: bool
    memories: bool
    download_archive: bool
    password_login: bool
    oauth: bool
    search: bool


class UserUsageResponse(ResponseDto):
    photos: int
    videos: int
    usage: int
    quota_size_in_bytes: int | None
    quota_usage_in_bytes: int
    quota_remaining_in_bytes: int | None
