"""The deployed shape on the local stack: every function from its artifact (layers/artifacts.py),
one warm process each, the event-source runner feeding the workers, API Gateway's proxy in
front of the API, and the Lambda Invoke API in front of the functions the API calls."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import boto3
import psycopg
import pytest

from chalicelib.local.aws import bootstrap
from chalicelib.local.runner import EventSourceRunner
from chalicelib.pipeline import STAGES, Stage
from chalicelib.settings import Settings
from layers.artifacts import Build, FunctionArtifact, build
from tests.artifacts.lane import (
    FunctionHost,
    Gateway,
    LambdaApi,
    LocalNames,
    api_routes,
    function_env,
    snapshot,
)

REGION = "us-east-1"


@pytest.fixture(scope="session")
def artifacts() -> Build:
    return build()


@dataclass
class Lane:
    build: Build
    names: LocalNames
    dsn: str
    moto: str
    tmp: Path
    hosts: dict[str, FunctionHost] = field(default_factory=dict)
    lambda_api: LambdaApi | None = None
    before: dict[str, tuple[int, int]] = field(default_factory=dict)

    def host(self, name: str) -> FunctionHost:
        """The function's warm environment, started (its cold start) on first use."""
        if name not in self.hosts:
            artifact = self.build.functions[name]
            assert self.lambda_api is not None
            tmp = self.tmp / name
            env = function_env(
                artifact,
                self.names.refs(self.build.template),
                moto=self.moto,
                lambda_api=self.lambda_api.endpoint_url,
                tmp=tmp,
            )
            self.hosts[name] = FunctionHost(artifact, env, tmp, self.tmp / f"{name}.log")
        return self.hosts[name]

    def artifact(self, name: str) -> FunctionArtifact:
        return self.build.functions[name]

    def env_of(self, name: str) -> dict[str, str]:
        artifact = self.build.functions[name]
        return {
            k: v
            for k, v in function_env(
                artifact,
                self.names.refs(self.build.template),
                moto=self.moto,
                lambda_api="",
                tmp=self.tmp,
            ).items()
            if k.startswith("SKYROLL_")
        }

    def settings(self) -> Settings:
        """The settings the deployed functions build from their environment."""
        env = self.env_of("api")
        return Settings(
            queue_prefix=env["SKYROLL_QUEUE_PREFIX"],
            uploads_topic=env["SKYROLL_UPLOADS_TOPIC"],
            bucket=env["SKYROLL_BUCKET"],
            aws_region=REGION,
            aws_endpoint_url=self.moto,
            database_url=self.dsn,
        )

    def runner(self) -> EventSourceRunner:
        """Lambda's SQS event source mappings, invoking each stage's deployed function."""
        settings = self.settings()
        sqs = boto3.client("sqs", region_name=REGION, endpoint_url=self.moto)
        prefix = settings.queue_prefix

        def resolve(stage: Stage) -> Any:
            host = self.host(f"{prefix}{stage.name}")
            return lambda event, context: host.invoke(event)

        return EventSourceRunner(STAGES, sqs, settings, resolve, poll_wait_seconds=1)

    def gateway(self) -> Gateway:
        return Gateway(self.host("api"), api_routes(self.build.template), "api")


@pytest.fixture(scope="module")
def lane(
    artifacts: Build, postgres: Any, moto_endpoint: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Lane]:
    # An empty database: the migration function makes the schema.
    database = f"a_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(postgres.admin_dsn, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{database}"')
    dsn = f"postgresql://postgres@127.0.0.1:{postgres.port}/{database}"
    # Functions find the database the way they do in AWS: through the cluster's secret.
    secrets = boto3.client("secretsmanager", region_name=REGION, endpoint_url=moto_endpoint)
    secret = secrets.create_secret(
        Name=f"artifact-lane-{database}",
        SecretString=json.dumps(
            {
                "username": "postgres",
                "password": "",
                "host": "127.0.0.1",
                "port": postgres.port,
                "dbname": database,
            }
        ),
    )
    bucket = f"skyroll-artifacts-{uuid.uuid4().hex[:8]}"
    names = LocalNames(region=REGION, bucket=bucket, secret_arn=secret["ARN"])
    lane = Lane(artifacts, names, dsn, moto_endpoint, tmp_path_factory.mktemp("lambda-tmp"))
    settings = lane.settings()
    session = boto3.session.Session(region_name=REGION)
    clients = [session.client(s, endpoint_url=moto_endpoint) for s in ("s3", "sqs", "sns")]
    resources = bootstrap(settings, *clients, visibility_timeout_override=5)
    names.topic_arn = resources.topic_arn
    lane.lambda_api = LambdaApi(
        lambda name: lane.host(name) if name in artifacts.functions else None
    )
    lane.before = snapshot(_code_dirs(artifacts))
    yield lane
    for host in lane.hosts.values():
        host.close()
    lane.lambda_api.close()
    postgres.drop_database(database)


def _code_dirs(artifacts: Build) -> tuple[Path, ...]:
    dirs = {p for fn in artifacts.functions.values() for p in fn.code_dirs}
    return tuple(sorted(dirs))
