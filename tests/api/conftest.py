"""API tests: chalice.test.Client against the real app, real PostgreSQL behind it."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from chalice.test import Client

from app import app
from chalicelib.container import Container
from chalicelib.local.pgserver import LocalPostgres
from chalicelib.services.bootstrap import ensure_first_admin
from tests.support.api import Api
from tests.support.live import Live, live_api


@pytest.fixture
def api(container: Container) -> Iterator[Api]:
    ensure_first_admin(container)
    with Client(app) as client:
        yield Api(client)


@pytest.fixture
def admin_token(api: Api) -> str:
    return api.login("admin@example.com", "admin-password-1")


@pytest.fixture
def user_token(api: Api, admin_token: str) -> str:
    r = api.call(
        "POST",
        "/api/admin/users",
        {"email": "alice@example.com", "password": "alice-password", "name": "Alice"},
        token=admin_token,
    )
    assert r.status_code == 201, r.body
    return api.login("alice@example.com", "alice-password")


@pytest.fixture(scope="module")
def live(
    postgres: LocalPostgres, moto_endpoint: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Live]:
    """The app served over HTTP on this module's own database, bucket and queues."""
    with live_api(postgres, moto_endpoint, tmp_path_factory.mktemp("live")) as stack:
        yield stack
