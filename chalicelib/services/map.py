"""Map markers: the caller's assets that have a GPS position, with their place names; a
bounded number whatever the library's size (grouped into a grid when there are many)."""

from __future__ import annotations

from chalicelib.repositories.map import MapRepository
from chalicelib.schemas import map as s
from chalicelib.schemas.base import validate_many
from chalicelib.services.auth import AuthUser


class MapService:
    def __init__(self, markers: MapRepository) -> None:
        self._markers = markers

    def markers(self, auth: AuthUser, query: s.MapMarkerQuery) -> list[s.MapMarkerResponse]:
        rows = self._markers.markers(
            auth.id, query.model_dump(exclude_none=True), s.MAP_MARKERS_MAX, s.MAP_GRID
        )
        return validate_many(s.MapMarkerResponse, rows)
