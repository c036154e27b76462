"""The migration custom resource against a real, empty PostgreSQL + pgvector database."""

from __future__ import annotations

import uuid

import psycopg
import pytest

from chalicelib.settings import get_settings
from functions.migrate import handler as migrate_handler


@pytest.fixture
def empty_database(postgres, monkeypatch):
    name = f"m_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(postgres.admin_dsn, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    dsn = f"postgresql://postgres@127.0.0.1:{postgres.port}/{name}"
    monkeypatch.setenv("SKYROLL_DATABASE_URL", dsn)
    monkeypatch.setenv("SKYROLL_ADMIN_EMAIL", "owner@example.com")
    monkeypatch.delenv("SKYROLL_ADMIN_PASSWORD", raising=False)
    get_settings.cache_clear()
    yield dsn
    get_settings.cache_clear()
    postgres.drop_database(name)


def test_create_applies_migrations_and_creates_the_admin(empty_database, capsys):
    result = migrate_handler.handler({"RequestType": "Create"})
    assert result["PhysicalResourceId"] == migrate_handler.PHYSICAL_ID
    assert "0001_init.sql" in result["Data"]["Applied"].split(",")
    with psycopg.connect(empty_database) as conn:
        assert conn.execute("SELECT extname FROM pg_extension WHERE extname = 'vector'").fetchone()
        admins = conn.execute("SELECT email, is_admin FROM users").fetchall()
    assert admins == [("owner@example.com", True)]
    assert "generated password" in capsys.readouterr().out

    # The next deploy is a no-op: nothing applied, still one admin, no new password printed.
    again = migrate_handler.handler({"RequestType": "Update", "PhysicalResourceId": "x"})
    assert again["Data"]["Applied"] == "none"
    with psycopg.connect(empty_database) as conn:
        assert conn.execute("SELECT count(*) FROM users").fetchone() == (1,)
    assert "generated password" not in capsys.readouterr().out


def test_delete_leaves_the_schema(empty_database):
    migrate_handler.handler({"RequestType": "Create"})
    event = {"RequestType": "Delete", "PhysicalResourceId": "skyroll-schema"}
    result = migrate_handler.handler(event)
    assert result == {"PhysicalResourceId": "skyroll-schema"}
    with psycopg.connect(empty_database) as conn:
        assert conn.execute("SELECT count(*) FROM schema_migrations").fetchone()[0] >= 1
