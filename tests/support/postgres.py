"""The test database's names and a free port for the servers the tests start."""

from __future__ import annotations

import socket
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from chalicelib.container import Container
    from chalicelib.local.pgserver import LocalPostgres

# Migrated once per worker; each test gets a copy (tests/conftest.py).
TEMPLATE_DB = "skyroll_template"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def own_database(postgres: LocalPostgres, prefix: str) -> Iterator[Container]:
    """A container on a database of its own, copied from the template: for a module whose
    library takes seconds to build and whose tests only read it."""
    import psycopg

    from chalicelib.container import Container
    from chalicelib.settings import Settings

    name = f"{prefix}_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(postgres.admin_dsn, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}" TEMPLATE "{TEMPLATE_DB}"')
    c = Container(Settings(database_url=f"postgresql://postgres@127.0.0.1:{postgres.port}/{name}"))
    try:
        yield c
    finally:
        c.close()
        postgres.drop_database(name)
