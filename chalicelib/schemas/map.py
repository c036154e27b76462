"""The map: markers of the assets with a GPS position."""

from __future__ import annotations

from uuid import UUID

from chalicelib.schemas.base import DbDateTime, Dto, ResponseDto


class MapMarkerQuery(Dto):
    is_favorite: bool | None = None
    # Omitted: archived assets are left out, as on the timeline.
    is_archived: bool | None = None
    file_created_after: DbDateTime | None = None
    file_created_before: DbDateTime | None = None


class MapMarkerResponse(ResponseDto):
    id: UUID
    lat: float
    lon: float
    city: str | None
    state: str | None
    country: str | None
