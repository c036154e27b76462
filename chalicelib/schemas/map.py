"""The map: markers of the assets with a GPS position."""

from __future__ import annotations

from uuid import UUID

from pydantic import Field, model_validator

from chalicelib.schemas.base import DbDateTime, Dto, FieldError, ResponseDto

# A response holds at most this many markers: single assets up to it, grid cells above it.
MAP_MARKERS_MAX = 2000
# Cells per side of the box when the assets in it are more than MAP_MARKERS_MAX; with the
# edges, (MAP_GRID + 1)² = 1,681 cells at most. The world's markers are read from the grid
# the database keeps (repositories/map.py WORLD_GRID, migration 0024): the same 40.
MAP_GRID = 40


class MapMarkerQuery(Dto):
    is_favorite: bool | None = None
    # Omitted: archived assets are left out, as on the timeline.
    is_archived: bool | None = None
    file_created_after: DbDateTime | None = None
    file_created_before: DbDateTime | None = None
    # The box the client shows (the whole world when omitted); zooming in is asking again
    # for a smaller box, whose markers are single assets once few enough are in it.
    west: float = Field(default=-180, ge=-180, le=180)
    south: float = Field(default=-90, ge=-90, le=90)
    east: float = Field(default=180, ge=-180, le=180)
    north: float = Field(default=90, ge=-90, le=90)

    @model_validator(mode="after")
    def _box(self) -> MapMarkerQuery:
        if self.east < self.west:
            raise FieldError("east", "east must not be west of west")
        if self.north < self.south:
            raise FieldError("north", "north must not be south of south")
        return self


class MapMarkerResponse(ResponseDto):
    """One asset, or (count > 1) the assets of one grid cell: its mean position, and the id
    and place of its newest asset."""

    id: UUID
    lat: float
    lon: float
    city: str | None
    state: str | None
    country: str | None
    count: int = Field(
        default=1,
        description=f"Assets this marker stands for: 1 while the box holds at most"
        f" {MAP_MARKERS_MAX:,}, more when they are grouped into a {MAP_GRID}×{MAP_GRID} grid",
    )
