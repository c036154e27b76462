"""EventBridge rules that start the scheduled jobs (functions/jobs/handler.py)."""

from __future__ import annotations

from aws_cdk import Annotations, ArnFormat, Duration, Stack
from aws_cdk import aws_events as events
from aws_cdk import aws_events_targets as targets
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from constructs import Construct

from chalicelib.jobs import JOBS

from .config import SCHEDULED_JOBS
from .functions import FunctionFactory

HANDLER = "functions.jobs.handler:handler"


class Schedules(Construct):
    def __init__(
        self,
        scope: Construct,
        id: str,
        *,
        factory: FunctionFactory,
        jobs: dict[str, str] = SCHEDULED_JOBS,
    ) -> None:
        super().__init__(scope, id)
        # One function for all jobs: each run is short and rare; reserved concurrency 2
        # keeps an overlapping slow run from taking Aurora connections from the pipeline.
        self.function: lambda_.Function = factory.zip_function(
            self,
            "Function",
            name="jobs",
            handler=HANDLER,
            memory_mb=1024,
            timeout_seconds=900,
            reserved=2,
        )
        self._may_continue_itself(factory.config.prefix + "jobs")
        self.rules: dict[str, events.Rule] = {}
        known = set(JOBS)
        for job, expression in jobs.items():
            if job not in known:
                Annotations.of(self).add_warning_v2(
                    "skyroll:unknown-job", f"job {job!r} is not in chalicelib.jobs.JOBS yet"
                )
                continue
            self.rules[job] = events.Rule(
                self,
                _pascal(job),
                schedule=events.Schedule.expression(expression),
                description=f"Skyroll scheduled job {job}",
                targets=[
                    targets.LambdaFunction(
                        self.function,
                        event=events.RuleTargetInput.from_object({"job": job}),
                        retry_attempts=2,
                        max_event_age=Duration.hours(1),
                    )
                ],
            )

    def _may_continue_itself(self, name: str) -> None:
        """A job longer than the function's 15 minutes (the people re-cluster of a big
        library) hands over to a new invocation of it: the function knows its own name and
        may invoke itself (by name: its ARN would make the function depend on itself)."""
        self.function.add_environment("SKYROLL_JOBS_FUNCTION", name)
        self.function.add_to_role_policy(
            iam.PolicyStatement(
                actions=["lambda:InvokeFunction"],
                resources=[
                    Stack.of(self).format_arn(
                        service="lambda",
                        resource="function",
                        resource_name=name,
                        arn_format=ArnFormat.COLON_RESOURCE_NAME,
                    )
                ],
            )
        )


def _pascal(name: str) -> str:
    return "".join(part.title() for part in name.split("-"))
