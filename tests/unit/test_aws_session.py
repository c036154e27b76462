"""Each container resolves AWS credentials in its own boto3 session. chalice's test client
runs a request on a copy of ``os.environ``: a credential chain first built during one (as
boto3's process-wide default session would be) reads that copy for good, and credentials
set afterwards never reach it."""

from __future__ import annotations

from pathlib import Path

import boto3
import pytest
from chalice import Chalice
from chalice.test import Client

from chalicelib.container import Container
from chalicelib.settings import Settings


def _container() -> Container:
    return Container(Settings(aws_region="eu-west-1", aws_endpoint_url=""))


def test_credentials_set_after_a_request_reach_the_next_container(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    # Given no credentials anywhere, and boto3's default session not built yet
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "none"))
    monkeypatch.setattr(boto3, "DEFAULT_SESSION", None)
    app = Chalice("env-probe")

    @app.route("/")
    def index() -> dict[str, str]:
        # A client built during a request, on the copied environment.
        return {"region": _container().s3.meta.region_name}

    with Client(app) as client:
        assert client.http.get("/").status_code == 200
    # When credentials are set afterwards (as the moto fixture does)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIDAFTER")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "secret-after")
    # Then the next container signs with them
    url = _container().s3.generate_presigned_url("get_object", Params={"Bucket": "b", "Key": "k"})
    assert "AKIDAFTER" in url
