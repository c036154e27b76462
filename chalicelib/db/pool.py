"""A psycopg pool with pgvector's types registered on every connection.

psycopg is imported when the first pool is built, not with this module: every repository
imports the ``Pool`` type from here, and the API's cold start should not pay for the
driver until a request needs the database.
"""

from __future__ import annotations

import contextlib
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import psycopg
    from psycopg.rows import DictRow
    from psycopg_pool import ConnectionPool

type Connection = psycopg.Connection[DictRow]
# Every repository takes this: rows come back as dicts.
type Pool = ConnectionPool[Connection]

# An idle warm Lambda must not keep Aurora Serverless from pausing: the pool closes a
# connection nobody used for this long (docs/deploy.md: when the cluster pauses).
DEFAULT_MAX_IDLE_SECONDS = 60.0


def _configure(conn: Connection) -> None:
    import psycopg
    from pgvector.psycopg import register_vector

    # The extension is created by the first migration; before that there is nothing to
    # register (only the migration runner connects then).
    with contextlib.suppress(psycopg.ProgrammingError):
        register_vector(conn)
    conn.commit()


def make_pool(
    dsn: str,
    *,
    min_size: int = 0,
    max_size: int = 4,
    max_idle: float = DEFAULT_MAX_IDLE_SECONDS,
) -> Pool:
    import psycopg
    from psycopg.rows import DictRow, dict_row
    from psycopg_pool import ConnectionPool

    return ConnectionPool(
        dsn,
        connection_class=psycopg.Connection[DictRow],
        min_size=min_size,
        max_size=max_size,
        # Connections beyond min_size (all of them, by default) are closed after this long
        # unused.
        max_idle=max_idle,
        kwargs={"row_factory": dict_row, "autocommit": False},
        configure=_configure,
        # A connection Aurora or a failover dropped (or the server's idle_session_timeout
        # closed while Lambda had the environment frozen) is noticed before use.
        check=ConnectionPool.check_connection,
        open=True,
        name="skyroll",
    )


def one(row: DictRow | None) -> DictRow:
    """The row a statement that always returns one (INSERT … RETURNING, aggregates) gave."""
    if row is None:
        raise LookupError("the statement returned no row")
    return row
