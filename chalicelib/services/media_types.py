"""Content types a client may declare for an upload, and their asset type and extension."""

from __future__ import annotations

ACCEPTED: dict[str, tuple[str, str]] = {
    "image/jpeg": ("IMAGE", "jpg"),
    "image/png": ("IMAGE", "png"),
    "image/gif": ("IMAGE", "gif"),
    "image/webp": ("IMAGE", "webp"),
    "image/heic": ("IMAGE", "heic"),
    "image/heif": ("IMAGE", "heif"),
    "image/avif": ("IMAGE", "avif"),
    "image/tiff": ("IMAGE", "tiff"),
    "image/bmp": ("IMAGE", "bmp"),
    "image/x-adobe-dng": ("IMAGE", "dng"),
    "image/dng": ("IMAGE", "dng"),
    "image/x-canon-cr2": ("IMAGE", "cr2"),
    "image/x-canon-cr3": ("IMAGE", "cr3"),
    "image/x-nikon-nef": ("IMAGE", "nef"),
    "image/x-sony-arw": ("IMAGE", "arw"),
    "image/x-fuji-raf": ("IMAGE", "raf"),
    "image/x-panasonic-rw2": ("IMAGE", "rw2"),
    "image/x-olympus-orf": ("IMAGE", "orf"),
    "video/mp4": ("VIDEO", "mp4"),
    "video/quicktime": ("VIDEO", "mov"),
    "video/x-m4v": ("VIDEO", "m4v"),
    "video/webm": ("VIDEO", "webm"),
    "video/x-matroska": ("VIDEO", "mkv"),
    "video/x-msvideo": ("VIDEO", "avi"),
    "video/3gpp": ("VIDEO", "3gp"),
    "video/mp2t": ("VIDEO", "mts"),
}


def classify(content_type: str) -> tuple[str, str] | None:
    """(asset type, default extension) for an accepted content type, else None."""
    return ACCEPTED.get(content_type.split(";")[0].strip().lower())
