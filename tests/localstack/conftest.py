"""Starts LocalStack without Docker (its own venv, see mk/infra.mk) with S3 signature checks
on, and creates Skyroll's resources with the same bootstrap as the local stack."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from chalicelib.local.localstack import installed_python, start


@pytest.fixture(scope="session")
def localstack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    python = installed_python()
    if python is None:
        pytest.skip(
            "LocalStack is not installed on this machine: `make localstack-venv` (needs "
            "Python 3.13) installs it; then `make test` runs this lane too"
        )
    stack = start(python, tmp_path_factory.mktemp("localstack"))
    try:
        yield stack.endpoint
    finally:
        stack.stop()
