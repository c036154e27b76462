"""The moto server is a child process we start, reach over HTTP, and stop by PID."""

from __future__ import annotations

import os

import boto3
import pytest

from chalicelib.local.moto_server import MotoServer, free_port, port_in_use


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
    sqs = boto3.client(
        "sqs",
        endpoint_url=server.endpoint_url,
        region_name="us-east-1",
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )
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
        s3 = boto3.client(
            "s3",
            endpoint_url=server.endpoint_url,
            region_name="us-east-1",
            aws_access_key_id="testing",
            aws_secret_access_key="testing",
        )
        s3.create_bucket(Bucket="kept-until-reset")
        assert [b["Name"] for b in s3.list_buckets()["Buckets"]] == ["kept-until-reset"]
        server.reset()
        assert s3.list_buckets()["Buckets"] == []
    assert not server.is_running()
