"""Partners: share my whole library (read-only) with another user; they choose whether it
shows in their timeline. Reads through a partnership are checked in services/access.py."""

from __future__ import annotations

from uuid import UUID

from chalicelib import errors
from chalicelib.repositories.partners import PartnerRepository
from chalicelib.repositories.users import UserRepository
from chalicelib.schemas import partners as s
from chalicelib.services.auth import AuthUser


class PartnerService:
    def __init__(self, partners: PartnerRepository, users: UserRepository) -> None:
        self._partners = partners
        self._users = users

    def create(self, auth: AuthUser, user_id: UUID) -> s.PartnerResponse:
        if user_id == auth.id:
            raise errors.BadRequest("You cannot partner with yourself")
        user = self._users.get(user_id)
        if user is None:
            raise errors.NotFound("User not found")
        if not self._partners.create(auth.id, user_id):
            raise errors.Conflict("You already share your library with this user")
        return s.PartnerResponse(id=user["id"], name=user["name"], email=user["email"])

    def list_for(self, auth: AuthUser, query: s.PartnerQuery) -> list[s.PartnerResponse]:
        if query.direction == "shared-by":
            rows = self._partners.shared_by(auth.id)
            return [s.PartnerResponse(id=r["id"], name=r["name"], email=r["email"]) for r in rows]
        return [s.PartnerResponse.model_validate(r) for r in self._partners.shared_with(auth.id)]

    def update(
        self, auth: AuthUser, user_id: UUID, dto: s.UpdatePartnerRequest
    ) -> s.PartnerResponse:
        """Shows (or hides) a partner's library - one shared *with me* - in my timeline."""
        if not self._partners.set_in_timeline(user_id, auth.id, dto.in_timeline):
            raise errors.NotFound("This user does not share their library with you")
        user = self._users.get(user_id)
        assert user is not None
        return s.PartnerResponse(
            id=user["id"], name=user["name"], email=user["email"], in_timeline=dto.in_timeline
        )

    def delete(self, auth: AuthUser, user_id: UUID) -> None:
        """Stops sharing my library with ``user_id``."""
        if not self._partners.delete(auth.id, user_id):
            raise errors.NotFound("You do not share your library with this user")
