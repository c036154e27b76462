"""S3 (LocalStack, signatures enforced) refuses what our presigner did not sign."""

from __future__ import annotations

import base64
import hashlib
import time

import boto3
import httpx
import pytest
from botocore.config import Config

from chalicelib.local.aws import bootstrap
from chalicelib.settings import Settings
from chalicelib.storage.s3 import presign_put

CREDENTIALS = {"aws_access_key_id": "test", "aws_secret_access_key": "test"}
BODY = b"\xff\xd8\xff\xe0 not really a jpeg, but bytes with a checksum" * 100


def _sha256_b64(data: bytes) -> str:
    return base64.b64encode(hashlib.sha256(data).digest()).decode()


@pytest.fixture(scope="module")
def aws(localstack: str):
    settings = Settings(
        aws_endpoint_url=localstack,
        bucket="skyroll-ls-media",
        queue_prefix="skyroll-ls-",
        uploads_topic="skyroll-ls-uploads",
    )

    def client(service: str):
        config = Config(signature_version="s3v4") if service == "s3" else None
        return boto3.client(
            service,
            region_name=settings.aws_region,
            endpoint_url=localstack,
            config=config,
            **CREDENTIALS,
        )

    s3 = client("s3")
    bootstrap(settings, s3, client("sqs"), client("sns"))
    return settings, s3


def _presign(aws, key: str, body: bytes = BODY, expires_in: int = 300):
    settings, s3 = aws
    return presign_put(
        s3,
        settings.bucket,
        key,
        content_type="image/jpeg",
        content_length=len(body),
        checksum_sha256_b64=_sha256_b64(body),
        expires_in=expires_in,
    )


def test_bootstrap_created_the_declared_queues(aws, localstack):
    settings, _ = aws
    sqs = boto3.client(
        "sqs", region_name=settings.aws_region, endpoint_url=localstack, **CREDENTIALS
    )
    from chalicelib.pipeline import STAGES

    for stage in STAGES:
        assert sqs.get_queue_url(QueueName=settings.queue_name(stage.name))["QueueUrl"]
        assert sqs.get_queue_url(QueueName=settings.dlq_name(stage.name))["QueueUrl"]


def test_signed_upload_is_accepted(aws):
    url, headers = _presign(aws, "users/u1/a1/original.jpg")
    response = httpx.put(url, content=BODY, headers=headers)
    assert response.status_code == 200, response.text
    settings, s3 = aws
    stored = s3.get_object(Bucket=settings.bucket, Key="users/u1/a1/original.jpg")
    assert stored["Body"].read() == BODY


def test_wrong_checksum_is_refused(aws):
    url, headers = _presign(aws, "users/u1/a2/original.jpg")
    tampered = BODY[:-1] + b"!"  # same length, different SHA-256
    response = httpx.put(url, content=tampered, headers=headers)
    assert 400 <= response.status_code < 500, response.text
    settings, s3 = aws
    with pytest.raises(s3.exceptions.ClientError):
        s3.head_object(Bucket=settings.bucket, Key="users/u1/a2/original.jpg")


def test_wrong_content_type_is_refused(aws):
    url, headers = _presign(aws, "users/u1/a3/original.jpg")
    response = httpx.put(url, content=BODY, headers={**headers, "Content-Type": "text/html"})
    assert response.status_code == 403, response.text


def test_expired_url_is_refused(aws):
    url, headers = _presign(aws, "users/u1/a4/original.jpg", expires_in=1)
    time.sleep(2.5)
    response = httpx.put(url, content=BODY, headers=headers)
    assert response.status_code == 403, response.text
    assert b"expired" in response.content.lower()
