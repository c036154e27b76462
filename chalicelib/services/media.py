"""Serving an asset's media (thumbnails, previews, playback) as presigned GETs (re-queuing a
stage lives in services/requeue.py).

Access goes through one seam: ``can_view(auth, asset_id) -> asset row | None``. It defaults to
owner-only; the access module (albums, partners, shared links) is passed in by the container.
A ``None`` is a 404 whether the asset is missing or someone else's: ids do not leak.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID

from chalicelib import errors
from chalicelib.repositories.assets import AssetRepository
from chalicelib.repositories.media import MediaRepository
from chalicelib.schemas import media as s
from chalicelib.services.access import Principal, Visitor
from chalicelib.services.auth import AuthUser
from chalicelib.storage import windowed
from chalicelib.storage.s3 import ObjectStore, attachment

CanView = Callable[[Principal, UUID], dict[str, Any] | None]
# The batch form of CanView for signing many URLs at once: the ids the caller may view.
Visible = Callable[[Principal, list[UUID]], set[UUID]]

# A presigned URL lives an hour; the redirect to it is cached a little less, so a browser
# never follows a cached redirect to an expired URL. The object itself never changes under
# a given signed URL (a re-run gets a new signature), so the browser may keep it as long.
URL_TTL_SECONDS = 3600
REDIRECT_CACHE = f"private, max-age={URL_TTL_SECONDS - 300}"
OBJECT_CACHE = f"private, max-age={URL_TTL_SECONDS}, immutable"
# Signed in bulk for <img> tags: signed at the start of the current window and valid for two,
# so repeated calls within a window give identical URLs (the browser cache hits) and each
# has at least a window of life left when handed out (storage/windowed.py).
SIGN_WINDOW_SECONDS = URL_TTL_SECONDS

# What browsers play without a transcode, from what ingest stored (no probe in the API).
# Mirrors chalicelib.media.video's WEB_* rules (a test keeps them equal) without importing
# it: that module pulls in Pillow and numpy, which the API Lambda must not load.
WEB_VIDEO_CODECS = frozenset({"h264"})
WEB_AUDIO_CODECS = frozenset({"aac", "mp3"})
# ffmpeg's "mov" demuxer family, by the MIME type ingest sniffed.
WEB_CONTAINER_MIMES = frozenset({"video/mp4", "video/quicktime", "video/x-m4v", "video/3gpp"})


def owner_only(assets: AssetRepository) -> CanView:
    def can_view(who: Principal, asset_id: UUID) -> dict[str, Any] | None:
        return assets.get(who.id, asset_id) if isinstance(who, AuthUser) else None

    return can_view


def playable_from_metadata(row: dict[str, Any]) -> bool:
    """Whether the original plays in browsers, judged from the stored codecs and container.
    The pixel format is not stored: the transcode stage's own verdict is preferred."""
    exif = row.get("exif") or {}
    audio = exif.get("audio_codec")
    return (
        row.get("original_mime_type") in WEB_CONTAINER_MIMES
        and exif.get("video_codec") in WEB_VIDEO_CODECS
        and (audio is None or audio in WEB_AUDIO_CODECS)
    )


def _plays(row: dict[str, Any]) -> bool:
    """``MediaService._original_plays`` for a row of ``MediaRepository.originals_of``."""
    if row["status"] == "pending":
        return False
    return row["transcode_status"] == "done" or playable_from_metadata(row)


class MediaService:
    def __init__(
        self,
        assets: AssetRepository,
        store: ObjectStore,
        access: CanView | None = None,
        *,
        media: MediaRepository,
        visible: Visible | None = None,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self._can_view = access or owner_only(assets)
        self._visible_ids = visible or self._one_by_one
        self._clock = clock
        self._store = store
        self._media = media

    def thumbnail_url(self, auth: Principal, asset_id: UUID, size: str) -> str:
        self._visible(auth, asset_id)
        row = self._media.files(asset_id).get(size)
        if row is None:
            raise errors.NotFound(f"The {size} has not been generated yet")
        return self._presign(row)

    def playback_url(self, auth: Principal, asset_id: UUID) -> str:
        asset = self._visible(auth, asset_id)
        if asset["type"] != "VIDEO":
            raise errors.NotFound("Only videos have a playback stream")
        encoded = self._media.files(asset_id).get("encoded")
        if encoded is not None:
            return self._presign(encoded)
        if not self._original_plays(asset):
            raise errors.NotFound("The video is not web-playable and has no transcode yet")
        return self._store.for_bucket(asset.get("source_bucket")).presign_get(
            asset["storage_key"],
            expires_in=URL_TTL_SECONDS,
            content_type=asset["original_mime_type"],
            cache_control=OBJECT_CACHE,
        )

    def signed_urls(
        self, auth: Principal, asset_ids: list[UUID], sizes: Sequence[str]
    ) -> s.MediaUrlsResponse:
        """Thumbnail/preview URLs for the ``asset_ids`` the caller may view, in one call;
        the others are left out, whether missing or not theirs (ids do not leak)."""
        wanted = list(dict.fromkeys(asset_ids))
        visible = self._visible_ids(auth, wanted)
        shown = [a for a in wanted if a in visible]
        files = self._media.files_of(shown, sorted(set(sizes))) if shown else {}
        at = windowed.window_start(self._clock(), SIGN_WINDOW_SECONDS)
        expires_in = 2 * SIGN_WINDOW_SECONDS
        items = []
        for asset_id in shown:
            urls = {
                size: self._presign_at(file, at, expires_in)
                for size, file in files.get(asset_id, {}).items()
            }
            items.append(s.MediaUrls(asset_id=asset_id, **urls))
        return s.MediaUrlsResponse(items=items, expires_at=at + timedelta(seconds=expires_in))

    def link_urls(
        self, visitor: Visitor, asset_ids: list[UUID], sizes: Sequence[str]
    ) -> s.LinkMediaUrlsResponse:
        """A shared-link visitor's signed URLs, as ``signed_urls`` signs them (one access
        query, signed at the window's start), plus the video to play and the original to
        download, which only a link with downloads on may ask for (403). Assets outside the
        link are left out, whatever they are (ids do not leak)."""
        if "original" in sizes and not visitor.allow_download:
            raise errors.Forbidden("Downloads are off for this link")
        wanted = list(dict.fromkeys(asset_ids))
        visible = self._visible_ids(visitor, wanted)
        shown = [a for a in wanted if a in visible]
        kinds = [k for k in ("thumbnail", "preview") if k in sizes]
        kinds += ["encoded"] if "playback" in sizes else []
        files = self._media.files_of(shown, kinds) if shown and kinds else {}
        whole = shown and ("playback" in sizes or "original" in sizes)
        originals = self._media.originals_of(shown) if whole else {}
        at = windowed.window_start(self._clock(), SIGN_WINDOW_SECONDS)
        expires_in = 2 * SIGN_WINDOW_SECONDS
        items = []
        for asset_id in shown:
            have, row = files.get(asset_id, {}), originals.get(asset_id)
            urls = {k: self._presign_at(have[k], at, expires_in) for k in kinds if k in have}
            if "encoded" in urls:
                urls["playback"] = urls.pop("encoded")
            elif "playback" in sizes and row and row["type"] == "VIDEO" and _plays(row):
                urls["playback"] = self._original_at(row, at, expires_in)
            if "original" in sizes and row and row["status"] != "pending":
                urls["original"] = self._original_at(
                    row, at, expires_in, download=row["original_file_name"]
                )
            items.append(s.LinkMediaUrls(asset_id=asset_id, **urls))
        return s.LinkMediaUrlsResponse(items=items, expires_at=at + timedelta(seconds=expires_in))

    def _presign_at(self, file: dict[str, Any], at: datetime, expires_in: int) -> str:
        return self._store.presign_get_at(
            file["storage_key"],
            at=at,
            expires_in=expires_in,
            params={"ResponseContentType": file["mime_type"], "ResponseCacheControl": OBJECT_CACHE},
        )

    def _original_at(
        self, row: dict[str, Any], at: datetime, expires_in: int, download: str | None = None
    ) -> str:
        store = self._store.for_bucket(row.get("source_bucket"))
        params = {"ResponseContentType": row["original_mime_type"]}
        if download is not None:
            params["ResponseContentDisposition"] = attachment(download)
        else:
            params["ResponseCacheControl"] = OBJECT_CACHE
        return store.presign_get_at(row["storage_key"], at=at, expires_in=expires_in, params=params)

    def _one_by_one(self, auth: Any, asset_ids: list[UUID]) -> set[UUID]:
        return {a for a in asset_ids if self._can_view(auth, a) is not None}

    def _original_plays(self, asset: dict[str, Any]) -> bool:
        if asset["status"] == "pending":
            return False
        # "done" without an encoded file: the stage probed the original (pixel format too)
        # and found it web-playable under a transcoding policy.
        if self._media.stage_status(asset["id"], "transcode") == "done":
            return True
        return playable_from_metadata(asset)

    def _visible(self, auth: Principal, asset_id: UUID) -> dict[str, Any]:
        asset = self._can_view(auth, asset_id)
        if asset is None:
            raise errors.NotFound("Asset not found")
        return asset

    def _presign(self, file: dict[str, Any]) -> str:
        return self._store.presign_get(
            file["storage_key"],
            content_type=file["mime_type"],
            expires_in=URL_TTL_SECONDS,
            cache_control=OBJECT_CACHE,
        )
