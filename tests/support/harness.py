"""Upload → S3 (moto) → SNS → SQS → ingest, in-process: the API through chalice's test
client, the bytes over real HTTP to moto, the worker through the local event-source runner."""

from __future__ import annotations

import base64
import hashlib
import json
from dataclasses import dataclass
from typing import Any

import httpx
from chalice.test import Client

from chalicelib.container import Container
from chalicelib.local.runner import EventSourceRunner
from chalicelib.pipeline import STAGES


def b64sha(data: bytes) -> str:
    return base64.b64encode(hashlib.sha256(data).digest()).decode()


@dataclass
class Harness:
    client: Client
    container: Container
    runner: EventSourceRunner

    def call(self, method: str, path: str, body: Any = None, token: str | None = None) -> Any:
        headers = {"Content-Type": "application/json"}
        if token:
            headers["Authorization"] = f"Bearer {token}"
        r = self.client.http.request(
            method, path, headers=headers, body=json.dumps(body) if body is not None else b""
        )
        r.json = json.loads(r.body) if r.body else None
        return r

    def user(self, email: str, quota: int | None = None) -> str:
        admin = self.login("admin@example.com", "admin-password-1")
        r = self.call(
            "POST",
            "/api/admin/users",
            {
                "email": email,
                "password": "password-123",
                "name": email.split("@")[0],
                "quotaSizeInBytes": quota,
            },
            token=admin,
        )
        assert r.status_code == 201, r.body
        return self.login(email, "password-123")

    def login(self, email: str, password: str) -> str:
        r = self.call("POST", "/api/auth/login", {"email": email, "password": password})
        assert r.status_code == 201, r.body
        return r.json["accessToken"]

    def start_upload(
        self,
        token: str,
        name: str,
        data: bytes,
        content_type: str = "image/jpeg",
        checksum: str | None = None,
    ) -> Any:
        return self.call(
            "POST",
            "/api/assets/uploads",
            {
                "filename": name,
                "size": len(data),
                "checksum": checksum or b64sha(data),
                "contentType": content_type,
                "fileCreatedAt": "2020-05-01T10:00:00Z",
                "fileModifiedAt": "2020-05-01T10:00:00Z",
            },
            token=token,
        )

    def upload(
        self,
        token: str,
        name: str,
        data: bytes,
        content_type: str = "image/jpeg",
        body: bytes | None = None,
    ) -> dict:
        r = self.start_upload(token, name, data, content_type)
        assert r.status_code in (200, 201), r.body
        if r.json["status"] == "created":
            assert r.json["method"] == "PUT"
            put = httpx.put(
                r.json["url"], content=data if body is None else body, headers=r.json["headers"]
            )
            assert put.status_code == 200, put.text
        return r.json

    def drain(self, stages: tuple[str, ...] | None = None, rounds: int = 2) -> int:
        """Runs the stages (default: the required ones, which decide `ready`) in declaration
        order until their queues stay empty; returns how many records were handled."""
        names = stages or tuple(s.name for s in STAGES if s.required)
        handled, quiet = 0, 0
        while quiet < rounds:
            before = handled
            for name in names:
                handled += self.runner.run_once(name, wait_seconds=0).size
            quiet = quiet + 1 if handled == before else 0
        return handled

    def asset(self, token: str, asset_id: str) -> dict:
        r = self.call("GET", f"/api/assets/{asset_id}", token=token)
        assert r.status_code == 200, r.body
        return r.json
