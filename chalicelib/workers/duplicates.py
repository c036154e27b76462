"""Duplicates stage: a 64-bit DCT perceptual hash of the preview, and the asset joins the
group of its near-duplicates (Hamming distance <= ``duplicate_max_distance``).

Why not the smart-search vectors: the offline pack's image vector is a mixture of label
embeddings, so two different photos of a cat are as close as a photo and its copy. The DCT
hash keeps the picture's coarse layout: a resized or re-encoded copy (and a burst frame)
differs by a few bits out of 64, a different photo of the same subject by ~20 or more
(tests/integration/ml/test_duplicates.py shows both). An exact copy never gets here: uploads are
de-duplicated by checksum.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from chalicelib.ml.perceptual_hash import HASH_SIDE, perceptual_hash
from chalicelib.workers import previews, stage
from chalicelib.workers.context import DuplicatesContext

if TYPE_CHECKING:
    pass

STAGE = "duplicates"
# The hash needs 32x32: decode the preview at 1/4 (JPEG draft) instead of in full. 2.7 instead
# of 10.8 ms a 1440 px preview; 0-2 of the 64 bits differ from a full-size decode.
DECODE_MIN_SIDE = HASH_SIDE * 4


def handle(body: str, container: DuplicatesContext) -> None:
    if (reason := off_reason(container)) is not None:
        stage.skip(body, container, STAGE, reason)
    else:
        stage.run(body, container, STAGE, work)


def off_reason(c: DuplicatesContext) -> str | None:
    """Why the stage does nothing now (server settings), or None: its assets are then
    recorded ``skipped``, and turning it on offers to re-run the assets missing it."""
    ml = c.system_config.get().machine_learning
    if not ml.enabled:
        return "machine learning is turned off"
    if not ml.duplicate_detection.enabled:
        return "duplicate detection is turned off"
    return None


def handle_batch(bodies: list[str], container: DuplicatesContext) -> list[Exception | None]:
    """The Lambda's whole SQS batch: the previews' GETs start together (the hash itself takes
    a few ms: the requests are most of the wall time), one statement set for the batch's
    stage rows, each asset hashed and grouped on its own."""
    if (reason := off_reason(container)) is not None:
        return stage.skip_each(bodies, container, STAGE, reason)
    with previews.prefetched(container, bodies):
        return stage.run_each(bodies, container, STAGE, work)


def work(asset: dict[str, Any], c: DuplicatesContext) -> None:
    ml = c.system_config.get().machine_learning
    bits = perceptual_hash(previews.load(c, asset["id"], min_side=DECODE_MIN_SIDE))
    c.duplicate_repo.save_and_group(
        asset["id"], asset["owner_id"], bits, ml.duplicate_detection.max_distance_bits
    )
