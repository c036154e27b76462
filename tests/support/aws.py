"""moto-backed AWS clients, and stages made for the runner's tests."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from chalicelib.pipeline import S3_ORIGINAL, Stage


@dataclass(frozen=True)
class Aws:
    s3: Any
    sqs: Any
    sns: Any


def make_stage(name: str, trigger: str = S3_ORIGINAL, **overrides: Any) -> Stage:
    """A stage whose handler the test injects through ``resolve`` (the path is never imported)."""
    return Stage(name=name, trigger=trigger, handler=f"tests.runner.injected:{name}", **overrides)
