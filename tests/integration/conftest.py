"""The integration tests' harness: the real app over PostgreSQL, moto and the local runner."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from chalice.test import Client

from app import app
from chalicelib.container import Container
from chalicelib.local.runner import EventSourceRunner
from chalicelib.pipeline import STAGES
from chalicelib.services.bootstrap import ensure_first_admin
from tests.support.cli import Cli, skyroll_cli
from tests.support.harness import Harness


@pytest.fixture
def harness(aws_container: Container) -> Iterator[Harness]:
    ensure_first_admin(aws_container)
    runner = EventSourceRunner(STAGES, aws_container.sqs, aws_container.settings)
    with Client(app) as client:
        yield Harness(client, aws_container, runner)


@pytest.fixture
def skyroll(harness: Harness, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Cli:
    """The ``skyroll`` command against this folder's harness (tests/support/cli.py)."""
    return skyroll_cli(harness, tmp_path / "config", monkeypatch)
