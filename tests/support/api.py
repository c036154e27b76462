"""The API under test through chalice's test client, with helpers for tokens and JSON."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from chalice.test import Client


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
