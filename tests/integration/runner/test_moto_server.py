"""The moto server is a child process we start, reach over HTTP, and stop by PID."""

from __future__ import annotations

import datetime
import os
import time
from typing import Any

import boto3
import pytest

from chalicelib.local.moto_server import MotoServer, free_port, port_in_use


def client(server: MotoServer, service: str) -> Any:
    return boto3.client(
        service,  # type: ignore[call-overload]
        endpoint_url=server.endpoint_url,
        region_name="us-east-1",
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # A zombie still answers kill(0): look at its state too.
    with open(f"/proc/{pid}/stat") as stat:
        return stat.read().split()[2] != "Z"


def test_start_serves_aws_apis_and_stop_leaves_no_process() -> None:
    server = MotoServer(free_port()).start()
    pid = server.pid
    assert pid is not None and _pid_alive(pid)
    sqs = client(server, "sqs")
    url = sqs.create_queue(QueueName="hello")["QueueUrl"]
    sqs.send_message(QueueUrl=url, MessageBody="over real HTTP")
    got = sqs.receive_message(QueueUrl=url, WaitTimeSeconds=1)["Messages"]
    assert [m["Body"] for m in got] == ["over real HTTP"]

    server.stop()

    assert not _pid_alive(pid)
    assert not port_in_use(server.port)
    assert not server.is_running()
    server.stop()  # stopping twice is harmless


def test_refuses_a_port_that_is_taken(moto_server: MotoServer) -> None:
    with pytest.raises(RuntimeError, match="already in use"):
        MotoServer(moto_server.port).start()


def test_reset_forgets_every_resource() -> None:
    with MotoServer(free_port()) as server:
        s3 = client(server, "s3")
        s3.create_bucket(Bucket="kept-until-reset")
        assert [b["Name"] for b in s3.list_buckets()["Buckets"]] == ["kept-until-reset"]
        server.reset()
        assert s3.list_buckets()["Buckets"] == []
    assert not server.is_running()


def test_fast_clock_agrees_with_motos_own() -> None:
    from moto.core.utils import unix_time_millis

    from chalicelib.local.moto_main import fast_unix_time_millis

    moment = datetime.datetime(2024, 2, 29, 23, 59, 58, 123456)
    assert fast_unix_time_millis(moment) == pytest.approx(unix_time_millis(moment), abs=1e-6)
    before = unix_time_millis()
    now = fast_unix_time_millis()
    assert before - 1 <= now <= unix_time_millis() + 1


def test_visibility_and_counts_still_follow_the_clock(moto_server: MotoServer) -> None:
    """Through the patched server: an in-flight message is counted as such and comes back
    when its visibility timeout ends."""
    sqs = client(moto_server, "sqs")
    url = sqs.create_queue(QueueName=f"clock-{free_port()}")["QueueUrl"]
    for body in ("a", "b"):
        sqs.send_message(QueueUrl=url, MessageBody=body)
    first = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=1, VisibilityTimeout=1)
    attrs = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]
    assert attrs["ApproximateNumberOfMessages"] == "1"
    assert attrs["ApproximateNumberOfMessagesNotVisible"] == "1"
    time.sleep(1.2)
    again = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10)["Messages"]
    assert sorted(m["Body"] for m in again) == ["a", "b"]
    assert first["Messages"][0]["Body"] in {"a", "b"}
