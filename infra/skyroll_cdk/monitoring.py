"""Alarms to one SNS topic: a message in any DLQ, any function error."""

from __future__ import annotations

from aws_cdk import Duration, Stack
from aws_cdk import aws_cloudwatch as cw
from aws_cdk import aws_cloudwatch_actions as actions
from aws_cdk import aws_iam as iam
from aws_cdk import aws_sns as sns
from aws_cdk import aws_sns_subscriptions as subs
from constructs import Construct

from .config import StageConfig
from .pipeline import Pipeline

PERIOD = Duration.minutes(5)


class Monitoring(Construct):
    def __init__(self, scope: Construct, id: str, *, config: StageConfig) -> None:
        super().__init__(scope, id)
        # CloudWatch cannot publish to a topic under the AWS-managed SNS key (nag suppression).
        self.topic = sns.Topic(
            self, "Alarms", topic_name=f"{config.prefix}alarms", enforce_ssl=True
        )
        # enforce_ssl gives the topic a policy of its own (a Deny without TLS), which
        # replaces SNS's default owner access: CloudWatch needs its Allow, limited to this
        # stage's alarms in this account.
        stack = Stack.of(self)
        self.prefix = config.prefix
        self.topic.add_to_resource_policy(
            iam.PolicyStatement(
                sid="CloudWatchAlarmsPublish",
                principals=[iam.ServicePrincipal("cloudwatch.amazonaws.com")],
                actions=["sns:Publish"],
                resources=[self.topic.topic_arn],
                conditions={
                    "ArnLike": {
                        "aws:SourceArn": f"arn:{stack.partition}:cloudwatch:{stack.region}:"
                        f"{stack.account}:alarm:{config.prefix}*"
                    },
                    "StringEquals": {"aws:SourceAccount": stack.account},
                },
            )
        )
        if config.alarm_email:
            self.topic.add_subscription(subs.EmailSubscription(config.alarm_email))
        self.alarms: list[cw.Alarm] = []

    def _add(self, id: str, metric: cw.IMetric, description: str) -> cw.Alarm:
        alarm = cw.Alarm(
            self,
            id,
            # Named under the stage's prefix: the topic policy admits exactly these.
            alarm_name=f"{self.prefix}{id}",
            metric=metric,
            threshold=1,
            evaluation_periods=1,
            comparison_operator=cw.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
            treat_missing_data=cw.TreatMissingData.NOT_BREACHING,
            alarm_description=description,
        )
        alarm.add_alarm_action(actions.SnsAction(self.topic))
        self.alarms.append(alarm)
        return alarm

    def watch_pipeline(self, pipeline: Pipeline) -> None:
        for name, stage in pipeline.stages.items():
            key = "".join(p.title() for p in name.replace("_", "-").split("-"))
            self._add(
                f"{key}Dlq",
                stage.dlq.metric_approximate_number_of_messages_visible(
                    period=PERIOD, statistic="Maximum"
                ),
                f"Messages of stage {name} reached its DLQ (poison input or a bug)",
            )
            self._add(
                f"{key}Errors",
                stage.function.metric_errors(period=PERIOD),
                f"Stage {name} function errors (whole batches failed)",
            )

    def watch_function(self, id: str, function_name: str, description: str) -> None:
        self._add(
            id,
            cw.Metric(
                namespace="AWS/Lambda",
                metric_name="Errors",
                dimensions_map={"FunctionName": function_name},
                statistic="Sum",
                period=PERIOD,
            ),
            description,
        )
