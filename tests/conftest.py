"""Shared fixtures: a real PostgreSQL + pgvector per test worker, a fresh database per test
(copied from a migrated template), and a container pointed at it."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest

from chalicelib.container import Container, use_container
from chalicelib.db import migrate
from chalicelib.local.pgserver import LocalPostgres
from chalicelib.settings import REPO_ROOT, Settings
from tests.support.postgres import TEMPLATE_DB, free_port


@pytest.fixture(scope="session")
def postgres(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalPostgres]:
    worker = os.environ.get("PYTEST_XDIST_WORKER", "main")
    data_dir = REPO_ROOT / ".skyroll" / "test-pg" / f"{worker}-{os.getpid()}"
    server = LocalPostgres(data_dir, free_port(), database=TEMPLATE_DB)
    server.start()
    migrate.apply(server.dsn)
    yield server
    server.stop()
    import shutil

    shutil.rmtree(data_dir, ignore_errors=True)


@pytest.fixture
def database_url(postgres: LocalPostgres) -> Iterator[str]:
    name = f"t_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(postgres.admin_dsn, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}" TEMPLATE "{TEMPLATE_DB}"')
    yield f"postgresql://postgres@127.0.0.1:{postgres.port}/{name}"
    postgres.drop_database(name)


@pytest.fixture
def settings(database_url: str, tmp_path: Path) -> Settings:
    return Settings(
        database_url=database_url,
        admin_email="admin@example.com",
        admin_password="admin-password-1",
        throttle_free_attempts=3,
        throttle_base_delay_seconds=60,
        state_dir=tmp_path,
        public_url="http://testserver",
    )


@pytest.fixture
def container(settings: Settings) -> Iterator[Container]:
    c = Container(settings)
    use_container(c)
    yield c
    use_container(None)
    c.close()


@pytest.fixture(scope="session")
def moto_endpoint() -> Iterator[str]:
    from chalicelib.local.moto_server import MotoServer

    os.environ.setdefault("AWS_ACCESS_KEY_ID", "testing")
    os.environ.setdefault("AWS_SECRET_ACCESS_KEY", "testing")
    server = MotoServer(free_port()).start()
    yield server.endpoint_url
    server.stop()


@pytest.fixture
def aws_container(settings: Settings, moto_endpoint: str) -> Iterator[Container]:
    """A container on real PostgreSQL and moto, with this test's own bucket and queues."""
    from chalicelib.local.aws import bootstrap

    suffix = uuid.uuid4().hex[:8]
    own = settings.model_copy(
        update={
            "aws_endpoint_url": moto_endpoint,
            "bucket": f"skyroll-{suffix}",
            "queue_prefix": f"t{suffix}-",
            "uploads_topic": f"t{suffix}-uploads",
            "multipart_threshold_bytes": 6 * 1024 * 1024,
            "multipart_part_size_bytes": 5 * 1024 * 1024,
        }
    )
    c = Container(own)
    bootstrap(own, c.s3, c.sqs, c.sns, visibility_timeout_override=2)
    use_container(c)
    yield c
    use_container(None)
    c.close()
