"""The README's quick start, over real HTTP against the stack `make dev` starts."""

from __future__ import annotations

import time

import httpx
import pytest

from tests.support import timeouts
from tests.support.stack import ADMIN_EMAIL, ADMIN_PASSWORD, port_open, running_stack

pytestmark = pytest.mark.e2e


def test_login_invite_signup_api_key_and_clean_shutdown() -> None:
    with running_stack() as stack:
        ports = dict(stack.ports)
        with httpx.Client(base_url=stack.url, timeout=timeouts.request()) as http:
            assert http.get("/api/server/ping").json() == {"res": "pong"}
            login = http.post(
                "/api/auth/login", json={"email": ADMIN_EMAIL, "password": ADMIN_PASSWORD}
            )
            assert login.status_code == 201, login.text
            admin = {"Authorization": f"Bearer {login.json()['accessToken']}"}
            invite = http.post("/api/admin/invitations", json={"maxUses": 1}, headers=admin)
            assert invite.status_code == 201, invite.text
            code = invite.json()["code"]
            assert invite.json()["signupUrl"].endswith(f"/signup?code={code}")
            signup = http.post(
                "/api/auth/signup",
                json={
                    "code": code,
                    "email": "kid@e2e.test",
                    "password": "kid-password",
                    "name": "Kid",
                },
            )
            assert signup.status_code == 201, signup.text
            again = http.post(
                "/api/auth/signup",
                json={"code": code, "email": "x@e2e.test", "password": "kid-password", "name": "X"},
            )
            assert again.status_code == 410
            token = http.post(
                "/api/auth/login", json={"email": "kid@e2e.test", "password": "kid-password"}
            ).json()
            key = http.post(
                "/api/api-keys",
                json={"name": "cli"},
                headers={"Authorization": f"Bearer {token['accessToken']}"},
            )
            assert key.status_code == 201, key.text
            me = http.get("/api/users/me", headers={"x-api-key": key.json()["secret"]})
            assert me.status_code == 200
            assert (me.json()["email"], me.json()["name"], me.json()["isAdmin"]) == (
                "kid@e2e.test",
                "Kid",
                False,
            )
            spec = http.get("/api/openapi.json").json()
            assert "/api/auth/signup" in spec["paths"]
        assert all(port_open(p) for p in ports.values())
    # Ctrl-C stopped every process it started: nothing listens on its ports any more.
    time.sleep(0.5)
    assert not any(port_open(p) for p in ports.values()), ports
