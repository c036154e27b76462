"""Why a media file could not be processed, as errors that carry a human reason.

MediaError                      base: ``reason`` is safe to show a user (it becomes the
│                               asset's ``failureReason``), ``code`` is stable for metrics
├── UnsupportedMedia            not an image or video we handle (a text file named .jpg)
├── EmptyMedia                  zero bytes
├── CorruptMedia                the bytes claim a format but do not decode (truncated, garbage)
├── MediaTooLarge               over a pixel, byte or duration limit (decompression bombs)
└── MediaToolFailed             ffmpeg failed or ran out of time on a file that looked valid

These are deliberately not HTTP errors: they happen in workers, where they mark a stage
``failed`` instead of failing a batch. The API maps them (if ever raised there) as 422.
"""

from __future__ import annotations


class MediaError(Exception):
    code = "media_error"

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class UnsupportedMedia(MediaError):
    code = "unsupported"


class EmptyMedia(MediaError):
    code = "empty"


class CorruptMedia(MediaError):
    code = "corrupt"


class MediaTooLarge(MediaError):
    code = "too_large"


class MediaToolFailed(MediaError):
    code = "tool_failed"
