"""The nightly database export: a container function with pg_dump 16 (functions/backup),
started by EventBridge; it writes ``backups/skyroll-<time>.dump`` to the media bucket and
prunes exports past the retention (the bucket's lifecycle rule on the prefix is the net)."""

from __future__ import annotations

from aws_cdk import Duration
from aws_cdk import aws_events as events
from aws_cdk import aws_events_targets as targets
from aws_cdk import aws_lambda as lambda_
from constructs import Construct

from .functions import FunctionFactory

HANDLER = "functions.backup.handler:handler"
# Inside the nightly window (config.SCHEDULED_JOBS), while Aurora is awake anyway.
SCHEDULE = "cron(20 3 * * ? *)"


class Backups(Construct):
    def __init__(
        self, scope: Construct, id: str, *, factory: FunctionFactory, schedule: str = SCHEDULE
    ) -> None:
        super().__init__(scope, id)
        # The dump goes through /tmp: room for a library's metadata and embeddings.
        self.function: lambda_.DockerImageFunction = factory.container_function(
            self,
            "Function",
            name="backup",
            handler=HANDLER,
            memory_mb=1024,
            timeout_seconds=900,
            reserved=1,
            ephemeral_mb=4096,
        )
        self.rule = events.Rule(
            self,
            "Nightly",
            schedule=events.Schedule.expression(schedule),
            description="Skyroll nightly database export (pg_dump to the media bucket)",
            targets=[
                targets.LambdaFunction(
                    self.function,
                    event=events.RuleTargetInput.from_object({"action": "backup"}),
                    retry_attempts=2,
                    max_event_age=Duration.hours(1),
                )
            ],
        )
