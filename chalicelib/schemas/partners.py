"""DTOs for partners (a library shared with another user)."""

from __future__ import annotations

from typing import Literal
from uuid import UUID

from chalicelib.schemas.base import Dto, ResponseDto


class PartnerQuery(Dto):
    direction: Literal["shared-by", "shared-with"]


class UpdatePartnerRequest(Dto):
    in_timeline: bool


class PartnerResponse(ResponseDto):
    id: UUID
    name: str
    email: str
    # Only meaningful for partners who share with me (direction=shared-with).
    in_timeline: bool | None = None
