"""DTOs for auth, users, API keys and invitations."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any
from uuid import UUID

from pydantic import AfterValidator, Field, RootModel, SecretStr

from chalicelib.schemas.base import DbDateTime, Dto, NotNullBool, ResponseDto


def _email(value: str) -> str:
    local, sep, domain = value.partition("@")
    if not sep or not local or "." not in domain or " " in value or domain.startswith("."):
        raise ValueError("value is not a valid email address")
    return value.lower()


Email = Annotated[str, Field(min_length=3, max_length=320), AfterValidator(_email)]


class LoginRequest(Dto):
    email: str = Field(min_length=3, max_length=320)
    password: SecretStr = Field(min_length=1, max_length=1024)


class LoginResponse(ResponseDto):
    access_token: str
    user_id: UUID
    name: str
    is_admin: bool


class ChangePasswordRequest(Dto):
    password: SecretStr = Field(min_length=1, max_length=1024)
    new_password: SecretStr = Field(min_length=8, max_length=1024)


class SignupRequest(Dto):
    code: str = Field(min_length=8, max_length=200)
    email: Email
    password: SecretStr = Field(min_length=8, max_length=1024)
    name: str = Field(min_length=1, max_length=200)


class UserResponse(ResponseDto):
    id: UUID
    email: str
    name: str
    is_admin: bool
    quota_size_in_bytes: int | None
    created_at: datetime
    updated_at: datetime


class UpdateMeRequest(Dto):
    name: str = Field(min_length=1, max_length=200)


class AdminCreateUserRequest(Dto):
    email: Email
    password: SecretStr = Field(min_length=8, max_length=1024)
    name: str = Field(min_length=1, max_length=200)
    is_admin: bool = False
    quota_size_in_bytes: int | None = Field(default=None, ge=0)


class AdminUpdateUserRequest(Dto):
    name: str | None = Field(default=None, min_length=1, max_length=200)
    is_admin: NotNullBool = None
    # Explicit null clears the quota; leaving the field out keeps it.
    quota_size_in_bytes: int | None = Field(default=None, ge=0)


class ApiKeyCreateRequest(Dto):
    name: str = Field(min_length=1, max_length=100)


class ApiKeyResponse(ResponseDto):
    id: UUID
    name: str
    created_at: datetime
    last_used_at: datetime | None


class ApiKeyCreateResponse(ResponseDto):
    secret: str = Field(description="Shown once; only its hash is stored.")
    api_key: ApiKeyResponse


class InvitationCreateRequest(Dto):
    expires_at: DbDateTime | None = None
    max_uses: int | None = Field(default=None, ge=1, le=100_000)
    quota_size_in_bytes: int | None = Field(default=None, ge=0)
    is_admin: bool = False


class InvitationResponse(ResponseDto):
    id: UUID
    code_hint: str = Field(description="The first characters of the code, to tell codes apart.")
    expires_at: datetime | None
    max_uses: int | None
    uses: int
    quota_size_in_bytes: int | None
    is_admin: bool
    revoked_at: datetime | None
    created_at: datetime


class InvitationCreateResponse(ResponseDto):
    code: str = Field(description="Shown once; only its hash is stored.")
    signup_url: str
    invitation: InvitationResponse


class PingResponse(ResponseDto):
    res: str = "pong"


class VersionResponse(ResponseDto):
    major: int
    minor: int
    patch: int
    version: str


# The document describes itself only as a JSON object: a RootModel so that its route, like
# every other with a body, names a schema.
class OpenApiDocument(RootModel[dict[str, Any]]):
    """An OpenAPI 3.1 document (https://spec.openapis.org/oas/v3.1.0)."""


class JobRunResponse(ResponseDto):
    job: str
    # True: handed to the jobs Lambda (a deployment), which logs the result; ``result`` is
    # then empty. False: it ran inside this call and ``result`` has its figures.
    started: bool = False
    result: dict[str, int]


class UserSummary(ResponseDto):
    id: UUID
    name: str
    email: str
