"""Password guesses are throttled, not locked out (services/throttle.py): per account, per
client and per pair, atomically under parallel guesses, alike for unknown accounts, and
without hashing a throttled guess. Also: a password change revokes API keys and other
sessions, and no secret reaches the logs."""

from __future__ import annotations

import io
import logging
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from pydantic import SecretStr

from chalicelib import errors
from chalicelib.container import Container
from chalicelib.observability import logger
from chalicelib.repositories.throttle import ThrottleRepository
from chalicelib.repositories.users import CredentialRepository
from chalicelib.schemas.accounts import LoginRequest
from chalicelib.services import secrets
from chalicelib.services.auth import AuthService
from chalicelib.services.throttle import Throttle
from chalicelib.settings import Settings
from tests.support.api import Api

ADMIN, RIGHT = "admin@example.com", "admin-password-1"


def _auth(container: Container, settings: Settings, **policy: int) -> AuthService:
    """The real service on the real database, under a policy of this test's own."""
    s = settings.model_copy(update=policy)
    throttle = Throttle(ThrottleRepository(container.pool), s)
    return AuthService(container.users_repo, CredentialRepository(container.pool), s, throttle)


def _try(service: AuthService, email: str, password: str, client: str) -> tuple[int, int]:
    """(status, Retry-After or 0) of one login."""
    try:
        service.login(LoginRequest(email=email, password=SecretStr(password)), client)
    except errors.SkyrollError as exc:
        return exc.status_code, int((exc.headers or {}).get("Retry-After", 0))
    return 201, 0


@pytest.mark.parametrize("email", [ADMIN, "ghost@example.com"])
def test_parallel_guesses_do_not_slip_past_the_limit(
    api: Api, container: Container, settings: Settings, email: str
) -> None:
    service = _auth(
        container,
        settings,
        throttle_free_attempts=3,
        throttle_base_delay_seconds=3600,
        throttle_account_max_delay_seconds=3600,
    )
    with ThreadPoolExecutor(12) as pool:
        got = list(pool.map(lambda _: _try(service, email, "wrong", "10.0.0.1")[0], range(12)))
    # Exactly the free attempts were checked; every other one was turned away up front.
    assert sorted(got) == [401] * 3 + [429] * 9


def test_the_real_user_from_another_client_gets_in(
    api: Api, container: Container, settings: Settings
) -> None:
    service = _auth(container, settings, throttle_free_attempts=3)
    assert [_try(service, ADMIN, "wrong", "10.0.0.1")[0] for _ in range(3)] == [401] * 3
    # The guessing client waits, even with the right password...
    status, retry = _try(service, ADMIN, RIGHT, "10.0.0.1")
    assert status == 429 and 1 <= retry <= 60
    # ...the account's owner, elsewhere, does not.
    assert _try(service, ADMIN, RIGHT, "192.0.2.7") == (201, 0)


@pytest.mark.parametrize("email", [ADMIN, "ghost@example.com"])
def test_guesses_from_many_clients_hold_the_account_back_briefly_and_alike(
    api: Api, container: Container, settings: Settings, email: str
) -> None:
    service = _auth(
        container,
        settings,
        throttle_free_attempts=3,
        throttle_base_delay_seconds=3600,
        throttle_max_delay_seconds=3600,
        throttle_account_max_delay_seconds=30,
    )
    # The account's own bucket allows twice the free attempts, whoever makes them.
    got = [_try(service, email, "wrong", f"10.0.1.{i}")[0] for i in range(7)]
    assert got == [401] * 6 + [429]
    # A new client with the right password waits at most the account's cap, not an hour;
    # an unknown email is answered exactly the same way (nothing says it does not exist).
    status, retry = _try(service, email, RIGHT, "192.0.2.7")
    assert status == 429 and 1 <= retry <= 30


def test_throttled_attempts_cost_no_password_hash(
    api: Api, container: Container, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls = _count_calls(monkeypatch, "verify_password")
    service = _auth(container, settings, throttle_free_attempts=3)
    got = [_try(service, ADMIN, "wrong", "10.0.0.1")[0] for _ in range(8)]
    assert got == [401] * 3 + [429] * 5
    assert calls == [1, 1, 1]


def test_stale_buckets_are_swept_and_keys_are_stored_hashed(
    api: Api, container: Container, settings: Settings
) -> None:
    service = _auth(container, settings, throttle_free_attempts=3)
    with container.pool.connection() as conn:
        conn.execute(
            "INSERT INTO auth_throttle (scope, key_hash, failures, blocked_until, updated_at)"
            " VALUES ('login:pair', 'old', 9, now() - interval '3 days',"
            " now() - interval '3 days')"
        )
    assert _try(service, "someone@example.com", "wrong", "10.0.0.9")[0] == 401
    with container.pool.connection() as conn:
        rows = conn.execute("SELECT scope, key_hash, failures FROM auth_throttle").fetchall()
    assert sorted((r["scope"], r["failures"]) for r in rows) == [
        ("login:client", 1),
        ("login:pair", 1),
        ("login:subject", 1),
    ]
    stored = b"".join(bytes(r["key_hash"]) for r in rows)
    assert b"someone" not in stored and b"10.0.0.9" not in stored
    assert {len(bytes(r["key_hash"])) for r in rows} == {32}


def test_the_same_answers_over_http_for_known_and_unknown_emails(api: Api) -> None:
    answers = {}
    for email in (ADMIN, "ghost@example.com"):
        rs = [
            api.call("POST", "/api/auth/login", {"email": email, "password": "x"}) for _ in range(4)
        ]
        answers[email] = [(r.status_code, r.json["message"].split(";")[0]) for r in rs]
        assert 1 <= int(rs[-1].headers["Retry-After"]) <= 60
    assert (
        answers[ADMIN]
        == answers["ghost@example.com"]
        == [(401, "Incorrect email or password")] * 3 + [(429, "Too many failed logins")]
    )


def test_change_password_is_throttled(api: Api, user_token: str) -> None:
    def change(current: str) -> Any:
        body = {"password": current, "newPassword": "new-password-9"}
        return api.call("POST", "/api/auth/change-password", body, token=user_token)

    assert [change("wrong").status_code for _ in range(3)] == [400] * 3
    r = change("alice-password")
    assert r.status_code == 429 and 1 <= int(r.headers["Retry-After"]) <= 60
    assert r.json["message"].startswith("Too many wrong passwords")
    assert api.login("alice@example.com", "alice-password")  # unchanged


def test_a_password_change_revokes_api_keys_and_other_sessions(api: Api, user_token: str) -> None:
    created = api.call("POST", "/api/api-keys", {"name": "backup"}, token=user_token)
    assert created.status_code == 201, created.body
    secret = created.json["secret"]
    assert api.call("GET", "/api/users/me", api_key=secret).status_code == 200
    other = api.login("alice@example.com", "alice-password")
    body = {"password": "alice-password", "newPassword": "new-password-9"}
    assert api.call("POST", "/api/auth/change-password", body, token=user_token).status_code == 204
    revoked = api.call("GET", "/api/users/me", api_key=secret)
    assert revoked.status_code == 401 and revoked.json["message"] == "Invalid API key"
    assert api.call("GET", "/api/users/me", token=other).status_code == 401
    me = api.call("GET", "/api/users/me", token=user_token)
    assert me.status_code == 200 and me.json["email"] == "alice@example.com"
    assert api.call("GET", "/api/api-keys", token=user_token).json == []


def test_no_secret_reaches_the_logs(api: Api, user_token: str) -> None:
    """Everything the service logs passes the redaction filter, whatever a caller sends."""
    out = _capture_logs()
    try:
        api.call("POST", "/api/auth/login", {"email": ADMIN, "password": "hunter2-SECRET-pw"})
        logger.info(
            "what a careless line could log",
            extra={
                "password": "hunter2-SECRET-pw",
                "query": "/api/shared-links/me?key=SECRET-LINK-KEY&size=preview",
                "headers": {"x-shared-link-password": "SECRET-LINK-PW", "Accept": "*/*"},
                "authorization": f"Bearer {user_token}",
            },
        )
        logger.warning("visitor sent x-shared-link-token: SECRET-VISITOR-TOKEN")
    finally:
        logger.handlers.remove(out.handler)
    text = out.stream.getvalue()
    assert "failed login" in text and "what a careless line could log" in text
    for secret in (
        "hunter2-SECRET-pw",
        "SECRET-LINK-KEY",
        "SECRET-LINK-PW",
        "SECRET-VISITOR-TOKEN",
        user_token,
    ):
        assert secret not in text
    assert text.count("[redacted]") >= 5 and "*/*" in text


class _Capture:
    def __init__(self) -> None:
        self.stream = io.StringIO()
        self.handler = logging.StreamHandler(self.stream)


def _capture_logs() -> _Capture:
    capture = _Capture()
    capture.handler.setFormatter(logger.registered_formatter)
    logger.addHandler(capture.handler)
    return capture


def _count_calls(monkeypatch: pytest.MonkeyPatch, name: str) -> list[int]:
    """Records each call of ``secrets.<name>`` and still runs the real function."""
    calls: list[int] = []
    real: Callable[..., Any] = getattr(secrets, name)

    def spy(*args: Any, **kwargs: Any) -> Any:
        calls.append(1)
        return real(*args, **kwargs)

    monkeypatch.setattr(secrets, name, spy)
    return calls
