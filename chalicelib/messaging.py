"""Stage-to-stage hand-off: when a stage finishes an asset, the stages that follow it (from
the pipeline declaration) get a message on their queues."""

from __future__ import annotations

import json
from typing import Any
from uuid import UUID

from pydantic import BaseModel, ConfigDict
from pydantic.alias_generators import to_camel

from chalicelib import pipeline


class StageMessage(BaseModel):
    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True)

    asset_id: UUID
    stage: str
    # Set by admin re-runs: do the work even if the output exists.
    force: bool = False


def next_stages(stage_name: str, asset_type: str) -> list[str]:
    return [
        s.name
        for s in pipeline.followers(stage_name)
        if not s.asset_types or asset_type in s.asset_types
    ]


def body(stage: str, asset_id: UUID, *, force: bool = False) -> str:
    """The message a stage's queue carries for one asset."""
    message = StageMessage(asset_id=asset_id, stage=stage, force=force)
    return json.dumps(message.model_dump(mode="json", by_alias=True))


def send(container: Any, stage: str, asset_id: UUID, *, force: bool = False) -> None:
    container.sqs.send_message(
        QueueUrl=container.queue_url(stage), MessageBody=body(stage, asset_id, force=force)
    )


def parse(body: str) -> StageMessage:
    return StageMessage.model_validate_json(body)
