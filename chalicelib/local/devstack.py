"""``make dev``: the whole stack on this machine, no Docker.

PostgreSQL + pgvector (embedded), moto (S3/SQS/SNS), bootstrap + migrations + first admin,
the API under chalice's local server (``chalicelib.local.api_server``), the event-source
runner, and the web client (when built) on its own port with ``/api/*`` forwarded to the
API. Ctrl-C stops all of it.

Local state is reset on every start: moto keeps objects in memory, so keeping the database
would leave rows pointing at objects that no longer exist. (With SKYROLL_DATABASE_URL set to
your own database, nothing is dropped: you own that state.)
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path

from chalicelib.local.moto_server import MotoServer, _die_with_parent
from chalicelib.local.pgserver import LocalPostgres
from chalicelib.local.web import BUILD_DIR, WebServer
from chalicelib.settings import REPO_ROOT, Settings

READY_LINE = "Skyroll is up"


def _child_env(settings: Settings, dsn: str, endpoint: str) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        {
            "SKYROLL_DATABASE_URL": dsn,
            "SKYROLL_AWS_ENDPOINT_URL": endpoint,
            "SKYROLL_PUBLIC_URL": settings.public_url,
            "AWS_ACCESS_KEY_ID": env.get("AWS_ACCESS_KEY_ID", "testing"),
            "AWS_SECRET_ACCESS_KEY": env.get("AWS_SECRET_ACCESS_KEY", "testing"),
            "AWS_DEFAULT_REGION": settings.aws_region,
            "PYTHONUNBUFFERED": "1",
        }
    )
    return env


def _web_built() -> bool:
    return (BUILD_DIR / "index.html").is_file()


def _wait_http(url: str, timeout: float, proc: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"{proc.args!r} exited with {proc.returncode}")
        try:
            with urllib.request.urlopen(url, timeout=2):  # noqa: S310 - our own local URL
                return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError(f"{url} did not answer within {timeout:.0f} s")


def _stop(proc: subprocess.Popen[bytes] | None, timeout: float = 10.0) -> None:
    if proc is None or proc.poll() is not None:
        return
    proc.send_signal(signal.SIGINT)
    try:
        proc.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(timeout=timeout)


def web_origin(settings: Settings) -> str:
    return f"http://127.0.0.1:{settings.local_web_port}"


class DevStack:
    def __init__(self, settings: Settings) -> None:
        if "public_url" not in settings.model_fields_set and _web_built():
            # Sign-up and shared-link URLs open in the web client.
            settings = settings.model_copy(update={"public_url": web_origin(settings)})
        self.settings = settings
        self.web: WebServer | None = None
        self.state = Path(settings.state_dir)
        self.postgres: LocalPostgres | None = None
        self.moto: MotoServer | None = None
        self.procs: list[subprocess.Popen[bytes]] = []
        self.child_env: dict[str, str] = {}

    def start(self) -> None:
        s = self.settings
        self.state.mkdir(parents=True, exist_ok=True)
        dsn = s.database_url
        if not dsn:
            self.postgres = LocalPostgres(self.state / "pg", s.local_pg_port)
            self.postgres.start()
            self.postgres.drop_database(self.postgres.database)  # reset: see module docstring
            self.postgres.create_database(self.postgres.database)
            dsn = self.postgres.dsn
        endpoint = s.aws_endpoint_url
        if not endpoint:
            self.moto = MotoServer(s.local_moto_port, log_path=self.state / "moto.log").start()
            endpoint = self.moto.endpoint_url
        env = self.child_env = _child_env(s, dsn, endpoint)
        os.environ.update({k: env[k] for k in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY")})
        generated = self._prepare(dsn, endpoint)
        self._start_api(env)
        self._start_runner(env)
        if _web_built():
            self.web = WebServer(s.local_web_port, s.local_api_port).start()
        self._announce(generated)

    def _prepare(self, dsn: str, endpoint: str) -> str | None:
        from chalicelib.container import Container
        from chalicelib.db import migrate
        from chalicelib.local.aws import bootstrap, ensure_bucket
        from chalicelib.services.bootstrap import ensure_first_admin

        container = Container(
            self.settings.model_copy(update={"database_url": dsn, "aws_endpoint_url": endpoint})
        )
        try:
            # The browser PUTs uploads straight to the bucket from the web client's origin.
            origins = list(dict.fromkeys([self.settings.public_url, web_origin(self.settings)]))
            bootstrap(
                container.settings, container.s3, container.sqs, container.sns, cors_origins=origins
            )
            # A second bucket standing in for a user's own, to register as an external library.
            ensure_bucket(container.s3, self.settings.local_library_bucket, origins)
            for name in migrate.apply(dsn):
                print(f"  migrated {name}")
            return ensure_first_admin(container)
        finally:
            container.close()

    def _start_api(self, env: dict[str, str]) -> None:
        port = self.settings.local_api_port
        log = (self.state / "api.log").open("ab")
        proc = subprocess.Popen(
            # chalice's local server, with unknown paths in the API's error shape.
            [sys.executable, "-m", "chalicelib.local.api_server", "--port", str(port)],
            cwd=REPO_ROOT,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            preexec_fn=_die_with_parent,
        )
        self.procs.append(proc)
        _wait_http(
            f"http://127.0.0.1:{port}/api/server/ping", self.settings.local_start_seconds, proc
        )

    def _start_runner(self, env: dict[str, str]) -> None:
        log = (self.state / "workers.log").open("ab")
        proc = subprocess.Popen(
            [sys.executable, "-m", "chalicelib.local.runner"],
            cwd=REPO_ROOT,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            preexec_fn=_die_with_parent,
        )
        self.procs.append(proc)

    def run_jobs_every(self, seconds: float, stop: threading.Event) -> threading.Thread:
        """What EventBridge does in AWS: the scheduled jobs, on a timer, in-process."""

        def loop() -> None:
            from chalicelib import jobs
            from chalicelib.container import Container

            env = self.child_env
            container = Container(
                self.settings.model_copy(
                    update={
                        "database_url": env["SKYROLL_DATABASE_URL"],
                        "aws_endpoint_url": env["SKYROLL_AWS_ENDPOINT_URL"],
                    }
                )
            )
            while not stop.wait(seconds):
                for name in jobs.JOBS:
                    try:
                        jobs.run(name, container)
                    except Exception as exc:  # noqa: BLE001 - a job failing must not stop the stack
                        print(f"job {name} failed: {exc}")
            container.close()

        thread = threading.Thread(target=loop, name="jobs", daemon=True)
        thread.start()
        return thread

    def _announce(self, generated: str | None) -> None:
        s = self.settings
        url = f"http://127.0.0.1:{s.local_api_port}"
        print(f"{READY_LINE} at {url}  (API docs: {url}/api/openapi.json)")
        if self.web is not None:
            print(f"  web client: {self.web.url}   (open it and log in)")
        else:
            print("  web client: not built (make web-build)")
        if generated:
            print(f"  admin login: {s.admin_email} / {generated}   (generated; shown once)")
        else:
            print(f"  admin login: {s.admin_email} / (SKYROLL_ADMIN_PASSWORD)")
        print(
            f"  external library bucket: s3://{s.local_library_bucket} (moto on"
            f" :{s.local_moto_port}; `skyroll library add NAME --bucket {s.local_library_bucket}`)"
        )
        print(f"  logs: {self.state}/api.log, workers.log, moto.log    Ctrl-C stops everything")
        sys.stdout.flush()

    def stop(self) -> None:
        if self.web is not None:
            self.web.stop()
            self.web = None
        for proc in reversed(self.procs):
            _stop(proc)
        self.procs.clear()
        if self.moto is not None:
            self.moto.stop()
        if self.postgres is not None:
            self.postgres.stop()


def main() -> None:
    from chalicelib.settings import get_settings

    stack = DevStack(get_settings())
    done = threading.Event()
    signal.signal(signal.SIGINT, lambda *_: done.set())
    signal.signal(signal.SIGTERM, lambda *_: done.set())
    try:
        started = time.monotonic()
        stack.start()
        stack.run_jobs_every(stack.settings.local_job_interval_seconds, done)
        print(f"  started in {time.monotonic() - started:.1f} s")
        sys.stdout.flush()
        while not done.wait(1.0):
            for proc in stack.procs:
                if proc.poll() is not None:
                    print(f"{proc.args!r} exited; stopping")
                    done.set()
    finally:
        print("stopping…")
        stack.stop()
        print("stopped")


if __name__ == "__main__":
    main()
