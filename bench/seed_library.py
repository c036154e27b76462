"""A big family library for one user, inserted directly with set-based SQL (no pipeline):
what the browsing benchmark (bench_browse.py) and the bounded-responses test read.

``n`` ready assets over 15 years (2011-2025): 60 % in bursts of 250 on one day (a party, a
trip), 30 % scattered one by one, and 10 % in one month (July 2019, the long trip) so the
library has a huge bucket; 4 % videos. 40 % carry a GPS position near one of 24 cities,
every asset has camera EXIF and two finished pipeline stages. 2 % favourites, 0.5 %
archived, 0.2 % trashed. Faces on 30 % of the assets, in ``n / 300`` people; ``n / 2,000``
albums of 200 assets and one album of ``n / 10``; 100 tags on 20 % of the assets.
Meant for a throwaway database: it drops the faces' vector index (see ``_faces``).
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

CITIES = [
    ("Paris", "Ile-de-France", "France", 48.86, 2.35),
    ("Lyon", "Auvergne-Rhone-Alpes", "France", 45.76, 4.84),
    ("Berlin", "Berlin", "Germany", 52.52, 13.40),
    ("Munich", "Bavaria", "Germany", 48.14, 11.58),
    ("Rome", "Lazio", "Italy", 41.90, 12.50),
    ("Milan", "Lombardy", "Italy", 45.46, 9.19),
    ("Madrid", "Madrid", "Spain", 40.42, -3.70),
    ("Lisbon", "Lisbon", "Portugal", 38.72, -9.14),
    ("London", "England", "United Kingdom", 51.51, -0.13),
    ("Dublin", "Leinster", "Ireland", 53.35, -6.26),
    ("New York City", "New York", "United States", 40.71, -74.01),
    ("San Francisco", "California", "United States", 37.77, -122.42),
    ("Chicago", "Illinois", "United States", 41.88, -87.63),
    ("Toronto", "Ontario", "Canada", 43.65, -79.38),
    ("Mexico City", "CDMX", "Mexico", 19.43, -99.13),
    ("Sao Paulo", "Sao Paulo", "Brazil", -23.55, -46.63),
    ("Buenos Aires", "Buenos Aires", "Argentina", -34.60, -58.38),
    ("Cape Town", "Western Cape", "South Africa", -33.92, 18.42),
    ("Cairo", "Cairo", "Egypt", 30.04, 31.24),
    ("Tokyo", "Tokyo", "Japan", 35.68, 139.69),
    ("Kyoto", "Kyoto", "Japan", 35.01, 135.77),
    ("Sydney", "New South Wales", "Australia", -33.87, 151.21),
    ("Mumbai", "Maharashtra", "India", 19.08, 72.88),
    ("Bangkok", "Bangkok", "Thailand", 13.76, 100.50),
]
HUGE_MONTH = "2019-07-01"


def seed_library(conn: Any, owner: UUID, n: int, prefix: str = "seed/") -> dict[str, Any]:
    """Inserts the library in ``conn``'s transaction; returns what a test or report names:
    the huge month, the big album, a person and a tag."""
    p = {"owner": owner, "n": n, "prefix": prefix, "huge": HUGE_MONTH}
    conn.execute(
        "CREATE TEMP TABLE seed_cities (k int, city text, state text, country text,"
        " lat float8, lon float8) ON COMMIT DROP"
    )
    with conn.cursor() as cur:
        cur.executemany(
            "INSERT INTO seed_cities VALUES (%s, %s, %s, %s, %s, %s)",
            [(k, *c) for k, c in enumerate(CITIES)],
        )
    conn.execute(
        "CREATE TEMP TABLE seed_assets ON COMMIT DROP AS SELECT i, gen_random_uuid() AS id,"
        " CASE WHEN i %% 10 = 0 THEN %(huge)s::timestamptz"
        "   + (abs(hashtext('h' || i)) %% (31 * 86400)) * interval '1 second'"
        " ELSE timestamptz '2011-01-01 00:00:00+00' + (CASE WHEN i %% 10 < 4"
        "   THEN abs(hashtext('s' || i)) %% 5475 ELSE abs(hashtext('b' || (i / 250))) %% 5475"
        "   END) * interval '1 day' + (abs(hashtext('t' || i)) %% 86400) * interval '1 second'"
        " END AS taken FROM generate_series(1, %(n)s) i",
        p,
    )
    conn.execute(
        "INSERT INTO assets (id, owner_id, status, type, original_file_name,"
        " original_mime_type, checksum, file_size, storage_key, file_created_at,"
        " file_modified_at, taken_at, local_date_time, width, height, thumbhash,"
        " is_favorite, is_archived, trashed_at, duration_seconds)"
        " SELECT id, %(owner)s, 'ready', CASE WHEN i %% 25 = 0 THEN 'VIDEO' ELSE 'IMAGE' END,"
        " 'IMG_' || i || '.jpg', 'image/jpeg',"
        " decode(md5(%(prefix)s || i) || md5(%(prefix)s || -i), 'hex'),"
        " 2000000 + abs(hashtext('f' || i)) %% 3000000, %(prefix)s || i, taken, taken, taken,"
        " taken, 4032, 3024, 'YJqGPQRwd4eIh3h3d4eIeAiJbJw', i %% 50 = 0, i %% 200 = 7,"
        " CASE WHEN i %% 500 = 3 THEN now() END, CASE WHEN i %% 25 = 0 THEN 12.5 END"
        " FROM seed_assets",
        p,
    )
    conn.execute(
        "INSERT INTO asset_exif (asset_id, make, model, lens_model, f_number, iso,"
        " focal_length, exif_image_width, exif_image_height, date_time_original,"
        " file_size_in_byte, latitude, longitude, city, state, country, date_source)"
        " SELECT s.id, (ARRAY['Apple', 'Canon', 'Sony', 'Google'])[1 + i %% 4],"
        " (ARRAY['iPhone 12', 'EOS R6', 'A7 III', 'Pixel 7', 'iPhone 15'])[1 + i %% 5],"
        " 'lens ' || (i %% 7), 1.8, 100 * (1 + i %% 8), 4.2, 4032, 3024, taken, 3000000,"
        " c.lat + (abs(hashtext('y' || i)) %% 1000) / 20000.0,"
        " c.lon + (abs(hashtext('x' || i)) %% 1000) / 20000.0, c.city, c.state, c.country,"
        " 'exif' FROM seed_assets s LEFT JOIN seed_cities c"
        "   ON i %% 5 < 2 AND c.k = abs(hashtext('c' || (i / 50))) %% 24",
        p,
    )
    conn.execute(
        "INSERT INTO asset_stages (asset_id, stage, status, attempts)"
        " SELECT id, stage, 'done', 1 FROM seed_assets,"
        " unnest(ARRAY['ingest', 'thumbnail']) stage",
        p,
    )
    _faces(conn, p)
    albums = _albums(conn, p)
    tag = _tags(conn, p)
    conn.execute("ANALYZE")
    person = conn.execute(
        "SELECT person_id FROM asset_faces WHERE owner_id = %s AND person_id IS NOT NULL"
        " GROUP BY 1 ORDER BY count(*) DESC LIMIT 1",
        (owner,),
    ).fetchone()
    return {
        "huge_month": HUGE_MONTH,
        "big_album": albums,
        "person": person["person_id"],
        "tag": tag,
    }


def _faces(conn: Any, p: dict[str, Any]) -> None:
    conn.execute(
        "INSERT INTO people (owner_id, name) SELECT %(owner)s,"
        " CASE WHEN k <= 40 THEN 'Person ' || k ELSE '' END"
        " FROM generate_series(1, greatest(%(n)s / 300, 2)) k",
        p,
    )
    # A face on 30 %% of the assets, a second one on a third of those; the person is chosen
    # with a skew (a few people on most photos, as in a family).
    conn.execute(
        "CREATE TEMP TABLE seed_people ON COMMIT DROP AS SELECT id,"
        " row_number() OVER (ORDER BY created_at, id) - 1 AS k FROM people"
        " WHERE owner_id = %(owner)s",
        p,
    )
    # No list route reads the faces' vector index, and building it over random vectors
    # costs more than the rest of the library: the seeded database goes without it.
    conn.execute("DROP INDEX IF EXISTS asset_faces_hnsw")
    conn.execute(
        "INSERT INTO asset_faces (asset_id, owner_id, person_id, image_width, image_height,"
        " x1, y1, x2, y2, landmarks, score, model_id, embedding, thumbnail_key)"
        " SELECT s.id, %(owner)s, sp.id, 1440, 1080, 100 * f, 100, 100 * f + 80, 180,"
        " ARRAY[0, 0, 0, 0, 0, 0, 0, 0, 0, 0]::real[], 0.9, 'seed',"
        " (SELECT array_agg(random() - 0.5)::halfvec(128)"
        "  FROM generate_series(1, 128 + 0 * s.i) d), %(prefix)s || 'face/' || s.i || '/' || f"
        " FROM seed_assets s CROSS JOIN generate_series(1, 2) f"
        " JOIN seed_people sp ON sp.k = floor(power((abs(hashtext('p' || s.i || f)) %% 1000)"
        "   / 1000.0, 3) * (SELECT count(*) FROM seed_people))"
        " WHERE s.i %% 10 < 3 AND (f = 1 OR s.i %% 3 = 0)",
        p,
    )
    conn.execute(
        "UPDATE people p SET feature_face_id = (SELECT f.id FROM asset_faces f"
        " WHERE f.person_id = p.id LIMIT 1) WHERE p.owner_id = %(owner)s",
        p,
    )


def _albums(conn: Any, p: dict[str, Any]) -> UUID:
    conn.execute(
        "INSERT INTO albums (owner_id, album_name) SELECT %(owner)s, 'Album ' || k"
        " FROM generate_series(0, greatest(%(n)s / 2000, 1)) k",
        p,
    )
    albums = conn.execute(
        "SELECT id FROM albums WHERE owner_id = %(owner)s ORDER BY album_name", p
    ).fetchall()
    big = albums[0]["id"]
    conn.execute(
        "INSERT INTO album_assets (album_id, asset_id, added_by)"
        " SELECT %(big)s, id, %(owner)s FROM seed_assets WHERE i %% 10 = 1",
        {**p, "big": big},
    )
    conn.execute(
        "INSERT INTO album_assets (album_id, asset_id, added_by)"
        " SELECT (%(rest)s::uuid[])[1 + (i / 200) %% cardinality(%(rest)s::uuid[])], id,"
        " %(owner)s FROM seed_assets WHERE i %% 10 = 2",
        {**p, "rest": [a["id"] for a in albums[1:]]},
    )
    return big


def _tags(conn: Any, p: dict[str, Any]) -> UUID:
    conn.execute(
        "INSERT INTO tags (owner_id, value) SELECT %(owner)s, 'Tag ' || k"
        " FROM generate_series(0, 99) k",
        p,
    )
    tags = [r["id"] for r in conn.execute(
        "SELECT id FROM tags WHERE owner_id = %(owner)s ORDER BY value", p
    ).fetchall()]  # fmt: skip
    conn.execute(
        "INSERT INTO tag_assets (tag_id, asset_id) SELECT (%(tags)s::uuid[])[1 + i %% 100], id"
        " FROM seed_assets WHERE i %% 5 = 4",
        {**p, "tags": tags},
    )
    return tags[4]
