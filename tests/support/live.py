"""The real app served over HTTP in this process (chalice's own local server in a thread),
on its own database (copied from the migrated template) and its own moto bucket and queues.

For tests that speak HTTP to the API as a client would (the schemathesis run) and that
need one stack for a whole module: building it costs a database, a bucket and a login.
"""

from __future__ import annotations

import threading
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

import psycopg

from app import app
from chalicelib.container import Container, use_container
from chalicelib.local.api_server import server as api_server
from chalicelib.local.aws import bootstrap
from chalicelib.local.pgserver import LocalPostgres
from chalicelib.repositories.users import CredentialRepository
from chalicelib.services import secrets
from chalicelib.services.bootstrap import ensure_first_admin
from chalicelib.settings import Settings
from tests.support.postgres import TEMPLATE_DB, free_port


@dataclass
class Live:
    url: str
    container: Container
    dsn: str
    tokens: dict[str, str] = field(default_factory=dict)

    def session(self, email: str) -> str:
        """A fresh session token for an existing user, made directly (no argon2 login)."""
        c = self.container
        with c.pool.connection() as conn:
            row = conn.execute("SELECT id FROM users WHERE email = %s", (email,)).fetchone()
        assert row is not None, email
        token = secrets.new_token()
        CredentialRepository(c.pool).create_session(
            row["id"], secrets.token_hash(token), datetime.now(UTC) + timedelta(hours=1)
        )
        return token


@contextmanager
def live_api(postgres: LocalPostgres, moto_endpoint: str, state_dir: Path) -> Iterator[Live]:
    name = f"t_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(postgres.admin_dsn, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}" TEMPLATE "{TEMPLATE_DB}"')
    suffix = uuid.uuid4().hex[:8]
    dsn = f"postgresql://postgres@127.0.0.1:{postgres.port}/{name}"
    settings = Settings(
        database_url=dsn,
        admin_email="admin@example.com",
        admin_password="admin-password-1",
        state_dir=state_dir,
        public_url="http://testserver",
        aws_endpoint_url=moto_endpoint,
        bucket=f"skyroll-{suffix}",
        queue_prefix=f"t{suffix}-",
        uploads_topic=f"t{suffix}-uploads",
    )
    container = Container(settings)
    bootstrap(settings, container.s3, container.sqs, container.sns)
    use_container(container)
    ensure_first_admin(container)
    # The app's class stays as is (other tests in this process use it through chalice's
    # test client); requests are sent one at a time, so the shared current_request is safe.
    server = api_server(app, "127.0.0.1", free_port(), threaded_requests=False)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield Live(f"http://127.0.0.1:{server.port}", container, dsn)
    finally:
        server.shutdown()
        server.server.server_close()
        use_container(None)
        container.close()
        postgres.drop_database(name)
