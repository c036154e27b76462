"""Numbered plain-SQL migrations (``migrations/NNNN_name.sql``), applied in order once.

Runs under an advisory lock so two deploys (or two test workers) never race, and each
file in its own transaction with its row in ``schema_migrations``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import psycopg

MIGRATIONS_DIR = Path(__file__).parent / "migrations"
_NAME = re.compile(r"^(\d{4})_[a-z0-9_]+\.sql$")
_LOCK_ID = 0x5B7_0011


# halfvec, HNSW on halfvec and hnsw.iterative_scan (filtered searches) came with 0.8.0.
MIN_PGVECTOR = (0, 8, 0)


class UnsupportedDatabase(RuntimeError):
    """The server cannot hold Skyroll's schema (said before any migration runs)."""


@dataclass(frozen=True)
class Migration:
    version: int
    name: str
    sql: str


def discover(directory: Path = MIGRATIONS_DIR) -> list[Migration]:
    found = []
    for path in sorted(directory.glob("*.sql")):
        match = _NAME.match(path.name)
        if not match:
            raise ValueError(f"migration file {path.name} is not named NNNN_name.sql")
        found.append(Migration(int(match.group(1)), path.name, path.read_text()))
    versions = [m.version for m in found]
    if len(set(versions)) != len(versions):
        raise ValueError("two migrations share a number")
    return found


def _version(text: str) -> tuple[int, ...]:
    return tuple(int(part) for part in re.findall(r"\d+", text)[:3])


def check_pgvector(conn: psycopg.Connection) -> str:
    """The pgvector version the schema will use; ``UnsupportedDatabase`` if it is missing
    or older than 0.8.0 (installed, or the newest the server offers when not installed)."""
    row = conn.execute(
        "SELECT default_version, installed_version FROM pg_available_extensions"
        " WHERE name = 'vector'"
    ).fetchone()
    need = ".".join(map(str, MIN_PGVECTOR))
    if row is None:
        raise UnsupportedDatabase(
            f"this PostgreSQL server has no pgvector extension; Skyroll needs pgvector >= "
            f"{need} (Aurora PostgreSQL 16.9 or later, or any PostgreSQL 16 with pgvector)"
        )
    default, installed = row
    version = installed or default
    if _version(version) < MIN_PGVECTOR:
        where = "installed" if installed else "offered by this server"
        raise UnsupportedDatabase(
            f"pgvector {version} is {where}; Skyroll needs >= {need} (halfvec, HNSW, "
            "hnsw.iterative_scan). Upgrade the server (Aurora PostgreSQL 16.9 or later), "
            "then run ALTER EXTENSION vector UPDATE"
        )
    return str(version)


def apply(dsn: str, directory: Path = MIGRATIONS_DIR) -> list[str]:
    """Applies pending migrations; returns the names applied."""
    applied: list[str] = []
    with psycopg.connect(dsn, autocommit=True) as conn:
        check_pgvector(conn)
        conn.execute("SELECT pg_advisory_lock(%s)", (_LOCK_ID,))
        try:
            conn.execute(
                "CREATE TABLE IF NOT EXISTS schema_migrations ("
                " version integer PRIMARY KEY, name text NOT NULL,"
                " applied_at timestamptz NOT NULL DEFAULT now())"
            )
            done = {row[0] for row in conn.execute("SELECT version FROM schema_migrations")}
            for migration in discover(directory):
                if migration.version in done:
                    continue
                with conn.transaction():
                    conn.execute(migration.sql.encode())
                    conn.execute(
                        "INSERT INTO schema_migrations (version, name) VALUES (%s, %s)",
                        (migration.version, migration.name),
                    )
                applied.append(migration.name)
        finally:
            conn.execute("SELECT pg_advisory_unlock(%s)", (_LOCK_ID,))
    return applied


if __name__ == "__main__":
    from chalicelib.settings import get_settings

    for name in apply(get_settings().database_url):
        print(f"applied {name}")
