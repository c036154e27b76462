"""The bucket's key layout: flat per asset, deterministic, nothing a client sends becomes a path.

users/{user_id}/{asset_id}/original.{ext}
users/{user_id}/{asset_id}/sidecar.xmp  (the photo's XMP sidecar, docs/media.md)
derived/{user_id}/{asset_id}/thumbnail.webp | preview.jpeg | encoded.mp4 | faces/{id}.jpeg
downloads/...  (zip archives, services/downloads.py)

Only originals and their sidecars live under ``users/``: S3 tells ingest about new objects
there and nowhere else, so writing a thumbnail raises no event (as Immich keeps thumbs/
apart from library/).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from uuid import UUID

_ORIGINAL = re.compile(
    r"^users/(?P<user>[0-9a-f-]{36})/(?P<asset>[0-9a-f-]{36})/original\.(?P<ext>[a-z0-9]{1,10})$"
)
_SIDECAR = re.compile(r"^users/(?P<user>[0-9a-f-]{36})/(?P<asset>[0-9a-f-]{36})/sidecar\.xmp$")
_EXT = re.compile(r"^[a-z0-9]{1,10}$")


@dataclass(frozen=True)
class OriginalKey:
    user_id: UUID
    asset_id: UUID
    ext: str


ORIGINALS_PREFIX = "users/"
DERIVED_PREFIX = "derived/"


def asset_prefix(user_id: UUID, asset_id: UUID) -> str:
    """Where the asset's original is."""
    return f"{ORIGINALS_PREFIX}{user_id}/{asset_id}/"


def derived_prefix(user_id: UUID, asset_id: UUID) -> str:
    """Where what the stages make of it is."""
    return f"{DERIVED_PREFIX}{user_id}/{asset_id}/"


def asset_prefixes(user_id: UUID, asset_id: UUID) -> tuple[str, str]:
    """Every object of the asset lives under one of these."""
    return asset_prefix(user_id, asset_id), derived_prefix(user_id, asset_id)


def original_key(user_id: UUID, asset_id: UUID, ext: str) -> str:
    if not _EXT.match(ext):
        raise ValueError(f"unsafe extension {ext!r}")
    return f"{asset_prefix(user_id, asset_id)}original.{ext}"


def sidecar_key(user_id: UUID, asset_id: UUID) -> str:
    return f"{asset_prefix(user_id, asset_id)}sidecar.xmp"


def parse_sidecar(key: str) -> tuple[UUID, UUID] | None:
    """(user, asset) of a sidecar key."""
    match = _SIDECAR.match(key)
    if not match:
        return None
    try:
        return UUID(match["user"]), UUID(match["asset"])
    except ValueError:
        return None


def derivative_key(user_id: UUID, asset_id: UUID, name: str) -> str:
    return f"{derived_prefix(user_id, asset_id)}{name}"


def parse_original(key: str) -> OriginalKey | None:
    match = _ORIGINAL.match(key)
    if not match:
        return None
    try:
        return OriginalKey(UUID(match["user"]), UUID(match["asset"]), match["ext"])
    except ValueError:
        return None


def safe_extension(filename: str) -> str | None:
    """The lower-cased extension of a plain file name, if it is a short alphanumeric one."""
    _, dot, ext = filename.rpartition(".")
    ext = ext.lower()
    return ext if dot and _EXT.match(ext) else None
