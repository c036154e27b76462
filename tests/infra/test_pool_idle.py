"""A warm Lambda that stops getting requests must let Aurora Serverless pause: the pool
closes connections nobody used for ``max_idle`` seconds (docs/deploy.md)."""

from __future__ import annotations

import time

import psycopg

from chalicelib.db.pool import DEFAULT_MAX_IDLE_SECONDS, make_pool


def _sessions(dsn: str) -> int:
    with psycopg.connect(dsn) as conn:
        row = conn.execute(
            "SELECT count(*) FROM pg_stat_activity"
            " WHERE datname = current_database() AND pid <> pg_backend_pid()"
        ).fetchone()
    assert row is not None
    return int(row[0])


def test_idle_connections_are_closed_after_max_idle(database_url: str):
    # Given a pool that served a request
    pool = make_pool(database_url, max_idle=0.5)
    try:
        with pool.connection() as conn:
            assert conn.execute("SELECT 1 AS one").fetchone() == {"one": 1}
        assert pool.get_stats()["pool_size"] == 1
        assert _sessions(database_url) == 1
        # When nobody uses it for longer than max_idle, then it holds no connection and the
        # server sees no session from it (polled: the pool's shrink task runs on its own).
        deadline = time.monotonic() + 60
        while pool.get_stats()["pool_size"] and time.monotonic() < deadline:
            time.sleep(0.1)
        assert pool.get_stats()["pool_size"] == 0
        assert _sessions(database_url) == 0
        # And the next request simply opens a new one.
        with pool.connection() as conn:
            assert conn.execute("SELECT 2 AS two").fetchone() == {"two": 2}
    finally:
        pool.close()


def test_the_default_idle_time_is_short():
    # A minute: far below Aurora's auto-pause delay (config aurora_auto_pause_minutes).
    assert DEFAULT_MAX_IDLE_SECONDS <= 60
