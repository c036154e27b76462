"""Starts LocalStack without Docker (its own venv, see mk/infra.mk) with S3 signature checks
on, and creates Skyroll's resources with the same bootstrap as the local stack."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]
START_TIMEOUT_S = 180


# Where `make localstack-venv` installs it (its own Python 3.13 venv, mk/infra.mk).
LOCALSTACK_VENV_PYTHON = REPO_ROOT / ".skyroll" / "localstack-venv" / "bin" / "python"


def _python() -> Path | None:
    """LocalStack's interpreter when it is installed on this machine: the one
    SKYROLL_LOCALSTACK_PYTHON names, else the venv `make localstack-venv` made. `make test`
    runs this lane whenever one exists and skips it, saying why, when none does."""
    configured = os.environ.get("SKYROLL_LOCALSTACK_PYTHON")
    if configured:
        return Path(configured) if Path(configured).exists() else None
    # The venv counts once its install finished (the Makefile's stamp), not half-made.
    venv = LOCALSTACK_VENV_PYTHON.parent.parent
    done = any(venv.glob(".installed-*"))
    return LOCALSTACK_VENV_PYTHON if done and LOCALSTACK_VENV_PYTHON.exists() else None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="session")
def localstack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    python = _python()
    if python is None:
        pytest.skip(
            "LocalStack is not installed on this machine: `make localstack-venv` (needs "
            "Python 3.13) installs it; then `make test` runs this lane too"
        )
    port = _free_port()
    # Not the repo root: its localstack/ folder would shadow the localstack package.
    workdir = tmp_path_factory.mktemp("localstack")
    env = {
        **os.environ,
        "GATEWAY_LISTEN": f"127.0.0.1:{port}",
        "SERVICES": "s3,sqs,sns",
        "S3_SKIP_SIGNATURE_VALIDATION": "0",
        "LOCALSTACK_VOLUME_DIR": str(workdir / "vol"),
        "FILESYSTEM_ROOT": str(workdir / "fs"),
    }
    log = (workdir / "localstack.log").open("wb")
    proc = subprocess.Popen(
        [str(python), "-m", "localstack.runtime.main"],
        cwd=workdir,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    endpoint = f"http://127.0.0.1:{port}"
    try:
        _wait_ready(endpoint, proc, workdir / "localstack.log")
        yield endpoint
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
        log.close()


def _wait_ready(endpoint: str, proc: subprocess.Popen, log: Path) -> None:
    deadline = time.monotonic() + START_TIMEOUT_S
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"LocalStack exited:\n{log.read_text()[-3000:]}")
        try:
            health = httpx.get(f"{endpoint}/_localstack/health", timeout=2).json()
            if health.get("services", {}).get("s3") in ("available", "running"):
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.5)
    raise RuntimeError(f"LocalStack not ready in {START_TIMEOUT_S}s:\n{log.read_text()[-3000:]}")
