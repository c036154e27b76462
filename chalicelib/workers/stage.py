"""The shape every stage after ingest shares: load the asset, skip what is done, do the work,
record the outcome, hand off to the stages that follow.

Idempotent: a stage already ``done`` for an asset is skipped unless the message says
``force`` (admin re-runs); outputs go to deterministic keys and rows are upserted. A
``MediaError`` is the file's fault: the stage is marked failed with the reason (and the asset,
if the stage is required). Anything else raises, so SQS retries and finally dead-letters.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from chalicelib import pipeline
from chalicelib.observability import logger, metrics
from chalicelib.workers import dispatch

Work = Callable[[dict[str, Any], Any], None]


def run(body: str, container: Any, stage_name: str, work: Work) -> None:
    from chalicelib.media.errors import MediaError

    message = dispatch.parse(body)
    repo = container.pipeline_repo
    asset = repo.get_asset(message.asset_id)
    if asset is None:
        logger.info("asset gone; nothing to do", extra={"asset_id": str(message.asset_id)})
        return
    if not message.force and repo.stage_status(asset["id"], stage_name) == "done":
        logger.info("stage already done", extra={"asset_id": str(asset["id"])})
        return
    stage = pipeline.get_stage(stage_name)
    repo.set_stage(asset["id"], stage_name, "running")
    logger.append_keys(asset_id=str(asset["id"]))
    try:
        work(asset, container)
    except MediaError as exc:
        repo.fail_stage(asset["id"], stage_name, exc.reason, fail_asset=stage.required)
        metrics.add_metric(name=f"{stage_name}Failed", unit="Count", value=1)
        logger.info("stage failed", extra={"reason": exc.reason, "code": exc.code})
        if not stage.required:
            _hand_off(container, stage_name, asset)
        return
    finally:
        logger.remove_keys(["asset_id"])
    _hand_off(container, stage_name, asset)
    metrics.add_metric(name=f"{stage_name}Done", unit="Count", value=1)


def _hand_off(container: Any, stage_name: str, asset: dict[str, Any]) -> None:
    following = dispatch.next_stages(stage_name, asset["type"])
    container.pipeline_repo.complete_stage(asset["id"], stage_name, following)
    for name in following:
        dispatch.send(container, name, asset["id"])
