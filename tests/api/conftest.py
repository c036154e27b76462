"""API tests: chalice.test.Client against the real app, real PostgreSQL behind it."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from chalice.test import Client

from app import app
from chalicelib.container import Container
from chalicelib.services.bootstrap import ensure_first_admin


@dataclass
class Api:
    client: Client

    def call(
        self,
        method: str,
        path: str,
        body: Any = None,
        token: str | None = None,
        api_key: str | None = None,
        headers: dict[str, str] | None = None,
    ) -> Any:
        hdrs = {"Content-Type": "application/json", **(headers or {})}
        if token:
            hdrs["Authorization"] = f"Bearer {token}"
        if api_key:
            hdrs["x-api-key"] = api_key
        raw = body if isinstance(body, str) else (json.dumps(body) if body is not None else None)
        response = self.client.http.request(method, path, headers=hdrs, body=raw or b"")
        response.json = json.loads(response.body) if response.body else None
        return response

    def login(self, email: str, password: str) -> str:
        r = self.call("POST", "/api/auth/login", {"email": email, "password": password})
        assert r.status_code == 201, r.body
        return r.json["accessToken"]


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
