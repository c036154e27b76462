"""``make dev-localstack``: the local stack on LocalStack instead of moto.

Starts LocalStack without Docker from its own venv (``make localstack-venv``, Python 3.13)
with S3 signature validation on, so presigned PUTs are checked as AWS checks them
(signature, expiry, Content-Type, SHA-256), then runs ``make dev``'s stack against it
(``SKYROLL_AWS_ENDPOINT_URL``: the stack skips moto when it is set). Ctrl-C stops both.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx

REPO_ROOT = Path(__file__).resolve().parent.parent
PYTHON = REPO_ROOT / ".skyroll" / "localstack-venv" / "bin" / "python"
START_TIMEOUT_S = 180


def _port() -> int:
    configured = os.environ.get("SKYROLL_LOCALSTACK_PORT")
    if configured:
        return int(configured)
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start(state: Path) -> tuple[subprocess.Popen, str]:
    port = _port()
    state.mkdir(parents=True, exist_ok=True)
    env = {
        **os.environ,
        "GATEWAY_LISTEN": f"127.0.0.1:{port}",
        "SERVICES": "s3,sqs,sns",
        "S3_SKIP_SIGNATURE_VALIDATION": "0",
        "LOCALSTACK_VOLUME_DIR": str(state / "vol"),
        "FILESYSTEM_ROOT": str(state / "fs"),
    }
    log = (state / "localstack.log").open("wb")
    # cwd: not the repo root, whose localstack/ folder would shadow the package.
    proc = subprocess.Popen(
        [str(PYTHON), "-m", "localstack.runtime.main"],
        cwd=state,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    endpoint = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + START_TIMEOUT_S
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"LocalStack exited; see {state / 'localstack.log'}")
        try:
            health = httpx.get(f"{endpoint}/_localstack/health", timeout=2).json()
            if health.get("services", {}).get("s3") in ("available", "running"):
                return proc, endpoint
        except httpx.HTTPError:
            pass
        time.sleep(0.5)
    os.killpg(proc.pid, signal.SIGTERM)
    raise SystemExit(f"LocalStack not ready in {START_TIMEOUT_S} s; see {state}/localstack.log")


def main() -> int:
    if not PYTHON.exists():
        print("LocalStack is not installed: run `make localstack-venv` (Python 3.13)")
        return 2
    state = REPO_ROOT / ".skyroll" / "localstack-dev"
    proc, endpoint = start(state)
    print(f"LocalStack on {endpoint} (signatures enforced); logs in {state}", flush=True)
    env = {
        **os.environ,
        "SKYROLL_AWS_ENDPOINT_URL": endpoint,
        "AWS_ACCESS_KEY_ID": os.environ.get("AWS_ACCESS_KEY_ID", "test"),
        "AWS_SECRET_ACCESS_KEY": os.environ.get("AWS_SECRET_ACCESS_KEY", "test"),
    }
    try:
        return subprocess.run(
            [sys.executable, "-m", "chalicelib.local.devstack"], env=env, check=False
        ).returncode
    except KeyboardInterrupt:
        return 0
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)


if __name__ == "__main__":
    sys.exit(main())
