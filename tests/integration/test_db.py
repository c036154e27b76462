"""Real PostgreSQL + pgvector: migrations apply once, the vector extension works."""

from __future__ import annotations

import psycopg

from chalicelib.db import migrate


def test_migrations_are_recorded_and_idempotent(database_url: str) -> None:
    assert migrate.apply(database_url) == []  # the template already has them all
    with psycopg.connect(database_url) as conn:
        versions = [r[0] for r in conn.execute("SELECT version FROM schema_migrations ORDER BY 1")]
    assert versions == [m.version for m in migrate.discover()]


def test_users_keep_no_lockout_columns(database_url: str) -> None:
    """Password guesses are counted in auth_throttle; the per-user lockout is gone."""
    with psycopg.connect(database_url) as conn:
        columns = {
            r[0]
            for r in conn.execute(
                "SELECT column_name FROM information_schema.columns WHERE table_name = 'users'"
            )
        }
    assert {"email", "password_hash"} <= columns
    assert not {"failed_logins", "locked_until"} & columns


def test_pgvector_is_at_least_0_8_with_halfvec_and_hnsw(container) -> None:
    with container.pool.connection() as conn:
        version = conn.execute(
            "SELECT extversion FROM pg_extension WHERE extname = 'vector'"
        ).fetchone()["extversion"]
        assert tuple(int(p) for p in version.split(".")[:2]) >= (0, 8)
        conn.execute("CREATE TEMP TABLE v (e halfvec(3))")
        conn.execute("CREATE INDEX ON v USING hnsw (e halfvec_cosine_ops)")
        conn.execute("INSERT INTO v VALUES ('[1,0,0]'), ('[0,1,0]')")
        nearest = conn.execute(
            "SELECT e::text FROM v ORDER BY e <=> '[0.9,0.1,0]' LIMIT 1"
        ).fetchone()
    assert nearest["e"] == "[1,0,0]"


def test_a_dropped_connection_is_replaced_by_the_pool(container) -> None:
    with container.pool.connection() as conn:
        pid = conn.execute("SELECT pg_backend_pid() AS p").fetchone()["p"]
    with psycopg.connect(container.settings.database_url, autocommit=True) as admin:
        admin.execute("SELECT pg_terminate_backend(%s)", (pid,))
    with container.pool.connection() as conn:  # the pool's check notices and reconnects
        assert conn.execute("SELECT 1 AS one").fetchone()["one"] == 1


def test_face_counts_and_batched_vectors_on_real_postgres(container) -> None:
    """One query for a batch's face counts (0 where none), one transaction for its vectors;
    a vector of another dimension replaces the asset's old one (a model switch)."""
    import uuid

    import numpy as np

    with container.pool.connection() as conn:
        owner = conn.execute(
            "INSERT INTO users (email, name, password_hash) VALUES (%s, 'v', 'x') RETURNING id",
            (f"{uuid.uuid4().hex[:8]}@example.com",),
        ).fetchone()["id"]
        a, b = (
            r["id"]
            for r in conn.execute(
                "INSERT INTO assets (owner_id, status, original_file_name, original_mime_type,"
                " checksum, file_size, storage_key, file_created_at, file_modified_at)"
                " SELECT %s, 'ready', 'v.jpg', 'image/jpeg', gen_random_uuid()::text::bytea,"
                " 1, 'k' || i, now(), now() FROM generate_series(1, 2) i RETURNING id",
                (owner,),
            ).fetchall()
        )
    repo = container.embedding_repo
    assert repo.face_counts([a, b]) == {a: 0, b: 0}
    repo.upsert_many("m-384", [(a, np.eye(384, dtype=np.float32)[0]), (b, np.ones(384))])
    assert repo.get(a, 384)["model_id"] == "m-384" and repo.get(b, 384) is not None
    repo.upsert_many("m-512", [(a, np.eye(512, dtype=np.float32)[3])])
    assert repo.get(a, 384) is None and repo.get(a, 512)["model_id"] == "m-512"
    assert repo.get(b, 384)["model_id"] == "m-384"
