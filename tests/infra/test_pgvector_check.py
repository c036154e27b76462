"""The migration refuses, with a message that says what to do, a server whose pgvector is
missing or older than 0.8.0 (Aurora before 16.9), before touching the schema."""

from __future__ import annotations

from typing import Any

import psycopg
import pytest

from chalicelib.db import migrate


class _Conn:
    """Answers the one catalogue query ``check_pgvector`` makes."""

    def __init__(self, row: tuple[str | None, str | None] | None) -> None:
        self.row = row

    def execute(self, sql: str, *args: Any) -> _Conn:
        assert "pg_available_extensions" in sql
        return self

    def fetchone(self) -> tuple[str | None, str | None] | None:
        return self.row


def test_the_embedded_server_passes(database_url: str):
    with psycopg.connect(database_url) as conn:
        assert migrate._version(migrate.check_pgvector(conn)) >= (0, 8, 0)


@pytest.mark.parametrize(
    ("row", "message"),
    [
        (None, "no pgvector extension; Skyroll needs pgvector >= 0.8.0"),
        (("0.7.4", None), "pgvector 0.7.4 is offered by this server; Skyroll needs >= 0.8.0"),
        (("0.8.0", "0.7.0"), "pgvector 0.7.0 is installed; Skyroll needs >= 0.8.0"),
    ],
)
def test_old_or_missing_pgvector_is_refused_clearly(row, message):
    with pytest.raises(migrate.UnsupportedDatabase, match=message.replace(".", r"\.")):
        migrate.check_pgvector(_Conn(row))  # type: ignore[arg-type]


@pytest.mark.parametrize("row", [("0.8.0", None), ("0.8.5", "0.8.5"), ("0.10.0", None)])
def test_new_enough_versions_pass(row):
    assert migrate.check_pgvector(_Conn(row)) == (row[1] or row[0])  # type: ignore[arg-type]
