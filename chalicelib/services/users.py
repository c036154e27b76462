"""Profiles, admin user management, invitations and signup."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID

import psycopg

from chalicelib import errors
from chalicelib.db.pool import Connection, Pool
from chalicelib.repositories.invitations import InvitationRepository
from chalicelib.repositories.users import UserRepository
from chalicelib.schemas.accounts import (
    AdminCreateUserRequest,
    AdminUpdateUserRequest,
    InvitationCreateRequest,
    InvitationCreateResponse,
    InvitationResponse,
    SignupRequest,
    UpdateMeRequest,
    UserResponse,
)
from chalicelib.services import secrets
from chalicelib.services.auth import AuthUser
from chalicelib.services.system_config import SystemConfigReader

INVITE_PREFIX = "inv_"
_UNUSABLE = {
    "unknown": (errors.NotFound, "Invitation code not found"),
    "revoked": (errors.Gone, "Invitation has been revoked"),
    "expired": (errors.Gone, "Invitation has expired"),
    "exhausted": (errors.Gone, "Invitation has no uses left"),
}


class UserService:
    def __init__(
        self,
        pool: Pool,
        users: UserRepository,
        invitations: InvitationRepository,
        public_url: str,
        config: SystemConfigReader | None = None,
        *,
        forget_downloads: Callable[[UUID], object],
    ) -> None:
        self._pool = pool
        self._users = users
        self._invitations = invitations
        # Removes every zip a user asked for (DownloadService.forget_owner).
        self._forget_downloads = forget_downloads
        self._public_url = public_url.rstrip("/")
        # The server settings' defaults for what a request leaves out (quota, expiry, uses).
        self._config = config

    # --- me -----------------------------------------------------------------------
    def get_me(self, auth: AuthUser) -> UserResponse:
        return self._get(auth.id)

    def update_me(self, auth: AuthUser, dto: UpdateMeRequest) -> UserResponse:
        row = self._users.update(auth.id, {"name": dto.name})
        if row is None:
            raise errors.NotFound("User not found")
        return UserResponse.model_validate(row)

    # --- admin --------------------------------------------------------------------
    def list_users(self) -> list[UserResponse]:
        return [UserResponse.model_validate(r) for r in self._users.list_all()]

    def create_user(self, dto: AdminCreateUserRequest) -> UserResponse:
        with self._pool.connection() as conn:
            row = self._insert_user(
                conn,
                email=dto.email,
                name=dto.name,
                password=dto.password.get_secret_value(),
                is_admin=dto.is_admin,
                quota=self._quota(dto.quota_size_in_bytes, dto.model_fields_set),
            )
        return UserResponse.model_validate(row)

    def update_user(
        self, auth: AuthUser, user_id: UUID, dto: AdminUpdateUserRequest
    ) -> UserResponse:
        changes: dict[str, Any] = dto.model_dump(exclude_unset=True)
        if user_id == auth.id and changes.get("is_admin") is False:
            raise errors.BadRequest("You cannot remove your own admin rights")
        if "name" in changes and changes["name"] is None:
            raise errors.BadRequest(
                "name cannot be null", details=[{"field": "name", "message": "cannot be null"}]
            )
        row = self._users.update(user_id, changes)
        if row is None:
            raise errors.NotFound("User not found")
        return UserResponse.model_validate(row)

    def delete_user(self, auth: AuthUser, user_id: UUID) -> None:
        if user_id == auth.id:
            raise errors.BadRequest("You cannot delete your own account")
        if not self._users.soft_delete(user_id):
            raise errors.NotFound("User not found")

    def erase_deleted(self, user_id: UUID) -> None:
        """The delete-user job's end, once the (soft-deleted) user's assets are gone: their
        zips, then their row and, by cascade, everything in the database that hangs off it
        (albums, tags, people, shared links, activity, partnerships, libraries, counters)."""
        self._forget_downloads(user_id)
        self._users.erase_deleted(user_id)

    # --- invitations --------------------------------------------------------------
    def create_invitation(
        self, auth: AuthUser, dto: InvitationCreateRequest
    ) -> InvitationCreateResponse:
        code = secrets.new_token(INVITE_PREFIX)
        given = dto.model_fields_set
        expires_at, max_uses = dto.expires_at, dto.max_uses
        if self._config is not None:
            defaults = self._config.get().invitation
            if "expires_at" not in given and defaults.expires_in_days is not None:
                expires_at = datetime.now(UTC) + timedelta(days=defaults.expires_in_days)
            if "max_uses" not in given:
                max_uses = defaults.max_uses
        row = self._invitations.create(
            code_hash=secrets.token_hash(code),
            code_hint=code[:10],
            created_by=auth.id,
            expires_at=expires_at,
            max_uses=max_uses,
            quota=self._quota(dto.quota_size_in_bytes, given),
            is_admin=dto.is_admin,
        )
        return InvitationCreateResponse(
            code=code,
            signup_url=f"{self._public_url}/signup?code={code}",
            invitation=InvitationResponse.model_validate(row),
        )

    def list_invitations(self) -> list[InvitationResponse]:
        return [InvitationResponse.model_validate(r) for r in self._invitations.list_all()]

    def revoke_invitation(self, invitation_id: UUID) -> None:
        if not self._invitations.revoke(invitation_id):
            raise errors.NotFound("Invitation not found")

    def signup(self, dto: SignupRequest) -> UserResponse:
        code_hash = secrets.token_hash(dto.code)
        password_hash = secrets.hash_password(dto.password.get_secret_value())
        with self._pool.connection() as conn:
            invitation = self._invitations.consume(conn, code_hash)
            if invitation is None:
                kind, message = _UNUSABLE[self._invitations.why_unusable(conn, code_hash)]
                raise kind(message)
            # Same transaction: a failed insert (taken email) gives the use back.
            row = self._insert_user(
                conn,
                email=dto.email,
                name=dto.name,
                password_hash=password_hash,
                is_admin=invitation["is_admin"],
                quota=invitation["quota_size_in_bytes"],
            )
        return UserResponse.model_validate(row)

    # --- helpers ------------------------------------------------------------------
    def _quota(self, quota: int | None, given: set[str]) -> int | None:
        """The request's quota; left out, the server settings' default (null: unlimited)."""
        if "quota_size_in_bytes" in given or self._config is None:
            return quota
        return self._config.get().user.default_quota_size_in_bytes

    def _get(self, user_id: UUID) -> UserResponse:
        row = self._users.get(user_id)
        if row is None:
            raise errors.NotFound("User not found")
        return UserResponse.model_validate(row)

    def _insert_user(
        self,
        conn: Connection,
        *,
        email: str,
        name: str,
        is_admin: bool,
        quota: int | None,
        password: str | None = None,
        password_hash: str | None = None,
    ) -> dict[str, Any]:
        hashed = password_hash or secrets.hash_password(password or "")
        try:
            with conn.transaction():
                return self._users.create(
                    conn,
                    email=email,
                    name=name,
                    password_hash=hashed,
                    is_admin=is_admin,
                    quota=quota,
                )
        except psycopg.errors.UniqueViolation as exc:
            raise errors.Conflict("A user with this email already exists") from exc
