"""DTOs: thumbnails, playback and stage re-queues."""

from __future__ import annotations

from datetime import datetime
from typing import Literal
from uuid import UUID

from pydantic import Field

from chalicelib.schemas.base import Dto, ResponseDto


class ThumbnailQuery(Dto):
    # Immich's names: "thumbnail" (small WebP for grids), "preview" (large JPEG for viewing).
    size: Literal["thumbnail", "preview"] = "thumbnail"


class RequeueRequest(Dto):
    # "missing": assets whose stage is not done; "all": every asset, re-doing finished work.
    mode: Literal["missing", "all"]


# The timeline asks for one month's visible thumbnails at a time; a month is chunked
# client-side, so 500 bounds the work of one call without costing round trips.
MAX_SIGNED_IDS = 500


Size = Literal["thumbnail", "preview"]


def _thumbnail_only() -> list[Size]:
    return ["thumbnail"]


class MediaUrlsRequest(Dto):
    asset_ids: list[UUID] = Field(min_length=1, max_length=MAX_SIGNED_IDS)
    sizes: list[Size] = Field(default_factory=_thumbnail_only, min_length=1, max_length=2)


class MediaUrls(ResponseDto):
    asset_id: UUID
    # None: that size has not been generated yet.
    thumbnail: str | None = None
    preview: str | None = None


class MediaUrlsResponse(ResponseDto):
    # Only the assets the caller may view, in request order; others are left out.
    items: list[MediaUrls]
    # Every URL in ``items`` works until then (at least an hour after the call).
    expires_at: datetime


# What a shared-link visitor's page needs signed: the grid's thumbnails, the viewer's
# preview or video, and the download (only when the link allows downloads).
LinkSize = Literal["thumbnail", "preview", "playback", "original"]


def _link_thumbnail_only() -> list[LinkSize]:
    return ["thumbnail"]


class LinkMediaUrlsRequest(Dto):
    asset_ids: list[UUID] = Field(min_length=1, max_length=MAX_SIGNED_IDS)
    sizes: list[LinkSize] = Field(default_factory=_link_thumbnail_only, min_length=1, max_length=4)


class LinkMediaUrls(MediaUrls):
    # None: not a video or not web-playable yet (playback), not uploaded yet (original).
    playback: str | None = None
    original: str | None = None


class LinkMediaUrlsResponse(ResponseDto):
    # Only the link's own assets (or its album's), in request order; others are left out.
    items: list[LinkMediaUrls]
    # Every URL in ``items`` works until then (at least an hour after the call).
    expires_at: datetime
