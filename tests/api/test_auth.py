"""Login, logout, lockout, password change, API keys, /users/me."""

from __future__ import annotations

import psycopg

from tests.support.api import Api


def test_login_returns_a_session_that_authenticates(api: Api) -> None:
    r = api.call(
        "POST", "/api/auth/login", {"email": "ADMIN@example.com", "password": "admin-password-1"}
    )
    assert r.status_code == 201
    assert r.json["isAdmin"] is True and r.json["name"] == "Admin"
    me = api.call("GET", "/api/users/me", token=r.json["accessToken"])
    assert me.status_code == 200
    assert me.json["email"] == "admin@example.com" and me.json["id"] == r.json["userId"]


def test_wrong_password_and_unknown_email_get_the_same_401(api: Api) -> None:
    a = api.call("POST", "/api/auth/login", {"email": "admin@example.com", "password": "nope"})
    b = api.call("POST", "/api/auth/login", {"email": "ghost@example.com", "password": "nope"})
    assert a.status_code == b.status_code == 401
    assert (
        a.json
        == b.json
        == {"statusCode": 401, "error": "Unauthorized", "message": "Incorrect email or password"}
    )


def test_repeated_failures_lock_the_account_with_429(api: Api) -> None:
    for _ in range(3):  # settings: login_max_failures=3
        assert (
            api.call(
                "POST", "/api/auth/login", {"email": "admin@example.com", "password": "bad"}
            ).status_code
            == 401
        )
    locked = api.call(
        "POST", "/api/auth/login", {"email": "admin@example.com", "password": "admin-password-1"}
    )
    assert locked.status_code == 429
    assert "Too many failed logins" in locked.json["message"]
    assert 0 < int(locked.headers["Retry-After"]) <= 60


def test_sessions_are_stored_only_as_hashes(api: Api, settings) -> None:
    token = api.login("admin@example.com", "admin-password-1")
    with psycopg.connect(settings.database_url) as conn:
        hashes = [bytes(r[0]) for r in conn.execute("SELECT token_hash FROM sessions")]
        pw = conn.execute("SELECT password_hash FROM users").fetchone()[0]
    assert token.encode() not in hashes and all(len(h) == 32 for h in hashes)
    assert pw.startswith("$argon2id$")


def test_logout_ends_the_session(api: Api, admin_token: str) -> None:
    assert api.call("POST", "/api/auth/logout", token=admin_token).status_code == 204
    after = api.call("GET", "/api/users/me", token=admin_token)
    assert after.status_code == 401 and after.json["message"] == "Invalid or expired session"


def test_change_password_checks_the_old_one_and_ends_other_sessions(
    api: Api, user_token: str
) -> None:
    other = api.login("alice@example.com", "alice-password")
    bad = api.call(
        "POST",
        "/api/auth/change-password",
        {"password": "wrong", "newPassword": "new-password-9"},
        token=user_token,
    )
    assert bad.status_code == 400 and bad.json["message"] == "Current password is incorrect"
    ok = api.call(
        "POST",
        "/api/auth/change-password",
        {"password": "alice-password", "newPassword": "new-password-9"},
        token=user_token,
    )
    assert ok.status_code == 204
    assert api.call("GET", "/api/users/me", token=other).status_code == 401
    assert api.call("GET", "/api/users/me", token=user_token).status_code == 200
    assert (
        api.call(
            "POST", "/api/auth/login", {"email": "alice@example.com", "password": "alice-password"}
        ).status_code
        == 401
    )
    api.login("alice@example.com", "new-password-9")


def test_update_me_changes_the_name(api: Api, user_token: str) -> None:
    r = api.call("PUT", "/api/users/me", {"name": "Alice B"}, token=user_token)
    assert r.status_code == 200 and r.json["name"] == "Alice B"
    assert api.call("GET", "/api/users/me", token=user_token).json["name"] == "Alice B"


def test_api_key_lifecycle(api: Api, user_token: str, admin_token: str, settings) -> None:
    created = api.call("POST", "/api/api-keys", {"name": "laptop"}, token=user_token)
    assert created.status_code == 201
    secret, key = created.json["secret"], created.json["apiKey"]
    assert secret.startswith("sky_") and key["name"] == "laptop" and key["lastUsedAt"] is None
    me = api.call("GET", "/api/users/me", api_key=secret)
    assert me.status_code == 200 and me.json["email"] == "alice@example.com"
    listed = api.call("GET", "/api/api-keys", token=user_token).json
    assert [k["id"] for k in listed] == [key["id"]] and listed[0]["lastUsedAt"] is not None
    assert "secret" not in listed[0]
    # Another user can neither see nor revoke it.
    assert api.call("GET", "/api/api-keys", token=admin_token).json == []
    assert api.call("DELETE", f"/api/api-keys/{key['id']}", token=admin_token).status_code == 404
    with psycopg.connect(settings.database_url) as conn:
        stored = conn.execute("SELECT key_hash FROM api_keys").fetchone()[0]
    assert secret.encode() not in bytes(stored)
    assert api.call("DELETE", f"/api/api-keys/{key['id']}", token=user_token).status_code == 204
    revoked = api.call("GET", "/api/users/me", api_key=secret)
    assert revoked.status_code == 401 and revoked.json["message"] == "Invalid API key"
