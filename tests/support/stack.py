"""Starts the local stack exactly as ``make dev`` does, on free ports and a scratch state dir."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from chalicelib.local.devstack import READY_LINE
from chalicelib.settings import REPO_ROOT
from tests.support import timeouts

ADMIN_EMAIL = "admin@e2e.test"
ADMIN_PASSWORD = "e2e-admin-password"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def port_open(port: int) -> bool:
    with socket.socket() as s:
        s.settimeout(0.5)
        return s.connect_ex(("127.0.0.1", port)) == 0


@dataclass
class Stack:
    url: str
    env: dict[str, str]
    state_dir: Path
    ports: dict[str, int]
    output: list[str] = field(default_factory=list)

    @property
    def web_url(self) -> str:
        """The web client (served by the stack when web/build exists), /api/* proxied."""
        return f"http://127.0.0.1:{self.ports['web']}"


@contextmanager
def running_stack(extra_env: dict[str, str] | None = None) -> Iterator[Stack]:
    state = REPO_ROOT / ".skyroll" / f"e2e-{uuid.uuid4().hex[:8]}"
    ports = {"api": free_port(), "pg": free_port(), "moto": free_port(), "web": free_port()}
    env = {
        **os.environ,
        "SKYROLL_STATE_DIR": str(state),
        "SKYROLL_LOCAL_API_PORT": str(ports["api"]),
        "SKYROLL_LOCAL_PG_PORT": str(ports["pg"]),
        "SKYROLL_LOCAL_MOTO_PORT": str(ports["moto"]),
        "SKYROLL_LOCAL_WEB_PORT": str(ports["web"]),
        "SKYROLL_PUBLIC_URL": f"http://127.0.0.1:{ports['api']}",
        "SKYROLL_ADMIN_EMAIL": ADMIN_EMAIL,
        "SKYROLL_ADMIN_PASSWORD": ADMIN_PASSWORD,
        "PYTHONUNBUFFERED": "1",
        **(extra_env or {}),
    }
    for key in ("SKYROLL_DATABASE_URL", "SKYROLL_AWS_ENDPOINT_URL"):
        env.pop(key, None)
    proc = subprocess.Popen(
        [sys.executable, "-m", "chalicelib.local.devstack"],
        cwd=REPO_ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    stack = Stack(f"http://127.0.0.1:{ports['api']}", env, state, ports)
    ready = threading.Event()

    def pump() -> None:
        assert proc.stdout is not None
        for line in proc.stdout:
            stack.output.append(line.rstrip())
            if READY_LINE in line:
                ready.set()

    threading.Thread(target=pump, daemon=True).start()
    try:
        limit = timeouts.stack_start()
        deadline = time.monotonic() + limit
        while not ready.wait(0.5):
            if proc.poll() is not None:
                raise RuntimeError("stack exited:\n" + "\n".join(stack.output[-40:]))
            if time.monotonic() > deadline:
                raise RuntimeError(
                    f"stack not ready after {limit:.0f} s (SKYROLL_TEST_STACK_START_SECONDS):\n"
                    + "\n".join(stack.output[-40:])
                )
        child_env = {
            **env,
            "SKYROLL_DATABASE_URL": f"postgresql://postgres@127.0.0.1:{ports['pg']}/skyroll",
            "SKYROLL_AWS_ENDPOINT_URL": f"http://127.0.0.1:{ports['moto']}",
            "AWS_ACCESS_KEY_ID": "testing",
            "AWS_SECRET_ACCESS_KEY": "testing",
        }
        stack.env = child_env
        yield stack
    finally:
        proc.send_signal(signal.SIGINT)
        try:
            proc.wait(timeout=40)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        shutil.rmtree(state, ignore_errors=True)
