"""Admin user management and invitations, including concurrent signups."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta

import psycopg

from chalicelib.container import Container
from chalicelib.schemas.accounts import SignupRequest
from tests.support.api import Api


def _invite(api: Api, token: str, **body) -> dict:
    r = api.call("POST", "/api/admin/invitations", body, token=token)
    assert r.status_code == 201, r.body
    return r.json


def _signup(api: Api, code: str, email: str) -> object:
    return api.call(
        "POST",
        "/api/auth/signup",
        {"code": code, "email": email, "password": "password-123", "name": "New"},
    )


def test_admin_creates_updates_and_soft_deletes_a_user(
    api: Api, admin_token: str, settings, aws_container: Container
) -> None:
    # aws_container (moto): deleting a user queues the bulk job that removes their photos.
    r = api.call(
        "POST",
        "/api/admin/users",
        {
            "email": "bob@example.com",
            "password": "bob-password",
            "name": "Bob",
            "quotaSizeInBytes": 1000,
        },
        token=admin_token,
    )
    assert r.status_code == 201 and r.json["quotaSizeInBytes"] == 1000 and not r.json["isAdmin"]
    bob = r.json["id"]
    dup = api.call(
        "POST",
        "/api/admin/users",
        {"email": "BOB@example.com", "password": "bob-password", "name": "B2"},
        token=admin_token,
    )
    assert dup.status_code == 409 and dup.json["message"] == "A user with this email already exists"
    up = api.call(
        "PUT",
        f"/api/admin/users/{bob}",
        {"name": "Robert", "isAdmin": True, "quotaSizeInBytes": None},
        token=admin_token,
    )
    assert up.status_code == 200
    assert (up.json["name"], up.json["isAdmin"], up.json["quotaSizeInBytes"]) == (
        "Robert",
        True,
        None,
    )
    bob_token = api.login("bob@example.com", "bob-password")
    deleted = api.call("DELETE", f"/api/admin/users/{bob}", token=admin_token)
    assert deleted.status_code == 202, deleted.body
    assert (deleted.json["kind"], deleted.json["params"]) == ("delete-user", {"userId": str(bob)})
    listed = api.call("GET", "/api/admin/users", token=admin_token).json
    assert [u["email"] for u in listed] == ["admin@example.com"]
    assert api.call("GET", "/api/users/me", token=bob_token).status_code == 401
    with psycopg.connect(settings.database_url) as conn:  # soft delete: the row stays
        assert conn.execute(
            "SELECT deleted_at IS NOT NULL FROM users WHERE id = %s", (bob,)
        ).fetchone()[0]
    assert api.call("DELETE", f"/api/admin/users/{bob}", token=admin_token).status_code == 404


def test_admin_cannot_delete_or_demote_themselves(api: Api, admin_token: str) -> None:
    me = api.call("GET", "/api/users/me", token=admin_token).json["id"]
    r = api.call("DELETE", f"/api/admin/users/{me}", token=admin_token)
    assert r.status_code == 400 and r.json["message"] == "You cannot delete your own account"
    r = api.call("PUT", f"/api/admin/users/{me}", {"isAdmin": False}, token=admin_token)
    assert r.status_code == 400


def test_invitation_signup_applies_quota_and_counts_uses(
    api: Api, admin_token: str, settings
) -> None:
    inv = _invite(api, admin_token, maxUses=2, quotaSizeInBytes=5_000_000)
    assert inv["signupUrl"] == f"http://testserver/signup?code={inv['code']}"
    r = _signup(api, inv["code"], "carol@example.com")
    assert r.status_code == 201 and r.json["quotaSizeInBytes"] == 5_000_000
    assert not r.json["isAdmin"]
    token = api.login("carol@example.com", "password-123")
    assert api.call("GET", "/api/users/me", token=token).json["name"] == "New"
    listed = api.call("GET", "/api/admin/invitations", token=admin_token).json
    assert listed[0]["uses"] == 1 and listed[0]["maxUses"] == 2 and "code" not in listed[0]
    with psycopg.connect(settings.database_url) as conn:
        stored = bytes(conn.execute("SELECT code_hash FROM invitations").fetchone()[0])
    assert inv["code"].encode() not in stored


def test_taken_email_does_not_spend_a_use(api: Api, admin_token: str) -> None:
    inv = _invite(api, admin_token, maxUses=1)
    r = _signup(api, inv["code"], "admin@example.com")
    assert r.status_code == 409
    assert _signup(api, inv["code"], "dave@example.com").status_code == 201


def test_unusable_codes_get_clear_errors(api: Api, admin_token: str) -> None:
    expired = _invite(
        api, admin_token, expiresAt=(datetime.now(UTC) - timedelta(minutes=1)).isoformat()
    )
    r = _signup(api, expired["code"], "e1@example.com")
    assert (r.status_code, r.json["message"]) == (410, "Invitation has expired")
    used = _invite(api, admin_token, maxUses=1)
    assert _signup(api, used["code"], "e2@example.com").status_code == 201
    r = _signup(api, used["code"], "e3@example.com")
    assert (r.status_code, r.json["message"]) == (410, "Invitation has no uses left")
    revoked = _invite(api, admin_token)
    rid = revoked["invitation"]["id"]
    assert api.call("DELETE", f"/api/admin/invitations/{rid}", token=admin_token).status_code == 204
    r = _signup(api, revoked["code"], "e4@example.com")
    assert (r.status_code, r.json["message"]) == (410, "Invitation has been revoked")
    r = _signup(api, "inv_not-a-real-code", "e5@example.com")
    assert (r.status_code, r.json["message"]) == (404, "Invitation code not found")


def test_concurrent_signups_cannot_exceed_max_uses(
    api: Api, admin_token: str, container: Container
) -> None:
    code = _invite(api, admin_token, maxUses=3)["code"]

    def attempt(i: int) -> str:
        try:
            container.user_service.signup(
                SignupRequest(
                    code=code, email=f"racer{i}@example.com", password="password-123", name=f"R{i}"
                )
            )
            return "ok"
        except Exception as exc:  # noqa: BLE001 - we count the outcomes
            return type(exc).__name__

    with ThreadPoolExecutor(max_workers=8) as pool:
        outcomes = list(pool.map(attempt, range(12)))
    assert outcomes.count("ok") == 3 and outcomes.count("Gone") == 9
    listed = api.call("GET", "/api/admin/invitations", token=admin_token).json
    assert listed[0]["uses"] == 3
