"""The upload -> ready flow on LocalStack, which (unlike moto) enforces what the presigned
PUT was signed with: the API's ticket, the browser's PUT with its headers, S3 -> SNS -> SQS,
then ingest and thumbnail through the event-source runner."""

from __future__ import annotations

import io
import time
import uuid
from collections.abc import Iterator
from typing import Any

import boto3
import httpx
import pytest
from botocore.config import Config
from chalice.test import Client
from PIL import Image
from skimage import data

from app import app
from chalicelib.container import Container, use_container
from chalicelib.local.aws import bootstrap
from chalicelib.local.runner import EventSourceRunner
from chalicelib.pipeline import STAGES
from chalicelib.services.bootstrap import ensure_first_admin
from chalicelib.settings import Settings
from tests.support.harness import Harness


def _client(service: str, endpoint: str, region: str) -> Any:
    # Explicit credentials: LocalStack checks signatures with the secret "test", and boto3's
    # default session may have cached moto's ("testing") earlier in this test process.
    return boto3.client(
        service,
        region_name=region,
        endpoint_url=endpoint,
        aws_access_key_id="test",
        aws_secret_access_key="test",
        config=Config(signature_version="s3v4") if service == "s3" else None,
    )


@pytest.fixture
def harness(localstack: str, settings: Settings) -> Iterator[Harness]:
    suffix = uuid.uuid4().hex[:8]
    own = settings.model_copy(
        update={
            "aws_endpoint_url": localstack,
            "bucket": f"skyroll-flow-{suffix}",
            "queue_prefix": f"f{suffix}-",
            "uploads_topic": f"f{suffix}-uploads",
        }
    )
    region = own.aws_region
    container = Container(
        own, **{name: _client(name, localstack, region) for name in ("s3", "sqs", "sns")}
    )
    bootstrap(own, container.s3, container.sqs, container.sns, visibility_timeout_override=5)
    use_container(container)
    ensure_first_admin(container)
    runner = EventSourceRunner(STAGES, container.sqs, own)
    with Client(app) as client:
        yield Harness(client, container, runner)
    use_container(None)
    container.close()


def _jpeg() -> bytes:
    buffer = io.BytesIO()
    Image.fromarray(data.chelsea()).save(buffer, "JPEG", quality=85)
    return buffer.getvalue()


def test_signed_upload_goes_ready_and_tampered_ones_are_refused(harness: Harness):
    token = harness.user("ls@example.com")
    photo = _jpeg()
    # A PUT that does not match its signature is refused by S3 itself: other bytes (the
    # signed SHA-256), another content type.
    ticket = harness.start_upload(token, "cat.jpg", photo).json
    tampered = httpx.put(ticket["url"], content=photo[:-1] + b"\0", headers=ticket["headers"])
    assert tampered.status_code in (400, 403), tampered.text
    other_type = httpx.put(
        ticket["url"], content=photo, headers={**ticket["headers"], "Content-Type": "image/png"}
    )
    assert other_type.status_code == 403, other_type.text
    # The right one is accepted, and the pipeline makes the asset ready from the event.
    put = httpx.put(ticket["url"], content=photo, headers=ticket["headers"])
    assert put.status_code == 200, put.text
    # LocalStack delivers S3 -> SNS -> SQS asynchronously: run the stages until it arrived.
    deadline = time.monotonic() + 60
    asset = harness.asset(token, ticket["assetId"])
    while asset["status"] != "ready" and time.monotonic() < deadline:
        harness.drain()
        asset = harness.asset(token, ticket["assetId"])
        time.sleep(0.2)
    assert asset["status"] == "ready", asset
    assert (asset["width"], asset["height"]) == (451, 300)
