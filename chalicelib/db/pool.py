"""A psycopg pool with pgvector's types registered on every connection."""

from __future__ import annotations

import contextlib

import psycopg
from psycopg.rows import DictRow, dict_row
from psycopg_pool import ConnectionPool

type Connection = psycopg.Connection[DictRow]
# Every repository takes this: rows come back as dicts.
type Pool = ConnectionPool[Connection]


def _configure(conn: Connection) -> None:
    from pgvector.psycopg import register_vector

    # The extension is created by the first migration; before that there is nothing to
    # register (only the migration runner connects then).
    with contextlib.suppress(psycopg.ProgrammingError):
        register_vector(conn)
    conn.commit()


def make_pool(dsn: str, *, min_size: int = 0, max_size: int = 4) -> Pool:
    return ConnectionPool(
        dsn,
        connection_class=psycopg.Connection[DictRow],
        min_size=min_size,
        max_size=max_size,
        kwargs={"row_factory": dict_row, "autocommit": False},
        configure=_configure,
        # A connection Aurora or a failover dropped is noticed before use, not by the query.
        check=ConnectionPool.check_connection,
        open=True,
        name="skyroll",
    )


def one(row: DictRow | None) -> DictRow:
    """The row a statement that always returns one (INSERT … RETURNING, aggregates) gave."""
    if row is None:
        raise LookupError("the statement returned no row")
    return row
