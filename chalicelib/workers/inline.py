"""Stages that run inside the Lambda of the stage they follow (``pipeline.Stage.inline``).

Each ML stage as its own S3-fed Lambda pays, per image and before any model runs, a preview
GET, a decode, its stage rows and a message: measured, more than a fifth of what the faces
models themselves cost (docs/benchmarks.md, "floor"). So the faces Lambda, once its batch is
recorded done, hands the previews it already decoded straight to its inline followers
(smart_search): the same stage bookkeeping (``stage.run_batch``: statuses, idempotence,
per-record outcomes), without a second GET, decode or invocation.

Nothing depends on it: an asset the inline run did not finish (the encoder failed to load,
the database dropped, a record raised) keeps its follower's message, which goes to that
stage's own queue and Lambda exactly as without inlining; so do re-runs (admin requeue,
reembed). And before it runs, each follower's message is sent delayed
(``SKYROLL_INLINE_NET_SECONDS``, 900: SQS's longest delay, beyond any Lambda's timeout) as a net
for a Lambda that dies mid-run; after a finished run it arrives to a done stage and is
skipped. ``SKYROLL_INLINE_STAGES=false`` turns inlining off.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING
from uuid import UUID

from chalicelib import pipeline
from chalicelib.observability import logger
from chalicelib.workers import stage

if TYPE_CHECKING:
    from PIL.Image import Image

    from chalicelib.workers.context import FacesContext

# (container, asset id -> decoded preview) -> asset id -> None (finished) or why not.
DecodedRunner = Callable[["FacesContext", dict[UUID, "Image"]], dict[UUID, Exception | None]]


def runners() -> dict[str, DecodedRunner]:
    """The stages that can take previews another stage decoded."""
    from chalicelib.workers import smart_search

    return {smart_search.STAGE: smart_search.handle_decoded}


def run_followers(
    c: FacesContext, host: str, decoded: dict[UUID, Image], following: dict[UUID, list[str]]
) -> dict[UUID, list[str]]:
    """Runs ``host``'s inline followers on the decoded previews of the assets handed to
    them; answers, per asset, the followers still to be messaged."""
    left = {asset_id: list(names) for asset_id, names in following.items()}
    if not c.settings.inline_stages:
        return left
    available = runners()
    for follower in pipeline.inline_followers(host):
        ids = [a for a, names in following.items() if follower.name in names and a in decoded]
        # The net first: should this Lambda die before the inline run ends (a timeout, out
        # of memory), the follower's own Lambda gets the work once the delay is over; when
        # the run finished, it finds the stage done and skips it (no GET: see previews).
        net = [(a, [follower.name]) for a in ids]
        unsent = stage.send(c.stage_queue, net, c.settings.inline_net_seconds)
        ids = [a for a in ids if a not in unsent]  # no net, no inline run: messaged now
        if not ids:
            continue
        outcomes = available[follower.name](c, {a: decoded[a] for a in ids})
        finished = [a for a in ids if outcomes.get(a, RuntimeError("no outcome")) is None]
        for asset_id in finished:
            left[asset_id].remove(follower.name)
        if len(finished) < len(ids):
            logger.info(
                "inline stage left assets to its queue",
                extra={"stage": follower.name, "left": len(ids) - len(finished)},
            )
    return left
