"""Queues, DLQs, worker functions and their event source mappings, from chalicelib.pipeline.

Nothing here names a stage: add a Stage to STAGES and the next synth deploys it.
"""

from __future__ import annotations

from aws_cdk import Duration
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_lambda_event_sources as sources
from aws_cdk import aws_sns as sns
from aws_cdk import aws_sns_subscriptions as subs
from aws_cdk import aws_sqs as sqs
from constructs import Construct

from chalicelib.pipeline import STAGES, Stage, followers, validate
from chalicelib.settings import Settings

from .functions import MAX_EPHEMERAL_MB, FunctionFactory

DLQ_RETENTION = Duration.days(14)
# Stages that copy a whole original into /tmp (chalicelib/workers/originals.py, ingest's
# checksum pass, transcode's input next to its output): the largest /tmp Lambda offers.
# Uploads are capped to fit (max_upload_bytes, below).
ORIGINAL_STAGES = frozenset({"ingest", "thumbnail", "transcode"})
# Room left in that /tmp beside the original: transcode's output (max 2 GiB by default,
# transcode_max_output_bytes) and what ffmpeg and libvips write next to it.
TMP_HEADROOM_BYTES = 2 * 1024**3 + 512 * 1024**2


def max_upload_bytes() -> int:
    """The largest original every stage can hold in its /tmp."""
    return MAX_EPHEMERAL_MB * 1024**2 - TMP_HEADROOM_BYTES


class StageResources:
    def __init__(
        self, stage: Stage, queue: sqs.Queue, dlq: sqs.Queue, function: lambda_.Function
    ) -> None:
        self.stage, self.queue, self.dlq, self.function = stage, queue, dlq, function


class Pipeline(Construct):
    def __init__(
        self,
        scope: Construct,
        id: str,
        *,
        factory: FunctionFactory,
        uploads_topic: sns.ITopic,
        names: Settings,
        stages: tuple[Stage, ...] = STAGES,
    ) -> None:
        super().__init__(scope, id)
        validate(stages)
        self.stages: dict[str, StageResources] = {}
        for stage in stages:
            self.stages[stage.name] = self._stage(stage, factory, names)
        for resources in self.stages.values():
            if resources.stage.is_s3_triggered:
                # Not raw: workers unwrap the SNS envelope (same as the local bootstrap).
                uploads_topic.add_subscription(subs.SqsSubscription(resources.queue))
            for follower in followers(resources.stage.name, stages):
                self.stages[follower.name].queue.grant_send_messages(resources.function)

    @property
    def queues(self) -> list[sqs.Queue]:
        return [r.queue for r in self.stages.values()]

    def _stage(self, stage: Stage, factory: FunctionFactory, names: Settings) -> StageResources:
        scope = Construct(self, _pascal(stage.name))
        if stage.visibility_timeout_seconds < 6 * stage.timeout_seconds:
            raise ValueError(f"stage {stage.name}: visibility timeout below 6x function timeout")
        dlq = sqs.Queue(
            scope,
            "Dlq",
            queue_name=names.dlq_name(stage.name),
            retention_period=DLQ_RETENTION,
            enforce_ssl=True,
            encryption=sqs.QueueEncryption.SQS_MANAGED,
        )
        queue = sqs.Queue(
            scope,
            "Queue",
            queue_name=names.queue_name(stage.name),
            visibility_timeout=Duration.seconds(stage.visibility_timeout_seconds),
            enforce_ssl=True,
            encryption=sqs.QueueEncryption.SQS_MANAGED,
            dead_letter_queue=sqs.DeadLetterQueue(
                max_receive_count=stage.max_receive_count, queue=dlq
            ),
        )
        build = factory.container_function if stage.container else factory.zip_function
        function = build(
            scope,
            "Function",
            name=stage.name,
            handler=stage.handler,
            memory_mb=stage.memory_mb,
            timeout_seconds=stage.timeout_seconds,
            reserved=stage.reserved_concurrency,
            ephemeral_mb=MAX_EPHEMERAL_MB if stage.name in ORIGINAL_STAGES else 512,
        )
        function.add_event_source(
            sources.SqsEventSource(
                queue,
                batch_size=stage.batch_size,
                report_batch_item_failures=True,
                max_batching_window=(
                    Duration.seconds(stage.batching_window_seconds)
                    if stage.batching_window_seconds
                    else None
                ),
                max_concurrency=_poller_cap(stage),
            )
        )
        return StageResources(stage, queue, dlq, function)


def _poller_cap(stage: Stage) -> int | None:
    # Without it, pollers outrun reserved concurrency; throttled batches count as receives
    # and healthy messages reach the DLQ. The mapping's cap must be at least 2.
    if stage.reserved_concurrency is None:
        return None
    return max(2, stage.reserved_concurrency)


def _pascal(name: str) -> str:
    return "".join(part.title() for part in name.replace("_", "-").split("-"))
