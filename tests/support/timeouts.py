"""How long tests wait on the running stack: generous, because the machine may be running
other suites and benchmarks at once (a first smart search loads its models; a stack start
migrates a fresh database), yet finite, so a real hang still fails the test, naming what
it waited for. Each can be set in the environment, in seconds:

- ``SKYROLL_TEST_STACK_START_SECONDS`` (default 300): ``make dev``'s stack until it is ready
  (a stack process that exits fails at once, whatever this says);
- ``SKYROLL_TEST_REQUEST_SECONDS`` (default 120): one HTTP request to the stack;
- ``SKYROLL_TEST_PIPELINE_SECONDS`` (default 300): the running stack's workers until a few
  uploaded files are processed (every stage, models loaded on the first batch).
"""

from __future__ import annotations

import os


def seconds(name: str, default: float) -> float:
    """``name`` from the environment (a positive number of seconds), else ``default``."""
    raw = os.environ.get(name, "").strip()
    if not raw:
        return default
    try:
        value = float(raw)
    except ValueError:
        raise ValueError(f"{name}={raw!r}: expected a number of seconds") from None
    if not 0 < value < float("inf"):
        raise ValueError(f"{name}={raw!r}: expected a positive, finite number of seconds")
    return value


def stack_start() -> float:
    return seconds("SKYROLL_TEST_STACK_START_SECONDS", 300)


def request() -> float:
    return seconds("SKYROLL_TEST_REQUEST_SECONDS", 120)


def pipeline() -> float:
    return seconds("SKYROLL_TEST_PIPELINE_SECONDS", 300)
