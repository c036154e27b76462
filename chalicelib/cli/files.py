"""Which files to upload: paths expanded (optionally recursively), with a content type from
the extension. The server sniffs the real type from the bytes; the extension only decides
what is worth offering and the Content-Type the presigned PUT is signed with."""

from __future__ import annotations

import os
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

# What the server accepts (chalicelib.services.media_types.ACCEPTED, a test keeps them in
# step): anything else is reported as skipped instead of failing at the upload request.
CONTENT_TYPES: dict[str, str] = {
    # images
    "jpg": "image/jpeg",
    "jpeg": "image/jpeg",
    "jpe": "image/jpeg",
    "png": "image/png",
    "gif": "image/gif",
    "webp": "image/webp",
    "tif": "image/tiff",
    "tiff": "image/tiff",
    "bmp": "image/bmp",
    "avif": "image/avif",
    "heic": "image/heic",
    "heif": "image/heif",
    "dng": "image/x-adobe-dng",
    "cr2": "image/x-canon-cr2",
    "cr3": "image/x-canon-cr3",
    "nef": "image/x-nikon-nef",
    "arw": "image/x-sony-arw",
    "raf": "image/x-fuji-raf",
    "orf": "image/x-olympus-orf",
    "rw2": "image/x-panasonic-rw2",
    # videos
    "mp4": "video/mp4",
    "mov": "video/quicktime",
    "qt": "video/quicktime",
    "m4v": "video/x-m4v",
    "3gp": "video/3gpp",
    "webm": "video/webm",
    "mkv": "video/x-matroska",
    "avi": "video/x-msvideo",
    "mts": "video/mp2t",
    "m2ts": "video/mp2t",
}


@dataclass(frozen=True)
class Candidate:
    path: Path
    size: int
    mtime_ns: int
    content_type: str
    sidecar: Path | None = None  # IMG_1.jpg.xmp or IMG_1.xmp next to it, sent with it


@dataclass(frozen=True)
class Skipped:
    path: Path
    reason: str


def is_sidecar(path: Path) -> bool:
    return path.suffix.lower() == ".xmp"


def sidecar_for(path: Path) -> Path | None:
    """The photo's XMP sidecar as editors name it: ``IMG_1.jpg.xmp`` (darktable, digiKam)
    first, then ``IMG_1.xmp`` (Lightroom, Capture One); either suffix case."""
    for name in (path.name, path.stem):
        for suffix in (".xmp", ".XMP"):
            candidate = path.with_name(name + suffix)
            if candidate.is_file():
                return candidate
    return None


def content_type_for(path: Path) -> str | None:
    return CONTENT_TYPES.get(path.suffix.lower().lstrip("."))


def _walk(root: Path, recursive: bool) -> Iterable[Path]:
    if not recursive:
        yield from sorted(p for p in root.iterdir() if p.is_file())
        return
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
        yield from (Path(dirpath) / f for f in sorted(filenames))


def collect(paths: Iterable[Path], recursive: bool) -> tuple[list[Candidate], list[Skipped]]:
    """Files to offer and files skipped (with why), each path once, in a stable order."""
    found: list[Candidate] = []
    skipped: list[Skipped] = []
    seen: set[Path] = set()
    for given in paths:
        if given.is_dir():
            files: Iterable[Path] = _walk(given, recursive)
        elif given.exists():
            files = [given]
        else:
            skipped.append(Skipped(given, "no such file or directory"))
            continue
        for path in files:
            resolved = path.resolve()
            if resolved in seen:
                continue
            seen.add(resolved)
            if is_sidecar(path):
                continue  # not an asset: sent with its photo, below
            item = _candidate(path)
            if isinstance(item, Skipped):
                skipped.append(item)
            else:
                found.append(item)
    return found, skipped + _lone_sidecars(paths, found, recursive)


def _lone_sidecars(paths: Iterable[Path], found: list[Candidate], recursive: bool) -> list[Skipped]:
    """Sidecars whose photo is not being uploaded: said, so nothing is silently left out."""
    used = {c.sidecar.resolve() for c in found if c.sidecar is not None}
    lone: list[Skipped] = []
    for given in paths:
        files = _walk(given, recursive) if given.is_dir() else [given] if given.exists() else []
        for path in files:
            if is_sidecar(path) and path.resolve() not in used:
                lone.append(Skipped(path, "XMP sidecar without its photo"))
    return lone


def _candidate(path: Path) -> Candidate | Skipped:
    if path.name.startswith("."):
        return Skipped(path, "hidden file")
    content_type = content_type_for(path)
    if content_type is None:
        return Skipped(path, f"unsupported file type '{path.suffix or path.name}'")
    st = path.stat()
    return Candidate(path, st.st_size, st.st_mtime_ns, content_type, sidecar_for(path))
