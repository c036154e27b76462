"""A moto server (S3, SQS, SNS) on 127.0.0.1:PORT, run as a child process we own by PID.

A subprocess rather than moto's in-process ``ThreadedMotoServer``: ``chalice local``, the
event-source runner and the tests all reach it over real HTTP, exactly as they would reach
LocalStack or AWS, and stopping it is a signal to one PID. On Linux the child also gets
``PR_SET_PDEATHSIG`` so it dies with us even if we are killed without cleaning up.
"""

from __future__ import annotations

import contextlib
import ctypes
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path
from types import TracebackType
from typing import IO, Self

DEFAULT_PORT = 5000
_PR_SET_PDEATHSIG = 1


def free_port() -> int:
    """A TCP port nobody listens on right now (the kernel picks it)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def port_in_use(port: int, host: str = "127.0.0.1") -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.settimeout(0.5)
        return sock.connect_ex((host, port)) == 0


def _die_with_parent() -> None:
    # Runs in the child between fork and exec: ask the kernel to SIGTERM it when we die.
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)


class MotoServer:
    """``MotoServer(port).start()`` … ``.stop()``; also a context manager.

    ``log_path`` receives moto's request log (werkzeug prints one line per request);
    without it the output is discarded.
    """

    def __init__(
        self,
        port: int = DEFAULT_PORT,
        *,
        host: str = "127.0.0.1",
        log_path: Path | None = None,
        startup_timeout: float = 30.0,
    ) -> None:
        self.port = port
        self.host = host
        self.log_path = log_path
        self.startup_timeout = startup_timeout
        self._process: subprocess.Popen[bytes] | None = None
        self._log: IO[bytes] | None = None

    @property
    def endpoint_url(self) -> str:
        return f"http://{self.host}:{self.port}"

    @property
    def pid(self) -> int | None:
        return self._process.pid if self._process else None

    def is_running(self) -> bool:
        return self._process is not None and self._process.poll() is None

    def start(self) -> Self:
        if self.is_running():
            return self
        if port_in_use(self.port, self.host):
            raise RuntimeError(f"cannot start moto: port {self.port} is already in use")
        self._log = self.log_path.open("ab") if self.log_path else None
        self._process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "chalicelib.local.moto_main",
                "-H",
                self.host,
                "-p",
                str(self.port),
            ],
            stdin=subprocess.DEVNULL,
            stdout=self._log or subprocess.DEVNULL,
            stderr=subprocess.STDOUT,
            preexec_fn=_die_with_parent if sys.platform == "linux" else None,
        )
        try:
            self._wait_until_answering()
        except BaseException:
            self.stop()
            raise
        return self

    def _wait_until_answering(self) -> None:
        deadline = time.monotonic() + self.startup_timeout
        while time.monotonic() < deadline:
            if self._process is None or self._process.poll() is not None:
                code = self._process.returncode if self._process else None
                raise RuntimeError(f"moto server exited during startup (code {code})")
            if self.answers():
                return
            time.sleep(0.1)
        raise RuntimeError(f"moto server did not answer on {self.endpoint_url} in time")

    def answers(self) -> bool:
        try:
            # moto's own management API: answers once every backend is importable.
            url = f"{self.endpoint_url}/moto-api/data.json"
            with urllib.request.urlopen(url, timeout=2) as response:  # noqa: S310 - local URL
                return bool(response.status == 200)
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            return False

    def reset(self) -> None:
        """Forget every bucket, queue and topic (moto's reset endpoint)."""
        url = f"{self.endpoint_url}/moto-api/reset"
        request = urllib.request.Request(url, method="POST")  # noqa: S310 - our own local URL
        with urllib.request.urlopen(request, timeout=10):  # noqa: S310
            pass

    def stop(self, timeout: float = 10.0) -> None:
        process, self._process = self._process, None
        if process is not None and process.poll() is None:
            process.terminate()  # moto exits cleanly on SIGTERM
            try:
                process.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=timeout)
        if self._log is not None:
            self._log.close()
            self._log = None

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()


def main() -> None:
    """``python -m chalicelib.local.moto_server [PORT]``: run in the foreground until Ctrl-C."""
    port = int(sys.argv[1]) if len(sys.argv) > 1 else DEFAULT_PORT
    server = MotoServer(port).start()
    print(f"moto listening on {server.endpoint_url} (pid {server.pid}); Ctrl-C stops it")
    try:
        while server.is_running():
            time.sleep(0.5)
    except KeyboardInterrupt:
        pass
    finally:
        server.stop()


if __name__ == "__main__":
    main()
