"""Login, logout, password changes, API keys, and resolving a request's credentials."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID

from chalicelib import errors
from chalicelib.observability import logger
from chalicelib.repositories.users import CredentialRepository, UserRepository
from chalicelib.schemas.accounts import (
    ApiKeyCreateResponse,
    ApiKeyResponse,
    ChangePasswordRequest,
    LoginRequest,
    LoginResponse,
)
from chalicelib.services import secrets
from chalicelib.services.throttle import Throttle
from chalicelib.settings import Settings

API_KEY_PREFIX = "sky_"


@dataclass(frozen=True)
class AuthUser:
    id: UUID
    email: str
    name: str
    is_admin: bool
    quota_size_in_bytes: int | None
    # The session token's hash when authenticated by session (logout needs it).
    session_hash: bytes | None = None

    @classmethod
    def from_row(cls, row: dict[str, Any], session_hash: bytes | None = None) -> AuthUser:
        return cls(
            row["id"],
            row["email"],
            row["name"],
            row["is_admin"],
            row["quota_size_in_bytes"],
            session_hash,
        )


class AuthService:
    def __init__(
        self,
        users: UserRepository,
        credentials: CredentialRepository,
        settings: Settings,
        throttle: Throttle,
    ) -> None:
        self._users = users
        self._credentials = credentials
        self._settings = settings
        self._throttle = throttle

    def login(self, dto: LoginRequest, client: str | None = None) -> LoginResponse:
        """Unknown email and wrong password answer alike (401), and throttle alike (429):
        the buckets are keyed by the email as typed, whether or not it has an account."""
        buckets = self._throttle.buckets("login", dto.email, client)
        self._throttle.claim(buckets, "failed logins")
        row = self._users.get_for_login(dto.email)
        password = dto.password.get_secret_value()
        if row is None:
            secrets.burn_password_check(password)
            raise errors.Unauthorized("Incorrect email or password")
        if not secrets.verify_password(row["password_hash"], password):
            logger.info("failed login", extra={"user_id": str(row["id"])})
            raise errors.Unauthorized("Incorrect email or password")
        self._throttle.succeeded(buckets)
        token = secrets.new_token()
        expires = datetime.now(UTC) + timedelta(hours=self._settings.session_ttl_hours)
        self._credentials.create_session(row["id"], secrets.token_hash(token), expires)
        user = self._users.get(row["id"])
        assert user is not None
        return LoginResponse(
            access_token=token, user_id=user["id"], name=user["name"], is_admin=user["is_admin"]
        )

    def logout(self, auth: AuthUser) -> None:
        if auth.session_hash is None:
            raise errors.BadRequest("Logout ends a session; API keys are revoked instead")
        self._credentials.delete_session(auth.session_hash)

    def change_password(
        self, auth: AuthUser, dto: ChangePasswordRequest, client: str | None = None
    ) -> None:
        """Ends every other session and revokes every API key: a changed password should
        lock out whoever knew the old one, and an API key made with it is theirs too."""
        buckets = self._throttle.buckets("password", str(auth.id), client)
        self._throttle.claim(buckets, "wrong passwords")
        current = self._users.get_password_hash(auth.id)
        if current is None or not secrets.verify_password(current, dto.password.get_secret_value()):
            raise errors.BadRequest(
                "Current password is incorrect",
                details=[{"field": "password", "message": "incorrect"}],
            )
        self._throttle.succeeded(buckets)
        self._users.set_password(
            auth.id, secrets.hash_password(dto.new_password.get_secret_value())
        )
        self._credentials.delete_other_sessions(auth.id, auth.session_hash)
        self._credentials.delete_api_keys(auth.id)

    def authenticate(self, headers: dict[str, str]) -> AuthUser:
        lower = {k.lower(): v for k, v in headers.items()}
        if api_key := lower.get("x-api-key"):
            row = self._credentials.user_for_api_key(secrets.token_hash(api_key.strip()))
            if row is None:
                raise errors.Unauthorized("Invalid API key")
            return AuthUser.from_row(row)
        scheme, _, token = lower.get("authorization", "").partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise errors.Unauthorized("Authentication required")
        token_hash = secrets.token_hash(token.strip())
        row = self._credentials.user_for_session(token_hash)
        if row is None:
            raise errors.Unauthorized("Invalid or expired session")
        return AuthUser.from_row(row, token_hash)

    def create_api_key(self, auth: AuthUser, name: str) -> ApiKeyCreateResponse:
        secret = secrets.new_token(API_KEY_PREFIX)
        row = self._credentials.create_api_key(auth.id, name, secrets.token_hash(secret))
        return ApiKeyCreateResponse(secret=secret, api_key=ApiKeyResponse.model_validate(row))

    def list_api_keys(self, auth: AuthUser) -> list[ApiKeyResponse]:
        return [ApiKeyResponse.model_validate(r) for r in self._credentials.list_api_keys(auth.id)]

    def delete_api_key(self, auth: AuthUser, key_id: UUID) -> None:
        if not self._credentials.delete_api_key(auth.id, key_id):
            raise errors.NotFound("API key not found")
