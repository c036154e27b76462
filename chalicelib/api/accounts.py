"""Routes: auth, signup, the caller's profile and API keys."""

from __future__ import annotations

from chalice import Blueprint

from chalicelib.api.http import RequestContext, parse_uuid, route
from chalicelib.schemas import accounts as s

bp = Blueprint(__name__)
TAG = "Authentication"


@route(
    bp,
    "POST",
    "/auth/login",
    summary="Log in with email and password",
    tag=TAG,
    auth="public",
    body=s.LoginRequest,
    response=s.LoginResponse,
    status=201,
    responses={401: "wrong email or password", 429: "too many failed logins (Retry-After)"},
)
def login(ctx: RequestContext, body: s.LoginRequest) -> s.LoginResponse:
    return ctx.container.auth_service.login(body, ctx.client)


@route(bp, "POST", "/auth/logout", summary="End this session", tag=TAG, status=204)
def logout(ctx: RequestContext) -> None:
    ctx.container.auth_service.logout(ctx.auth)


@route(
    bp,
    "POST",
    "/auth/change-password",
    summary="Change my password (ends other sessions, revokes API keys)",
    tag=TAG,
    body=s.ChangePasswordRequest,
    status=204,
    responses={
        400: "invalid input, or the current password is incorrect",
        429: "too many wrong passwords (Retry-After)",
    },
)
def change_password(ctx: RequestContext, body: s.ChangePasswordRequest) -> None:
    ctx.container.auth_service.change_password(ctx.auth, body, ctx.client)


@route(
    bp,
    "POST",
    "/auth/signup",
    summary="Create an account with an invitation code",
    tag=TAG,
    auth="public",
    body=s.SignupRequest,
    response=s.UserResponse,
    status=201,
    responses={404: "unknown code", 409: "email taken", 410: "expired, revoked or used up"},
)
def signup(ctx: RequestContext, body: s.SignupRequest) -> s.UserResponse:
    return ctx.container.user_service.signup(body)


@route(bp, "GET", "/users/me", summary="My profile", tag="Users", response=s.UserResponse)
def get_me(ctx: RequestContext) -> s.UserResponse:
    return ctx.container.user_service.get_me(ctx.auth)


@route(
    bp,
    "PUT",
    "/users/me",
    summary="Update my profile",
    tag="Users",
    body=s.UpdateMeRequest,
    response=s.UserResponse,
)
def update_me(ctx: RequestContext, body: s.UpdateMeRequest) -> s.UserResponse:
    return ctx.container.user_service.update_me(ctx.auth, body)


@route(
    bp,
    "POST",
    "/api-keys",
    summary="Create an API key (the secret is shown once)",
    tag="API keys",
    body=s.ApiKeyCreateRequest,
    response=s.ApiKeyCreateResponse,
    status=201,
)
def create_api_key(ctx: RequestContext, body: s.ApiKeyCreateRequest) -> s.ApiKeyCreateResponse:
    return ctx.container.auth_service.create_api_key(ctx.auth, body.name)


@route(
    bp,
    "GET",
    "/api-keys",
    summary="List my API keys",
    tag="API keys",
    response=s.ApiKeyResponse,
    many=True,
)
def list_api_keys(ctx: RequestContext) -> list[s.ApiKeyResponse]:
    return ctx.container.auth_service.list_api_keys(ctx.auth)


@route(bp, "DELETE", "/api-keys/{key_id}", summary="Revoke an API key", tag="API keys", status=204)
def delete_api_key(ctx: RequestContext, key_id: str) -> None:
    ctx.container.auth_service.delete_api_key(ctx.auth, parse_uuid(key_id))
