"""Thumbnail stage: preview.jpeg (1440 px) + thumbnail.webp (250 px) + thumbhash, from the
original (images) or from a poster frame that is not black (videos). Sizes, quality and
format are the server settings' (``image.preview``, ``image.thumbnail``), read per asset."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from chalicelib.services.system_config import SystemConfig
from chalicelib.storage import keys
from chalicelib.workers import stage
from chalicelib.workers.context import StageContext
from chalicelib.workers.originals import local_original

STAGE = "thumbnail"


def handle(body: str, container: StageContext) -> None:
    stage.run(body, container, STAGE, work)


def work(asset: dict[str, Any], c: StageContext) -> None:
    from chalicelib.media.metadata import read_video_metadata
    from chalicelib.media.thumbnails import generate_thumbnails, thumbnails_from_image
    from chalicelib.media.video import extract_poster

    preview, thumbnail = rendition_specs(c.system_config.get())
    with local_original(c, asset) as path:
        if asset["type"] == "VIDEO":
            poster = extract_poster(
                path, read_video_metadata(path), max_edge=max(preview.size, thumbnail.size)
            )
            thumbs = thumbnails_from_image(poster.image, preview=preview, thumbnail=thumbnail)
        else:
            thumbs = generate_thumbnails(
                path, preview=preview, thumbnail=thumbnail, max_pixels=c.settings.max_pixels
            )
    owner: UUID = asset["owner_id"]
    files = []
    for kind, rendition in (("preview", thumbs.preview), ("thumbnail", thumbs.thumbnail)):
        key = keys.derivative_key(owner, asset["id"], f"{kind}.{rendition.format}")
        c.store.put(key, rendition.data, rendition.mime)
        files.append(
            {
                "kind": kind,
                "storage_key": key,
                "mime_type": rendition.mime,
                "width": rendition.width,
                "height": rendition.height,
                "byte_size": len(rendition.data),
            }
        )
    for stale in c.pipeline_repo.save_files(asset["id"], files, thumbs.thumbhash):
        c.store.delete(stale)  # the format changed: the old rendition has another name


def rendition_specs(config: SystemConfig) -> tuple[Any, Any]:
    """The preview and thumbnail specs from the server settings (the fits are fixed)."""
    from chalicelib.media.thumbnails import PREVIEW, THUMBNAIL, RenditionSpec

    p, t = config.image.preview, config.image.thumbnail
    return (
        RenditionSpec(p.size, p.quality, p.format, PREVIEW.fit),
        RenditionSpec(t.size, t.quality, t.format, THUMBNAIL.fit),
    )
