"""bootstrap() against a real moto server: resources, policies, idempotence, S3 -> SNS -> SQS."""

from __future__ import annotations

import json
import time
from typing import Any
from urllib.parse import unquote_plus

from chalicelib.local.aws import CORS_ALLOWED_HEADERS, bootstrap
from chalicelib.pipeline import STAGES
from chalicelib.settings import Settings
from tests.support.aws import Aws, make_stage

INGEST = make_stage("ingest", timeout_seconds=20, max_receive_count=4)
THUMBNAIL = make_stage("thumbnail", trigger="ingest", timeout_seconds=3, max_receive_count=2)
TEST_STAGES = (INGEST, THUMBNAIL)


def _attributes(aws: Aws, url: str) -> dict[str, str]:
    return dict(aws.sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"])


def _s3_events(aws: Aws, url: str, wait_for: int, timeout: float = 10.0) -> list[dict[str, Any]]:
    """SNS envelopes carrying S3 Records (s3:TestEvent skipped), at least ``wait_for`` of them."""
    found: list[dict[str, Any]] = []
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        response = aws.sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, WaitTimeSeconds=1)
        for message in response.get("Messages", []):
            aws.sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])
            envelope = json.loads(message["Body"])
            if "Records" in json.loads(envelope["Message"]):
                found.append(envelope)
        if len(found) >= wait_for and not response.get("Messages"):
            break
    return found


def test_queues_follow_the_declaration(aws: Aws, aws_settings: Settings) -> None:
    resources = bootstrap(aws_settings, aws.s3, aws.sqs, aws.sns, TEST_STAGES)

    for stage in TEST_STAGES:
        ref = resources.queues[stage.name]
        assert ref.url.endswith(f"/{aws_settings.queue_name(stage.name)}")
        assert ref.dlq_url.endswith(f"/{aws_settings.dlq_name(stage.name)}")
        attributes = _attributes(aws, ref.url)
        assert attributes["VisibilityTimeout"] == str(stage.visibility_timeout_seconds)
        assert json.loads(attributes["RedrivePolicy"]) == {
            "deadLetterTargetArn": ref.dlq_arn,
            "maxReceiveCount": stage.max_receive_count,
        }
        assert _attributes(aws, ref.dlq_url)["MessageRetentionPeriod"] == str(14 * 24 * 3600)
    # 6 x timeout, but never below 30 s.
    assert _attributes(aws, resources.queues["ingest"].url)["VisibilityTimeout"] == "120"
    assert _attributes(aws, resources.queues["thumbnail"].url)["VisibilityTimeout"] == "30"


def test_only_s3_triggered_stages_subscribe_with_policies(aws: Aws, aws_settings: Settings) -> None:
    resources = bootstrap(aws_settings, aws.s3, aws.sqs, aws.sns, TEST_STAGES)

    subs = aws.sns.list_subscriptions_by_topic(TopicArn=resources.topic_arn)["Subscriptions"]
    assert [(s["Protocol"], s["Endpoint"]) for s in subs] == [
        ("sqs", resources.queues["ingest"].arn)
    ]
    sub_attributes = aws.sns.get_subscription_attributes(
        SubscriptionArn=resources.subscriptions["ingest"]
    )["Attributes"]
    assert sub_attributes["RawMessageDelivery"] == "false"

    queue_policy = json.loads(_attributes(aws, resources.queues["ingest"].url)["Policy"])
    (statement,) = queue_policy["Statement"]
    assert statement["Principal"] == {"Service": "sns.amazonaws.com"}
    assert statement["Condition"]["ArnEquals"]["aws:SourceArn"] == resources.topic_arn
    assert "Policy" not in _attributes(aws, resources.queues["thumbnail"].url)

    topic_policy = json.loads(
        aws.sns.get_topic_attributes(TopicArn=resources.topic_arn)["Attributes"]["Policy"]
    )
    (statement,) = topic_policy["Statement"]
    assert statement["Principal"] == {"Service": "s3.amazonaws.com"}
    assert statement["Condition"]["ArnLike"]["aws:SourceArn"] == (
        f"arn:aws:s3:::{aws_settings.bucket}"
    )


def test_bucket_is_private_with_cors_for_presigned_put(aws: Aws, aws_settings: Settings) -> None:
    bootstrap(
        aws_settings, aws.s3, aws.sqs, aws.sns, TEST_STAGES, cors_origins=["http://localhost:3000"]
    )

    block = aws.s3.get_public_access_block(Bucket=aws_settings.bucket)
    assert all(block["PublicAccessBlockConfiguration"].values())
    (rule,) = aws.s3.get_bucket_cors(Bucket=aws_settings.bucket)["CORSRules"]
    assert rule["AllowedOrigins"] == ["http://localhost:3000"]
    assert {"PUT", "GET"} <= set(rule["AllowedMethods"])
    assert set(rule["AllowedHeaders"]) == set(CORS_ALLOWED_HEADERS)
    assert "x-amz-checksum-sha256" in rule["AllowedHeaders"]
    assert rule["ExposeHeaders"] == ["ETag"]
    (topic_config,) = aws.s3.get_bucket_notification_configuration(Bucket=aws_settings.bucket)[
        "TopicConfigurations"
    ]
    assert topic_config["Events"] == ["s3:ObjectCreated:*"]
    assert topic_config["Filter"]["Key"]["FilterRules"] == [{"Name": "prefix", "Value": "users/"}]


def test_bootstrap_twice_changes_nothing(aws: Aws, aws_settings: Settings) -> None:
    first = bootstrap(aws_settings, aws.s3, aws.sqs, aws.sns, TEST_STAGES)
    before = {name: _attributes(aws, ref.url) for name, ref in first.queues.items()}

    second = bootstrap(aws_settings, aws.s3, aws.sqs, aws.sns, TEST_STAGES)

    assert second == first
    after = {name: _attributes(aws, ref.url) for name, ref in second.queues.items()}
    for name in before:
        for key in ("VisibilityTimeout", "RedrivePolicy", "Policy", "QueueArn"):
            assert after[name].get(key) == before[name].get(key)
    subs = aws.sns.list_subscriptions_by_topic(TopicArn=first.topic_arn)["Subscriptions"]
    assert len(subs) == 1
    names = [b["Name"] for b in aws.s3.list_buckets()["Buckets"]]
    assert names.count(aws_settings.bucket) == 1


def test_bootstrap_converges_a_changed_declaration(aws: Aws, aws_settings: Settings) -> None:
    bootstrap(aws_settings, aws.s3, aws.sqs, aws.sns, TEST_STAGES)
    stricter = make_stage("ingest", timeout_seconds=60, max_receive_count=2)

    resources = bootstrap(aws_settings, aws.s3, aws.sqs, aws.sns, (stricter, THUMBNAIL))

    attributes = _attributes(aws, resources.queues["ingest"].url)
    assert attributes["VisibilityTimeout"] == "360"
    assert json.loads(attributes["RedrivePolicy"])["maxReceiveCount"] == 2


def test_visibility_override_is_for_tests_only(aws: Aws, aws_settings: Settings) -> None:
    resources = bootstrap(
        aws_settings, aws.s3, aws.sqs, aws.sns, TEST_STAGES, visibility_timeout_override=1
    )
    assert _attributes(aws, resources.queues["ingest"].url)["VisibilityTimeout"] == "1"


def test_new_original_reaches_the_ingest_queue_in_an_sns_envelope(
    aws: Aws, aws_settings: Settings
) -> None:
    resources = bootstrap(aws_settings, aws.s3, aws.sqs, aws.sns, TEST_STAGES)
    bootstrap(aws_settings, aws.s3, aws.sqs, aws.sns, TEST_STAGES)  # no duplicate delivery
    key = "users/u-1/a 1/original.jpg"

    aws.s3.put_object(Bucket=aws_settings.bucket, Key=key, Body=b"\xff\xd8\xff")
    aws.s3.put_object(Bucket=aws_settings.bucket, Key="tmp/not-an-original", Body=b"x")

    (envelope,) = _s3_events(aws, resources.queues["ingest"].url, wait_for=1)
    assert envelope["Type"] == "Notification"
    assert envelope["TopicArn"] == resources.topic_arn
    (record,) = json.loads(envelope["Message"])["Records"]
    assert record["eventName"].startswith("ObjectCreated:")
    assert record["s3"]["bucket"]["name"] == aws_settings.bucket
    assert unquote_plus(record["s3"]["object"]["key"]) == key
    assert record["s3"]["object"]["size"] == 3
    # A stage that follows another one hears nothing from S3.
    assert _s3_events(aws, resources.queues["thumbnail"].url, wait_for=0, timeout=1) == []


def test_the_real_declaration_bootstraps(aws: Aws, aws_settings: Settings) -> None:
    resources = bootstrap(aws_settings, aws.s3, aws.sqs, aws.sns)
    assert set(resources.queues) == {stage.name for stage in STAGES}
    assert set(resources.subscriptions) == {s.name for s in STAGES if s.is_s3_triggered}
