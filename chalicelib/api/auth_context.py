"""Resolves the caller of a request (session token or API key)."""

from __future__ import annotations

from typing import Any

from chalicelib.services.auth import AuthUser


def authenticate(container: Any, headers: Any) -> AuthUser:
    return container.auth_service.authenticate(dict(headers or {}))
