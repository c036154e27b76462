"""After ingest has described an asset: join it with the other half of its shot.

- An iPhone Live Photo's still and MOV share a content identifier: whichever is ingested
  second links both (the still's ``live_photo_video_id``; the MOV hidden).
- A Google/Samsung motion photo carries its video inside: it is cut out into an asset of its
  own (hidden, linked to the still) under ``users/…/original.mp4``, so S3 tells ingest about
  it and it goes through the same pipeline as any video (transcode included).
- A RAW and the JPEG of the same shot (same base name, same capture time) form a stack.
"""

from __future__ import annotations

import hashlib
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from chalicelib.observability import logger, metrics
from chalicelib.repositories.pairing import PairingRepository
from chalicelib.storage import keys
from chalicelib.workers.context import StageContext

if TYPE_CHECKING:
    from chalicelib.media.tags import Tags

# Stills that can be half of a Live Photo or a motion photo.
_STILL_MIMES = {"image/jpeg", "image/heic", "image/heif"}


class PairingContext(StageContext, Protocol):
    @property
    def pairing_repo(self) -> PairingRepository: ...


@dataclass(frozen=True)
class Pairing:
    """What the original says about its other half (read while the file is at hand)."""

    content_identifier: str | None = None
    motion_video: Path | None = None  # the embedded video, cut out into a temporary file


def read_pairing(path: Path, facts: dict[str, Any], tags: Tags | None, workdir: Path) -> Pairing:
    """``tags``: exiv2's reading of the file, as ingest's ``describe`` made it (None when exiv2
    could not read it): the file is not parsed a second time for its MakerNote and XMP."""
    from chalicelib.media import motion

    if facts["type"] == "VIDEO":
        return Pairing(content_identifier=facts.get("content_identifier"))
    if facts["mime"] not in _STILL_MIMES or tags is None:
        return Pairing()
    note = motion.maker_note_from_exif(tags.exif)
    cid = motion.apple_content_identifier(note) if note else None
    embedded = motion.find_embedded_video(path, tags.xmp)
    if embedded is None:
        return Pairing(content_identifier=cid)
    out = workdir / "motion.mp4"
    motion.extract(path, embedded, out)
    return Pairing(content_identifier=cid, motion_video=out)


def pair(asset: dict[str, Any], facts: dict[str, Any], found: Pairing, c: PairingContext) -> None:
    owner, asset_id = asset["owner_id"], asset["id"]
    repo = c.pairing_repo
    if found.content_identifier:
        partner = repo.link_live_photo(
            owner, asset_id, found.content_identifier, is_video=facts["type"] == "VIDEO"
        )
        if partner is not None:
            metrics.add_metric(name="LivePhotoLinked", unit="Count", value=1)
            logger.info("live photo linked", extra={"partner": str(partner)})
    if found.motion_video is not None:
        _add_motion_part(asset, found.motion_video, c)
    if facts["type"] == "IMAGE":
        stem = Path(asset["original_file_name"]).stem
        stack = repo.stack_raw_pair(
            owner,
            asset_id,
            stem,
            # Only a time the file itself holds says "same shot"; a file time does not.
            None if facts.get("date_source") == "file time" else facts.get("local_date_time"),
            is_raw=facts["mime"].startswith("image/x-"),
        )
        if stack is not None:
            logger.info("raw pair stacked", extra={"stack": str(stack)})


def _add_motion_part(still: dict[str, Any], video: Path, c: PairingContext) -> None:
    data = video.read_bytes()
    video_id = uuid.uuid4()
    storage_key = keys.original_key(still["owner_id"], video_id, "mp4")
    made = c.pairing_repo.add_motion_part(
        still,
        {
            "id": video_id,
            "original_file_name": f"{Path(still['original_file_name']).stem}.mp4",
            "checksum": hashlib.sha256(data).digest(),
            "file_size": len(data),
            "storage_key": storage_key,
            "file_created_at": still["file_created_at"],
            "file_modified_at": still["file_modified_at"],
        },
    )
    if made.asset_id != video_id and made.status != "pending":
        return  # a repeated event: the motion part is there and has been ingested
    # Written under users/: S3 announces it to ingest like any upload.
    c.store.put(made.storage_key, data, "video/mp4")
    metrics.add_metric(name="MotionPhotoExtracted", unit="Count", value=1)
    logger.info("motion photo video extracted", extra={"video": str(made.asset_id)})
