"""ML stages end to end: real photos through upload -> ingest -> thumbnail -> faces ->
smart_search / duplicates -> the API, on real PostgreSQL + pgvector and moto."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from chalicelib.ml.paths import is_complete
from chalicelib.pipeline import STAGES
from chalicelib.settings import Settings
from tests.support.harness import Harness
from tests.support.ml import jpeg_bytes

# Running photos through every stage takes seconds: a module builds its library once
# (a fresh database, bucket and queues of its own) and its tests read it.


@pytest.fixture(scope="module")
def module_harness(postgres, moto_endpoint: str, tmp_path_factory) -> Iterator[Harness]:
    import psycopg
    from chalice.test import Client

    from app import app
    from chalicelib.container import Container, use_container
    from chalicelib.local.aws import bootstrap
    from chalicelib.local.runner import EventSourceRunner
    from chalicelib.services.bootstrap import ensure_first_admin
    from tests.support.postgres import TEMPLATE_DB

    suffix = uuid.uuid4().hex[:8]
    name = f"m_{suffix}"
    with psycopg.connect(postgres.admin_dsn, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}" TEMPLATE "{TEMPLATE_DB}"')
    settings = Settings(
        database_url=f"postgresql://postgres@127.0.0.1:{postgres.port}/{name}",
        admin_email="admin@example.com",
        admin_password="admin-password-1",
        state_dir=tmp_path_factory.mktemp("state"),
        public_url="http://testserver",
        aws_endpoint_url=moto_endpoint,
        bucket=f"skyroll-{suffix}",
        queue_prefix=f"m{suffix}-",
        uploads_topic=f"m{suffix}-uploads",
        # The sample set has two portraits per person: two similar faces make a person.
        people_min_faces=2,
    )
    c = Container(settings)
    bootstrap(settings, c.s3, c.sqs, c.sns, visibility_timeout_override=2)
    use_container(c)
    ensure_first_admin(c)
    runner = EventSourceRunner(STAGES, c.sqs, settings)
    with Client(app) as client:
        yield Harness(client, c, runner)
    use_container(None)
    c.close()
    postgres.drop_database(name)


@pytest.fixture(scope="session")
def models_root() -> Path:
    root = Settings().models_dir
    if not is_complete(root):
        pytest.skip(f"model cache missing at {root}: run `make models`")
    return root


@pytest.fixture(scope="session")
def photos(models_root: Path) -> dict[str, bytes]:
    """Real photos shipped in packages (scikit-image, scikit-learn via the model cache)."""
    import skimage.data

    found = {n: jpeg_bytes(getattr(skimage.data, n)()) for n in ("chelsea", "astronaut", "coffee")}
    for name in ("china", "flower"):
        found[name] = (models_root / "samples" / "photos" / f"{name}.jpg").read_bytes()
    return found


@pytest.fixture(scope="session")
def portraits(models_root: Path) -> dict[str, bytes]:
    """Public-domain portraits: person_a_* and person_b_* are one person each, years apart."""
    folder = models_root / "samples" / "faces"
    return {p.stem: p.read_bytes() for p in sorted(folder.glob("*.jpg"))}
