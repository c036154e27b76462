"""The organize tests' harness (tests.support.organize)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace

import pytest
from chalice.test import Client

from app import app
from chalicelib.container import Container
from chalicelib.local.runner import EventSourceRunner
from chalicelib.pipeline import STAGES
from chalicelib.services.bootstrap import ensure_first_admin
from tests.support.harness import Harness


@pytest.fixture
def harness(aws_container: Container) -> Iterator[Harness]:
    """tests/integration's Harness with the stages' batching windows closed: the same handlers
    and message flow, without waiting a second per stage per drain round."""
    ensure_first_admin(aws_container)
    stages = tuple(replace(s, batching_window_seconds=0) for s in STAGES)
    runner = EventSourceRunner(stages, aws_container.sqs, aws_container.settings)
    with Client(app) as client:
        yield Harness(client, aws_container, runner)
