"""First start: create the admin account from settings (or a generated password, shown once)."""

from __future__ import annotations

import secrets as pysecrets
from typing import Protocol

from chalicelib.observability import logger
from chalicelib.repositories.users import UserRepository
from chalicelib.schemas.accounts import AdminCreateUserRequest
from chalicelib.services.users import UserService
from chalicelib.settings import Settings


class Accounts(Protocol):
    @property
    def settings(self) -> Settings: ...

    @property
    def users_repo(self) -> UserRepository: ...

    @property
    def user_service(self) -> UserService: ...


def ensure_first_admin(container: Accounts) -> str | None:
    """Creates the admin if no admin exists. Returns the generated password when one was
    generated (the caller prints it once), else None."""
    if container.users_repo.any_admin():
        return None
    settings = container.settings
    generated = None
    if settings.admin_password is not None:
        password = settings.admin_password.get_secret_value()
    else:
        password = generated = pysecrets.token_urlsafe(12)
    container.user_service.create_user(
        AdminCreateUserRequest(
            email=settings.admin_email, password=password, name=settings.admin_name, is_admin=True
        )
    )
    logger.info("created the first admin", extra={"email": settings.admin_email})
    return generated
