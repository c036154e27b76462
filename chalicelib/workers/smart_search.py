"""Smart-search stage: the preview's image embedding, stored with the model id
(``smart_search_<dimension>``, HNSW cosine index).

It runs after the faces stage: the offline encoder cannot see people itself and takes the
face count as a hint (CLIP ignores it). Declared inline: the faces Lambda runs it on the
previews it decoded (``handle_decoded``); this stage's own Lambda takes re-runs, reembeds
and whatever that did not finish. The same container image answers the API's text
embedding calls (``embed_text_event``, docs/ml.md).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any
from uuid import UUID

from chalicelib import messaging
from chalicelib.observability import logger
from chalicelib.workers import previews, stage
from chalicelib.workers.context import SmartSearchContext

if TYPE_CHECKING:
    from PIL.Image import Image

STAGE = "smart_search"
MAX_QUERY_CHARS = 1000


def handle(body: str, container: SmartSearchContext) -> None:
    """One record (tests and the admin CLI); the Lambda takes the whole batch."""
    if (reason := off_reason(container)) is not None:
        stage.skip(body, container, STAGE, reason)
    else:
        stage.run(body, container, STAGE, work)


def off_reason(c: SmartSearchContext) -> str | None:
    """Why the stage does nothing now (server settings), or None: its assets are then
    recorded ``skipped``, and turning it on offers to re-run the assets missing it."""
    ml = c.system_config.get().machine_learning
    if not ml.enabled:
        return "machine learning is turned off"
    if not ml.clip.enabled:
        return "smart search is turned off"
    return None


def handle_batch(bodies: list[str], container: SmartSearchContext) -> list[Exception | None]:
    """Every record of an SQS batch, the previews embedded in one model call: the model
    runs batches far cheaper per image than one image at a time."""
    if (reason := off_reason(container)) is not None:
        return stage.skip_each(bodies, container, STAGE, reason)
    with previews.prefetched(container, bodies):
        return stage.run_batch(bodies, container, STAGE, load_preview_of, embed_all)


def handle_decoded(
    c: SmartSearchContext, images: dict[UUID, Image]
) -> dict[UUID, Exception | None]:
    """The stage on previews another stage already decoded (the faces Lambda,
    ``workers.inline``): the same bookkeeping as ``handle_batch``, without a GET or a decode.
    The encoder's preprocessing box-reduces whatever decode it gets, so the vector matches
    the one its own smaller decode gives to well within what ranks tell apart."""
    ids = list(images)
    bodies = [messaging.body(STAGE, asset_id) for asset_id in ids]
    if (reason := off_reason(c)) is not None:
        return dict(zip(ids, stage.skip_each(bodies, c, STAGE, reason), strict=True))
    outcomes = stage.run_batch(bodies, c, STAGE, lambda asset, _: images[asset["id"]], embed_all)
    return dict(zip(ids, outcomes, strict=True))


def work(asset: dict[str, Any], c: SmartSearchContext) -> None:
    embed_all([asset], [load_preview_of(asset, c)], c)


def load_preview_of(asset: dict[str, Any], c: SmartSearchContext) -> Image:
    # Decoded no larger than the encoder needs: the JPEG decoder scales by 1/2, 1/4 or 1/8
    # itself, several times cheaper than a full decode and a resize.
    return previews.load(c, asset["id"], min_side=c.image_encoder.image_size)


def embed_all(assets: list[dict[str, Any]], images: list[Image], c: SmartSearchContext) -> None:
    encoder = c.image_encoder
    counts = (
        c.embedding_repo.face_counts([a["id"] for a in assets])
        if encoder.uses_face_counts
        else None
    )
    faces = [counts[a["id"]] for a in assets] if counts is not None else None
    vectors = encoder.embed_images(images, face_counts=faces)
    c.embedding_repo.upsert_many(
        encoder.model_id, [(a["id"], v) for a, v in zip(assets, vectors, strict=True)]
    )
    if len(vectors):
        own_indexes(c, sorted({a["owner_id"] for a in assets}), len(vectors[0]))


def own_indexes(c: SmartSearchContext, owners: list[UUID], dimension: int) -> None:
    """A library that just passed the exact-search size gets its own index now (once: a
    bounded check per batch otherwise). Never the batch's failure: the vectors are stored,
    searches stay exact until the index exists, and the nightly search-indexes job builds
    what this could not."""
    try:
        c.embedding_repo.ensure_owner_indexes(owners, dimension=dimension)
    except Exception:
        logger.exception("could not build a library's search index", extra={"owners": owners})


def embed_text_event(event: dict[str, Any], c: SmartSearchContext) -> dict[str, Any]:
    """{"text": "..."} -> {"modelId", "embedding"}: what the API's LambdaTextEmbedder calls."""
    text = str(event.get("text", ""))[:MAX_QUERY_CHARS]
    if not text.strip():
        raise ValueError("text is empty")
    encoder = c.image_encoder
    return {"modelId": encoder.model_id, "embedding": encoder.embed_text(text).tolist()}
