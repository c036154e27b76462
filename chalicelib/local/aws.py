"""Create the AWS resources the pipeline needs, from its declaration, with plain boto3 calls.

``bootstrap`` is what ``make dev`` runs against moto; because it only makes public API calls
it works the same against LocalStack or a real account (``python -m chalicelib.local.aws``).
It is idempotent: every call converges existing resources to the declaration.

Wiring (the same as ``infra/`` builds in the cloud)::

    bucket ──ObjectCreated:* users/──► SNS uploads topic ──► SQS <stage> (S3-triggered stages)
                                                             SQS <stage> ──redrive──► <stage>-dlq

Stages that follow another stage get a queue + DLQ but no subscription: the worker that
finishes sends to them directly. Subscriptions keep raw message delivery OFF, so workers
always receive the SNS envelope and unwrap it (the same shape in every environment).
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from chalicelib.pipeline import STAGES, Stage
from chalicelib.settings import Settings
from chalicelib.storage import keys

NOTIFICATION_ID = "skyroll-new-originals"
ORIGINALS_PREFIX = keys.ORIGINALS_PREFIX  # originals only: derivatives raise no event
# Headers the browser sends with our presigned PUT (see chalicelib.storage.s3.presign_put).
CORS_ALLOWED_HEADERS = (
    "Content-Type",
    "x-amz-checksum-sha256",
    "x-amz-sdk-checksum-algorithm",
    "x-amz-tagging",
)
# Multipart uploads need each part's ETag back in the browser.
CORS_EXPOSE_HEADERS = ("ETag",)
QUEUE_RETENTION_SECONDS = 4 * 24 * 3600
# DLQs keep messages as long as SQS allows, so nothing is lost before someone looks.
DLQ_RETENTION_SECONDS = 14 * 24 * 3600
# Lambda's event source mapping long-polls; consumers of the queue should too.
RECEIVE_WAIT_SECONDS = 20


@dataclass(frozen=True)
class QueueRef:
    stage: str
    url: str
    arn: str
    dlq_url: str
    dlq_arn: str


@dataclass(frozen=True)
class Resources:
    bucket: str
    topic_arn: str
    queues: dict[str, QueueRef] = field(default_factory=dict)
    # stage name -> subscription ARN, for the S3-triggered stages.
    subscriptions: dict[str, str] = field(default_factory=dict)


def bootstrap(
    settings: Settings,
    s3: Any,
    sqs: Any,
    sns: Any,
    stages: Iterable[Stage] = STAGES,
    cors_origins: Iterable[str] | None = None,
    *,
    visibility_timeout_override: int | None = None,
) -> Resources:
    """Create or converge the bucket, topic, queues, DLQs, subscriptions and notification.

    ``cors_origins`` defaults to ``settings.public_url``. ``visibility_timeout_override``
    exists for tests that must see a failed message come back within seconds; production
    uses each stage's declared ``visibility_timeout_seconds``.
    """
    stages = tuple(stages)
    origins = list(cors_origins) if cors_origins is not None else [settings.public_url]
    ensure_bucket(s3, settings.bucket, origins)
    topic_arn = ensure_topic(sns, settings.uploads_topic, settings.bucket)
    queues: dict[str, QueueRef] = {}
    subscriptions: dict[str, str] = {}
    for stage in stages:
        visibility = visibility_timeout_override or stage.visibility_timeout_seconds
        ref = ensure_stage_queues(sqs, settings, stage, visibility)
        queues[stage.name] = ref
        if stage.is_s3_triggered:
            allow_topic_to_send(sqs, ref, topic_arn)
            subscriptions[stage.name] = ensure_subscription(sns, topic_arn, ref.arn)
    # Last: S3 checks on AWS that it may publish to the topic when the notification is set.
    ensure_bucket_notification(s3, settings.bucket, topic_arn)
    return Resources(settings.bucket, topic_arn, queues, subscriptions)


# --- S3 -------------------------------------------------------------------------------
def ensure_bucket(s3: Any, bucket: str, cors_origins: list[str]) -> None:
    region = s3.meta.region_name
    kwargs: dict[str, Any] = {"Bucket": bucket}
    if region and region != "us-east-1":
        # us-east-1 is the one region that refuses an explicit LocationConstraint.
        kwargs["CreateBucketConfiguration"] = {"LocationConstraint": region}
    with contextlib.suppress(s3.exceptions.BucketAlreadyOwnedByYou):
        s3.create_bucket(**kwargs)
    s3.put_public_access_block(
        Bucket=bucket,
        PublicAccessBlockConfiguration={
            "BlockPublicAcls": True,
            "IgnorePublicAcls": True,
            "BlockPublicPolicy": True,
            "RestrictPublicBuckets": True,
        },
    )
    s3.put_bucket_cors(Bucket=bucket, CORSConfiguration=cors_configuration(cors_origins))
    s3.put_bucket_lifecycle_configuration(
        Bucket=bucket,
        LifecycleConfiguration={
            "Rules": [
                {
                    # Abandoned browser uploads would otherwise be billed forever.
                    "ID": "abort-incomplete-multipart",
                    "Status": "Enabled",
                    "Filter": {"Prefix": ""},
                    "AbortIncompleteMultipartUpload": {"DaysAfterInitiation": 1},
                }
            ]
        },
    )


def cors_configuration(origins: list[str]) -> dict[str, Any]:
    return {
        "CORSRules": [
            {
                "AllowedOrigins": origins,
                "AllowedMethods": ["PUT", "GET", "HEAD"],
                "AllowedHeaders": list(CORS_ALLOWED_HEADERS),
                "ExposeHeaders": list(CORS_EXPOSE_HEADERS),
                "MaxAgeSeconds": 3000,
            }
        ]
    }


def notification_configuration(topic_arn: str) -> dict[str, Any]:
    return {
        "TopicConfigurations": [
            {
                "Id": NOTIFICATION_ID,
                "TopicArn": topic_arn,
                "Events": ["s3:ObjectCreated:*"],
                "Filter": {"Key": {"FilterRules": [{"Name": "prefix", "Value": ORIGINALS_PREFIX}]}},
            }
        ]
    }


def ensure_bucket_notification(s3: Any, bucket: str, topic_arn: str) -> None:
    wanted = notification_configuration(topic_arn)
    current = s3.get_bucket_notification_configuration(Bucket=bucket)
    current.pop("ResponseMetadata", None)
    if current == wanted:
        # Every put makes S3 publish an s3:TestEvent: don't re-put on each `make dev`.
        return
    # The bucket has exactly this one notification: putting it replaces, never duplicates.
    s3.put_bucket_notification_configuration(Bucket=bucket, NotificationConfiguration=wanted)


# --- SNS ------------------------------------------------------------------------------
def _account_of(arn: str) -> str:
    return arn.split(":")[4]


def ensure_topic(sns: Any, name: str, bucket: str) -> str:
    topic_arn = str(sns.create_topic(Name=name)["TopicArn"])  # idempotent by name
    policy = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "AllowBucketToPublish",
                "Effect": "Allow",
                "Principal": {"Service": "s3.amazonaws.com"},
                "Action": "SNS:Publish",
                "Resource": topic_arn,
                "Condition": {
                    "ArnLike": {"aws:SourceArn": f"arn:aws:s3:::{bucket}"},
                    "StringEquals": {"aws:SourceAccount": _account_of(topic_arn)},
                },
            }
        ],
    }
    sns.set_topic_attributes(
        TopicArn=topic_arn, AttributeName="Policy", AttributeValue=json.dumps(policy)
    )
    return topic_arn


def _find_subscription(sns: Any, topic_arn: str, queue_arn: str) -> str | None:
    paginator = sns.get_paginator("list_subscriptions_by_topic")
    for page in paginator.paginate(TopicArn=topic_arn):
        for sub in page["Subscriptions"]:
            if sub["Protocol"] == "sqs" and sub["Endpoint"] == queue_arn:
                return str(sub["SubscriptionArn"])
    return None


def ensure_subscription(sns: Any, topic_arn: str, queue_arn: str) -> str:
    # Look first: AWS refuses a second Subscribe whose attributes differ from the first's.
    arn = _find_subscription(sns, topic_arn, queue_arn)
    if arn is None:
        arn = str(
            sns.subscribe(
                TopicArn=topic_arn, Protocol="sqs", Endpoint=queue_arn, ReturnSubscriptionArn=True
            )["SubscriptionArn"]
        )
    sns.set_subscription_attributes(
        SubscriptionArn=arn, AttributeName="RawMessageDelivery", AttributeValue="false"
    )
    return arn


# --- SQS ------------------------------------------------------------------------------
def ensure_queue(sqs: Any, name: str, attributes: dict[str, str]) -> tuple[str, str]:
    """(url, arn) of the queue ``name``, created or converged to ``attributes``."""
    try:
        url = str(sqs.get_queue_url(QueueName=name)["QueueUrl"])
    except sqs.exceptions.QueueDoesNotExist:
        url = str(sqs.create_queue(QueueName=name, Attributes=attributes)["QueueUrl"])
    else:
        # CreateQueue on an existing queue with other attributes fails: converge instead.
        sqs.set_queue_attributes(QueueUrl=url, Attributes=attributes)
    got = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])
    return url, str(got["Attributes"]["QueueArn"])


def ensure_stage_queues(sqs: Any, settings: Settings, stage: Stage, visibility: int) -> QueueRef:
    dlq_url, dlq_arn = ensure_queue(
        sqs,
        settings.dlq_name(stage.name),
        {"MessageRetentionPeriod": str(DLQ_RETENTION_SECONDS), "SqsManagedSseEnabled": "true"},
    )
    redrive = {"deadLetterTargetArn": dlq_arn, "maxReceiveCount": stage.max_receive_count}
    url, arn = ensure_queue(
        sqs,
        settings.queue_name(stage.name),
        {
            "VisibilityTimeout": str(visibility),
            "MessageRetentionPeriod": str(QUEUE_RETENTION_SECONDS),
            "ReceiveMessageWaitTimeSeconds": str(RECEIVE_WAIT_SECONDS),
            "RedrivePolicy": json.dumps(redrive),
            "SqsManagedSseEnabled": "true",
        },
    )
    return QueueRef(stage.name, url, arn, dlq_url, dlq_arn)


def allow_topic_to_send(sqs: Any, queue: QueueRef, topic_arn: str) -> None:
    policy = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "AllowUploadsTopic",
                "Effect": "Allow",
                "Principal": {"Service": "sns.amazonaws.com"},
                "Action": "sqs:SendMessage",
                "Resource": queue.arn,
                "Condition": {"ArnEquals": {"aws:SourceArn": topic_arn}},
            }
        ],
    }
    sqs.set_queue_attributes(QueueUrl=queue.url, Attributes={"Policy": json.dumps(policy)})


def main() -> None:
    """``python -m chalicelib.local.aws``: bootstrap wherever the settings point."""
    from chalicelib.container import get_container

    container = get_container()
    resources = bootstrap(container.settings, container.s3, container.sqs, container.sns)
    print(
        json.dumps(
            {
                "bucket": resources.bucket,
                "topic": resources.topic_arn,
                "queues": {k: v.url for k, v in resources.queues.items()},
            },
            indent=2,
        )
    )


if __name__ == "__main__":
    main()
