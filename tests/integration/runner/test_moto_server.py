"""The moto server is a child process we start, reach over HTTP, and stop by PID."""

from __future__ import annotations

import datetime
import os
import time
from typing import Any

import boto3
import pytest

from chalicelib.local.moto_server import MotoServer, free_port, port_in_use
from tests.support import timeouts


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


# --- keep-alive ------------------------------------------------------------------------
def _pool(boto_client: Any, server: MotoServer) -> Any:
    """The urllib3 pool a boto3 client uses for the server's endpoint."""
    manager = boto_client._endpoint.http_session._manager
    return manager.connection_from_url(server.endpoint_url)


def test_a_second_request_reuses_the_connection(moto_server: MotoServer) -> None:
    import http.client

    conn = http.client.HTTPConnection("127.0.0.1", moto_server.port, timeout=timeouts.request())
    try:
        bucket = f"keep-{free_port()}"
        conn.request("PUT", f"/{bucket}")
        first = conn.getresponse()
        first.read()
        sock = conn.sock
        assert first.status == 200 and not first.will_close
        assert first.getheader("Connection") is None

        # A body on the kept connection, then a read of it: nothing of the PUT's body may be
        # left on the socket in front of the next request line.
        public = {"x-amz-acl": "public-read"}  # unsigned requests: anonymous reads
        conn.request("PUT", f"/{bucket}/k", body=b"x" * 300_000, headers=public)
        put = conn.getresponse()
        put.read()
        conn.request("GET", f"/{bucket}/k")
        got = conn.getresponse()
        body = got.read()
        conn.request("HEAD", f"/{bucket}/k")
        head = conn.getresponse()
        head.read()
    finally:
        conn.close()
    assert put.status == 200 and got.status == 200 and head.status == 200
    assert body == b"x" * 300_000
    assert got.getheader("Content-Length") == "300000"
    assert head.getheader("Content-Length") == "300000"
    assert conn.sock is None  # closed by us, not by the server, after four requests on it
    assert sock is not None and sock.fileno() == -1


def test_boto3_keeps_one_connection_for_s3_sqs_and_sns(moto_server: MotoServer) -> None:
    """The pipeline's requests, one client each, over a single kept connection: object
    bytes, multipart parts and a message fanned out through SNS all come back intact."""
    s3, sqs, sns = (client(moto_server, service) for service in ("s3", "sqs", "sns"))
    bucket = f"keep-{free_port()}"
    s3.create_bucket(Bucket=bucket)
    payload = os.urandom(1_500_000)
    for i in range(5):
        s3.put_object(Bucket=bucket, Key=f"o{i}", Body=payload[i:])
        assert s3.get_object(Bucket=bucket, Key=f"o{i}")["Body"].read() == payload[i:]
        assert s3.head_object(Bucket=bucket, Key=f"o{i}")["ContentLength"] == len(payload) - i
    upload = s3.create_multipart_upload(Bucket=bucket, Key="parts")["UploadId"]
    parts = [
        s3.upload_part(Bucket=bucket, Key="parts", UploadId=upload, PartNumber=n, Body=body)
        for n, body in ((1, b"a" * 5 * 1024 * 1024), (2, b"tail"))
    ]
    s3.complete_multipart_upload(
        Bucket=bucket,
        Key="parts",
        UploadId=upload,
        MultipartUpload={
            "Parts": [{"PartNumber": n + 1, "ETag": p["ETag"]} for n, p in enumerate(parts)]
        },
    )
    assert s3.get_object(Bucket=bucket, Key="parts")["Body"].read() == b"a" * 5 * 1024**2 + b"tail"

    queue = sqs.create_queue(QueueName=bucket)["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=queue, AttributeNames=["QueueArn"])["Attributes"]
    topic = sns.create_topic(Name=bucket)["TopicArn"]
    sns.subscribe(
        TopicArn=topic,
        Protocol="sqs",
        Endpoint=arn["QueueArn"],
        Attributes={"RawMessageDelivery": "true"},
    )
    for i in range(12):
        sns.publish(TopicArn=topic, Message=f"event {i}")
    bodies: list[str] = []
    while len(bodies) < 12:
        got = sqs.receive_message(QueueUrl=queue, MaxNumberOfMessages=10, WaitTimeSeconds=1)
        bodies += [m["Body"] for m in got.get("Messages", [])]
    assert sorted(bodies) == sorted(f"event {i}" for i in range(12))

    for boto_client, requests in ((s3, 19), (sqs, 3), (sns, 14)):
        pool = _pool(boto_client, moto_server)
        assert pool.num_requests >= requests
        assert pool.num_connections == 1, (pool.num_connections, pool.num_requests)


def test_the_cached_dispatch_finds_the_backends_motos_own_finds() -> None:
    from moto.moto_server.werkzeug_app import DomainDispatcherApplication, create_backend_app

    from chalicelib.local.moto_main import CachedDispatcher

    stock, cached = (
        cls(create_backend_app) for cls in (DomainDispatcherApplication, CachedDispatcher)
    )
    hosts = [f"{s}.us-east-1.amazonaws.com" for s in ("s3", "sqs", "sns")] + ["moto_api", None]
    for host in hosts * 2:  # the second round answers from the cache
        assert cached.get_backend_for_host(host) == stock.get_backend_for_host(host)
    assert [cached.get_backend_for_host(h) for h in hosts[:3]] == ["s3", "sqs", "sns"]
