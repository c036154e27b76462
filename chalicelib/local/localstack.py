"""LocalStack without Docker, for ``make dev-localstack`` and the LocalStack test lane.

It runs from its own venv (``make localstack-venv``, Python 3.13: localstack-core needs it)
with S3 signature validation on, so presigned PUTs are checked as AWS checks them
(signature, expiry, Content-Type, SHA-256). One start and one stop for both users.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

import httpx

REPO_ROOT = Path(__file__).resolve().parents[2]
# Where `make localstack-venv` installs it (mk/infra.mk).
VENV_PYTHON = REPO_ROOT / ".skyroll" / "localstack-venv" / "bin" / "python"
START_TIMEOUT_S = 180


class LocalStackError(RuntimeError):
    """LocalStack exited or did not answer in time; the message ends with its log."""


def installed_python() -> Path | None:
    """LocalStack's interpreter when it is installed: the one SKYROLL_LOCALSTACK_PYTHON names,
    else the venv `make localstack-venv` made, once its install finished (the Makefile's
    stamp), not half-made."""
    configured = os.environ.get("SKYROLL_LOCALSTACK_PYTHON")
    if configured:
        return Path(configured) if Path(configured).exists() else None
    done = any(VENV_PYTHON.parent.parent.glob(".installed-*"))
    return VENV_PYTHON if done and VENV_PYTHON.exists() else None


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class LocalStack:
    """A running LocalStack: its endpoint, its process group, its log."""

    proc: subprocess.Popen[bytes]
    endpoint: str
    log: Path

    def stop(self) -> None:
        os.killpg(self.proc.pid, signal.SIGTERM)
        try:
            self.proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait(timeout=20)


def start(python: Path, state: Path, port: int | None = None) -> LocalStack:
    """Starts LocalStack (S3, SQS, SNS; signatures enforced) with its files under ``state``
    and waits until S3 answers. Raises LocalStackError, having stopped it, when it cannot."""
    port = port or free_port()
    state.mkdir(parents=True, exist_ok=True)
    env = {
        **os.environ,
        "GATEWAY_LISTEN": f"127.0.0.1:{port}",
        "SERVICES": "s3,sqs,sns",
        "S3_SKIP_SIGNATURE_VALIDATION": "0",
        "LOCALSTACK_VOLUME_DIR": str(state / "vol"),
        "FILESYSTEM_ROOT": str(state / "fs"),
    }
    log = state / "localstack.log"
    with log.open("wb") as out:
        # cwd: not the repo root, whose localstack/ folder would shadow the package.
        proc = subprocess.Popen(
            [str(python), "-m", "localstack.runtime.main"],
            cwd=state,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    running = LocalStack(proc, f"http://127.0.0.1:{port}", log)
    try:
        _wait_ready(running)
    except LocalStackError:
        if proc.poll() is None:
            running.stop()
        raise
    return running


def _wait_ready(stack: LocalStack) -> None:
    deadline = time.monotonic() + START_TIMEOUT_S
    while time.monotonic() < deadline:
        if stack.proc.poll() is not None:
            raise LocalStackError(f"LocalStack exited:\n{_tail(stack.log)}")
        try:
            health = httpx.get(f"{stack.endpoint}/_localstack/health", timeout=2).json()
            if health.get("services", {}).get("s3") in ("available", "running"):
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.5)
    raise LocalStackError(f"LocalStack not ready in {START_TIMEOUT_S} s:\n{_tail(stack.log)}")


def _tail(log: Path) -> str:
    return log.read_text(errors="replace")[-3000:]
