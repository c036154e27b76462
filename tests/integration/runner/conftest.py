"""A moto server per test worker (a real subprocess, stopped by PID) and per-test resource
names, so tests never see each other's queues even on the same server."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import boto3
import pytest

from chalicelib.local.moto_server import MotoServer, free_port
from chalicelib.settings import Settings
from tests.support.aws import Aws


@pytest.fixture(scope="session")
def moto_server() -> Iterator[MotoServer]:
    server = MotoServer(free_port()).start()
    yield server
    server.stop()


@pytest.fixture
def aws(moto_server: MotoServer) -> Aws:
    # Explicit dummy credentials: never pick up a developer's real ones.
    def client(service: str) -> Any:
        return boto3.client(
            service,
            endpoint_url=moto_server.endpoint_url,
            region_name="us-east-1",
            aws_access_key_id="testing",
            aws_secret_access_key="testing",
        )

    return Aws(client("s3"), client("sqs"), client("sns"))


@pytest.fixture
def aws_settings(moto_server: MotoServer) -> Settings:
    tag = uuid.uuid4().hex[:10]
    return Settings(
        aws_endpoint_url=moto_server.endpoint_url,
        bucket=f"skyroll-test-{tag}",
        queue_prefix=f"t{tag}-",
        uploads_topic=f"t{tag}-uploads",
        public_url="http://127.0.0.1:8000",
    )
