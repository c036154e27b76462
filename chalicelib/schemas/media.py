"""DTOs: thumbnails, playback and stage re-queues."""

from __future__ import annotations

from typing import Literal

from chalicelib.schemas.base import Dto, ResponseDto


class ThumbnailQuery(Dto):
    # Immich's names: "thumbnail" (small WebP for grids), "preview" (large JPEG for viewing).
    size: Literal["thumbnail", "preview"] = "thumbnail"


class RequeueRequest(Dto):
    # "missing": assets whose stage is not done; "all": every asset, re-doing finished work.
    mode: Literal["missing", "all"]


class RequeueResponse(ResponseDto):
    stage: str
    mode: Literal["missing", "all"]
    queued: int
