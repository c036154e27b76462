"""SQL for smart search, faces/people and near-duplicates (migration 0004_ml.sql).

Every method a user can reach takes the owner id and filters on it; the worker-side methods
take ids the pipeline produced. Vectors travel as pgvector ``HalfVector`` values.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any
from uuid import UUID

from chalicelib.db.pool import Pool
from chalicelib.repositories.assets import _SELECT as ASSET_SELECT

Row = dict[str, Any]

# Embedding tables by dimension (a pgvector column has one dimension): see 0004_ml.sql.
EMBEDDING_TABLES = {384: "smart_search_384", 512: "smart_search_512"}
HNSW_EF_SEARCH_MAX = 1000  # pgvector's limit for hnsw.ef_search
# Up to this many candidate assets a smart search is exact (a scan of the caller's rows):
# a filtered HNSW walk over one index shared by every user loses recall when the caller
# owns a small share of it (docs/benchmarks.md, many users).
EXACT_SEARCH_MAX_ROWS = 20_000


def embedding_table(dimension: int) -> str:
    try:
        return EMBEDDING_TABLES[dimension]
    except KeyError:
        raise ValueError(f"no embedding table for dimension {dimension}") from None


def halfvec(values: Any) -> Any:
    import numpy as np
    from pgvector import HalfVector

    return HalfVector(np.asarray(values, dtype=np.float32))


def asset_filters(filters: dict[str, Any], where: list[str]) -> None:
    """WHERE clauses shared by smart and metadata search (named params from ``filters``).
    Trashed assets never come back; archived ones only when asked for."""
    where.append("a.owner_id = %(owner)s")
    where.append("a.trashed_at IS NULL")
    where.append("a.status = 'ready'")
    if not filters.get("with_archived"):
        where.append("NOT a.is_archived")
    if filters.get("type"):
        where.append("a.type = %(type)s")
    if filters.get("is_favorite") is not None:
        where.append("a.is_favorite = %(is_favorite)s")
    if filters.get("taken_after"):
        where.append("coalesce(a.taken_at, a.file_created_at) >= %(taken_after)s")
    if filters.get("taken_before"):
        where.append("coalesce(a.taken_at, a.file_created_at) < %(taken_before)s")
    if filters.get("album_id"):
        where.append(
            "EXISTS (SELECT 1 FROM album_assets aa WHERE aa.asset_id = a.id"
            " AND aa.album_id = %(album_id)s)"
        )
    if filters.get("person_ids"):
        # Every person asked for appears on the asset (Immich's semantics).
        where.append(
            "(SELECT count(DISTINCT f.person_id) FROM asset_faces f WHERE f.asset_id = a.id"
            " AND f.person_id = ANY(%(person_ids)s)) = cardinality(%(person_ids)s::uuid[])"
        )


class EmbeddingRepository:
    """smart_search_<dim>: one row per asset, the model id next to the vector."""

    def __init__(self, pool: Pool) -> None:
        self._pool = pool

    def upsert(self, asset_id: UUID, model_id: str, vector: Any) -> None:
        self.upsert_many(model_id, [(asset_id, vector)])

    def upsert_many(self, model_id: str, vectors: Sequence[tuple[UUID, Any]]) -> None:
        """A batch's vectors of one model in one transaction (a round trip per statement,
        not per asset and statement)."""
        if not vectors:
            return
        table = embedding_table(len(vectors[0][1]))
        ids = [asset_id for asset_id, _ in vectors]
        with self._pool.connection() as conn:
            for other in EMBEDDING_TABLES.values():
                if other != table:  # a model switch across dimensions: one vector per asset
                    conn.execute(f"DELETE FROM {other} WHERE asset_id = ANY(%s)", (ids,))
            with conn.cursor() as cur:
                cur.executemany(
                    f"INSERT INTO {table} (asset_id, model_id, embedding) VALUES (%s, %s, %s)"
                    " ON CONFLICT (asset_id) DO UPDATE SET model_id = EXCLUDED.model_id,"
                    " embedding = EXCLUDED.embedding, updated_at = now()",
                    [(asset_id, model_id, halfvec(v)) for asset_id, v in vectors],
                )

    def get(self, asset_id: UUID, dimension: int) -> Row | None:
        with self._pool.connection() as conn:
            return conn.execute(
                f"SELECT model_id, embedding FROM {embedding_table(dimension)} WHERE asset_id = %s",
                (asset_id,),
            ).fetchone()

    def search(
        self,
        model_id: str,
        vector: Any,
        filters: dict[str, Any],
        limit: int,
        offset: int,
        ef_search: int,
    ) -> list[Row]:
        """Asset rows (``_SELECT`` shape) plus ``score`` (cosine similarity), best first.

        Up to ``EXACT_SEARCH_MAX_ROWS`` candidate assets (the caller's, after the filters) the
        search is exact: the index is shared by every user, and a filtered walk of it misses
        neighbours when the caller owns a small share of it. Above, HNSW with pgvector's
        iterative scan: when the owner/trash/model filters drop rows the index keeps walking
        instead of returning fewer than ``limit`` (pgvector >= 0.8). ``relaxed_order`` is
        faster but may swap neighbours, hence the outer ORDER BY.
        """
        table = embedding_table(len(vector))
        where: list[str] = []
        asset_filters(filters, where)
        candidates = f"SELECT 1 FROM assets a WHERE {' AND '.join(where)} LIMIT %(cap)s"
        params = {
            **filters,
            "model": model_id,
            "q": halfvec(vector),
            "window": limit + offset,
            "offset": offset,
            "limit": limit,
            "cap": EXACT_SEARCH_MAX_ROWS + 1,
        }
        with self._pool.connection() as conn:
            found = conn.execute(f"SELECT count(*) AS n FROM ({candidates}) c", params).fetchall()
            exact = found[0]["n"] <= EXACT_SEARCH_MAX_ROWS
            if not exact:
                conn.execute(
                    "SELECT set_config('hnsw.ef_search', %s, true)",
                    # pgvector takes 1..1000; deeper pages come from the iterative scan.
                    (str(min(HNSW_EF_SEARCH_MAX, max(ef_search, limit + offset))),),
                )
                conn.execute("SET LOCAL hnsw.iterative_scan = relaxed_order")
            # "+ 0": an expression no index orders by, so the planner sorts the caller's rows.
            distance = "(s.embedding <=> %(q)s) + 0" if exact else "s.embedding <=> %(q)s"
            sql = (
                "WITH hits AS MATERIALIZED ("
                f" SELECT s.asset_id, s.embedding <=> %(q)s AS distance FROM {table} s"
                " JOIN assets a ON a.id = s.asset_id"
                f" WHERE s.model_id = %(model)s AND {' AND '.join(where)}"
                f" ORDER BY {distance} LIMIT %(window)s)"
                f" SELECT x.*, 1 - h.distance AS score FROM hits h"
                f" JOIN ({ASSET_SELECT}) x ON x.id = h.asset_id"
                " ORDER BY h.distance, h.asset_id OFFSET %(offset)s LIMIT %(limit)s"
            )
            return conn.execute(sql, params).fetchall()

    def face_counts(self, asset_ids: Sequence[UUID]) -> dict[UUID, int]:
        """Faces found on each asset (0 for none), one query for a batch."""
        with self._pool.connection() as conn:
            rows = conn.execute(
                "SELECT asset_id, count(*) AS n FROM asset_faces WHERE asset_id = ANY(%s)"
                " GROUP BY asset_id",
                (list(asset_ids),),
            ).fetchall()
        found = {r["asset_id"]: int(r["n"]) for r in rows}
        return {asset_id: found.get(asset_id, 0) for asset_id in asset_ids}

    def needing_embedding(
        self, model_id: str, limit: int = 500, after: UUID | None = None
    ) -> list[UUID]:
        """One keyset page of previewed assets without a vector of ``model_id`` (reembed)."""
        missing = " AND ".join(
            f"NOT EXISTS (SELECT 1 FROM {t} s WHERE s.asset_id = a.id AND s.model_id = %(model)s)"
            for t in EMBEDDING_TABLES.values()
        )
        with self._pool.connection() as conn:
            rows = conn.execute(
                "SELECT a.id FROM assets a WHERE EXISTS (SELECT 1 FROM asset_files p"
                " WHERE p.asset_id = a.id AND p.kind = 'preview')"
                f" AND {missing} AND (%(after)s::uuid IS NULL OR a.id > %(after)s)"
                " ORDER BY a.id LIMIT %(limit)s",
                {"model": model_id, "after": after, "limit": limit},
            ).fetchall()
        return [r["id"] for r in rows]

    def delete_other_models(self, model_id: str) -> int:
        """Vectors no search will compare any more (another model)."""
        deleted = 0
        with self._pool.connection() as conn:
            for table in EMBEDDING_TABLES.values():
                deleted += conn.execute(
                    f"DELETE FROM {table} WHERE model_id <> %s", (model_id,)
                ).rowcount
        return deleted


class MetadataSearchRepository:
    def __init__(self, pool: Pool) -> None:
        self._pool = pool

    TEXT_FILTERS = {
        "make": "e.make",
        "model": "e.model",
        "lens_model": "e.lens_model",
        "city": "e.city",
        "state": "e.state",
        "country": "e.country",
    }

    def search(self, filters: dict[str, Any], limit: int, offset: int) -> list[Row]:
        where: list[str] = []
        asset_filters(filters, where)
        for name, column in self.TEXT_FILTERS.items():
            if filters.get(name):
                where.append(f"lower({column}) = lower(%({name})s)")
        if filters.get("original_file_name"):
            # A substring, as Immich does; LIKE wildcards typed by the user are literal.
            where.append("a.original_file_name ILIKE '%%' || %(file_like)s || '%%'")
            filters = {**filters, "file_like": _escape_like(filters["original_file_name"])}
        if filters.get("description"):
            where.append("e.description ILIKE '%%' || %(description_like)s || '%%'")
            filters = {**filters, "description_like": _escape_like(filters["description"])}
        sql = (
            f"{ASSET_SELECT} WHERE {' AND '.join(where)}"
            " ORDER BY coalesce(a.taken_at, a.file_created_at) DESC, a.id"
            " LIMIT %(limit)s OFFSET %(offset)s"
        )
        with self._pool.connection() as conn:
            return conn.execute(sql, {**filters, "limit": limit, "offset": offset}).fetchall()

    SUGGESTION_COLUMNS = {
        "camera-make": "e.make",
        "camera-model": "e.model",
        "camera-lens-model": "e.lens_model",
        "city": "e.city",
        "state": "e.state",
        "country": "e.country",
    }

    def suggestions(self, owner_id: UUID, kind: str, narrow: dict[str, str | None]) -> list[str]:
        column = self.SUGGESTION_COLUMNS[kind]
        where = [
            "a.owner_id = %(owner)s",
            "a.trashed_at IS NULL",
            f"{column} IS NOT NULL",
            f"{column} <> ''",
        ]
        for name in ("make", "model", "country", "state"):
            if narrow.get(name):
                where.append(f"lower(e.{name}) = lower(%({name})s)")
        sql = (
            f"SELECT DISTINCT {column} AS value FROM assets a"
            f" JOIN asset_exif e ON e.asset_id = a.id WHERE {' AND '.join(where)}"
            " ORDER BY 1 LIMIT 500"
        )
        with self._pool.connection() as conn:
            rows = conn.execute(sql, {**narrow, "owner": owner_id}).fetchall()
        return [r["value"] for r in rows]


def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


class FaceRepository:
    """asset_faces and people. Recognition runs under a per-owner advisory lock so two
    workers never create the same person twice."""

    def __init__(self, pool: Pool) -> None:
        self._pool = pool

    # --- the faces stage -----------------------------------------------------------------
    def replace_faces(self, asset_id: UUID, owner_id: UUID, faces: Sequence[Row]) -> list[str]:
        """The asset's faces become exactly ``faces``; returns the crop keys of faces that
        are gone (the caller deletes the objects). Rows are upserted by their deterministic
        id, so a re-run keeps the person each face was given. Each row: id, image_width,
        image_height, box, landmarks, score, model_id, embedding, thumbnail_key."""
        with self._pool.connection() as conn:
            for f in faces:
                x1, y1, x2, y2 = f["box"]
                conn.execute(
                    "INSERT INTO asset_faces (id, asset_id, owner_id, image_width, image_height,"
                    " x1, y1, x2, y2, landmarks, score, model_id, embedding, thumbnail_key)"
                    " VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)"
                    " ON CONFLICT (id) DO UPDATE SET image_width = EXCLUDED.image_width,"
                    " image_height = EXCLUDED.image_height, x1 = EXCLUDED.x1, y1 = EXCLUDED.y1,"
                    " x2 = EXCLUDED.x2, y2 = EXCLUDED.y2, landmarks = EXCLUDED.landmarks,"
                    " score = EXCLUDED.score, model_id = EXCLUDED.model_id,"
                    " embedding = EXCLUDED.embedding,"
                    # A re-run writes the crops of feature faces again (set_thumbnails).
                    " thumbnail_key = coalesce(EXCLUDED.thumbnail_key, asset_faces.thumbnail_key)",
                    (
                        f["id"],
                        asset_id,
                        owner_id,
                        f["image_width"],
                        f["image_height"],
                        x1,
                        y1,
                        x2,
                        y2,
                        list(f["landmarks"]),
                        f["score"],
                        f["model_id"],
                        halfvec(f["embedding"]),
                        f.get("thumbnail_key"),
                    ),
                )
            gone = conn.execute(
                "DELETE FROM asset_faces WHERE asset_id = %s AND NOT (id = ANY(%s::uuid[]))"
                " RETURNING thumbnail_key",
                (asset_id, [f["id"] for f in faces]),
            ).fetchall()
        return [r["thumbnail_key"] for r in gone if r["thumbnail_key"]]

    def feature_faces(self, face_ids: Sequence[UUID]) -> set[UUID]:
        """Which of these faces are a person's picture (the only faces with a crop)."""
        with self._pool.connection() as conn:
            rows = conn.execute(
                "SELECT feature_face_id AS id FROM people WHERE feature_face_id = ANY(%s)",
                (list(face_ids),),
            ).fetchall()
        return {r["id"] for r in rows}

    def set_thumbnails(self, keys: dict[UUID, str]) -> None:
        """Each face's crop key, once the object is in S3."""
        with self._pool.connection() as conn, conn.cursor() as cur:
            cur.executemany(
                "UPDATE asset_faces SET thumbnail_key = %s WHERE id = %s",
                [(key, face_id) for face_id, key in keys.items()],
            )

    def assets_missing_feature_crops(self, owner_id: UUID) -> list[UUID]:
        """Assets holding a person's picture that has no crop yet: a person made or given
        its picture outside the faces stage (re-cluster, the API)."""
        with self._pool.connection() as conn:
            rows = conn.execute(
                "SELECT DISTINCT f.asset_id FROM people p JOIN asset_faces f"
                " ON f.id = p.feature_face_id WHERE p.owner_id = %s AND f.thumbnail_key IS NULL",
                (owner_id,),
            ).fetchall()
        return [r["asset_id"] for r in rows]

    @contextmanager
    def locked(self, owner_id: UUID) -> Iterator[Any]:
        """A transaction holding the owner's recognition lock."""
        with self._pool.connection() as conn:
            self.lock_owner(conn, owner_id)
            yield conn

    @staticmethod
    def lock_owner(conn: Any, owner_id: UUID) -> None:
        conn.execute("SELECT pg_advisory_xact_lock(hashtextextended(%s::text, 41))", (owner_id,))

    @staticmethod
    def embedding(conn: Any, face_id: UUID) -> Any:
        row = conn.execute("SELECT embedding FROM asset_faces WHERE id = %s", (face_id,)).fetchone()
        return row["embedding"] if row else None

    @staticmethod
    def nearest(
        conn: Any,
        owner_id: UUID,
        face_id: UUID,
        embedding: Any,
        max_distance: float,
        limit: int,
        *,
        assigned: bool | None,
    ) -> list[Row]:
        """The owner's other faces within ``max_distance`` (cosine) of ``embedding``, closest
        first; ``assigned`` True/False keeps only faces with/without a person."""
        person = {
            None: "",
            True: " AND f.person_id IS NOT NULL",
            False: " AND f.person_id IS NULL",
        }[assigned]
        conn.execute("SET LOCAL hnsw.iterative_scan = relaxed_order")
        return conn.execute(
            "WITH near AS MATERIALIZED (SELECT f.id, f.person_id,"
            "  f.embedding <=> %(q)s AS distance FROM asset_faces f"
            f"  WHERE f.owner_id = %(owner)s AND f.id <> %(id)s{person}"
            "  ORDER BY f.embedding <=> %(q)s LIMIT %(limit)s)"
            " SELECT * FROM near WHERE distance <= %(max)s ORDER BY distance, id",
            {"id": face_id, "owner": owner_id, "limit": limit, "max": max_distance, "q": embedding},
        ).fetchall()

    @staticmethod
    def create_person(conn: Any, owner_id: UUID, feature_face_id: UUID) -> UUID:
        return conn.execute(
            "INSERT INTO people (owner_id, feature_face_id) VALUES (%s, %s) RETURNING id",
            (owner_id, feature_face_id),
        ).fetchone()["id"]

    @staticmethod
    def assign(conn: Any, face_ids: Sequence[UUID], person_id: UUID | None) -> None:
        conn.execute(
            "UPDATE asset_faces SET person_id = %s WHERE id = ANY(%s)", (person_id, list(face_ids))
        )

    @staticmethod
    def face_person(conn: Any, face_id: UUID) -> UUID | None:
        row = conn.execute("SELECT person_id FROM asset_faces WHERE id = %s", (face_id,)).fetchone()
        return row["person_id"] if row else None

    def unassigned_faces(self, owner_id: UUID) -> list[UUID]:
        with self._pool.connection() as conn:
            rows = conn.execute(
                "SELECT id FROM asset_faces WHERE owner_id = %s AND person_id IS NULL"
                " ORDER BY created_at, id",
                (owner_id,),
            ).fetchall()
        return [r["id"] for r in rows]

    def owners_with_faces(self) -> list[UUID]:
        with self._pool.connection() as conn:
            rows = conn.execute("SELECT DISTINCT owner_id FROM asset_faces").fetchall()
        return [r["owner_id"] for r in rows]

    def reset_unnamed(self, owner_id: UUID) -> int:
        """For a full re-cluster: unnamed, visible people are dissolved (their faces become
        unassigned); named or hidden ones are the user's decisions and stay."""
        with self._pool.connection() as conn:
            return conn.execute(
                "DELETE FROM people WHERE owner_id = %s AND name = '' AND NOT is_hidden",
                (owner_id,),
            ).rowcount

    def delete_empty_people(self, owner_id: UUID) -> int:
        with self._pool.connection() as conn:
            return conn.execute(
                "DELETE FROM people p WHERE owner_id = %s AND NOT EXISTS"
                " (SELECT 1 FROM asset_faces f WHERE f.person_id = p.id)",
                (owner_id,),
            ).rowcount

    # --- the API -------------------------------------------------------------------------
    _PERSON = (
        "SELECT p.*, fa.asset_id AS feature_asset_id, fa.thumbnail_key,"
        " (SELECT count(*) FROM asset_faces f JOIN assets a ON a.id = f.asset_id"
        "  WHERE f.person_id = p.id AND a.trashed_at IS NULL) AS face_count"
        " FROM people p LEFT JOIN asset_faces fa ON fa.id = p.feature_face_id"
    )

    def people(self, owner_id: UUID) -> list[Row]:
        """Everyone with a face, hidden people too (the service counts and filters them)."""
        with self._pool.connection() as conn:
            return conn.execute(
                f"SELECT * FROM ({self._PERSON} WHERE p.owner_id = %s) x WHERE face_count > 0"
                # Named first (Immich), then the biggest clusters.
                " ORDER BY (name = '') , is_hidden, face_count DESC, created_at, id",
                (owner_id,),
            ).fetchall()

    def person(self, owner_id: UUID, person_id: UUID) -> Row | None:
        with self._pool.connection() as conn:
            return conn.execute(
                f"{self._PERSON} WHERE p.owner_id = %s AND p.id = %s", (owner_id, person_id)
            ).fetchone()

    def owned_people(self, owner_id: UUID, ids: Sequence[UUID]) -> set[UUID]:
        with self._pool.connection() as conn:
            rows = conn.execute(
                "SELECT id FROM people WHERE owner_id = %s AND id = ANY(%s)",
                (owner_id, list(ids)),
            ).fetchall()
        return {r["id"] for r in rows}

    def update_person(self, owner_id: UUID, person_id: UUID, changes: dict[str, Any]) -> None:
        allowed = ("name", "birth_date", "is_hidden", "feature_face_id")
        sets = [f"{c} = %({c})s" for c in allowed if c in changes]
        with self._pool.connection() as conn:
            conn.execute(
                f"UPDATE people SET {', '.join([*sets, 'updated_at = now()'])}"
                " WHERE id = %(id)s AND owner_id = %(owner)s",
                {**changes, "id": person_id, "owner": owner_id},
            )

    def face_of_person_on_asset(self, person_id: UUID, asset_id: UUID) -> UUID | None:
        with self._pool.connection() as conn:
            row = conn.execute(
                "SELECT id FROM asset_faces WHERE person_id = %s AND asset_id = %s"
                " ORDER BY score DESC LIMIT 1",
                (person_id, asset_id),
            ).fetchone()
        return row["id"] if row else None

    def merge(self, owner_id: UUID, into: UUID, ids: Sequence[UUID]) -> None:
        with self._pool.connection() as conn:
            conn.execute(
                "UPDATE asset_faces SET person_id = %s WHERE owner_id = %s AND person_id = ANY(%s)",
                (into, owner_id, list(ids)),
            )
            conn.execute(
                "DELETE FROM people WHERE owner_id = %s AND id = ANY(%s)", (owner_id, list(ids))
            )

    def person_assets(self, owner_id: UUID, person_id: UUID, limit: int, offset: int) -> list[Row]:
        with self._pool.connection() as conn:
            return conn.execute(
                f"{ASSET_SELECT} WHERE a.owner_id = %s AND a.trashed_at IS NULL AND EXISTS"
                " (SELECT 1 FROM asset_faces f WHERE f.asset_id = a.id AND f.person_id = %s)"
                " ORDER BY coalesce(a.taken_at, a.file_created_at) DESC, a.id LIMIT %s OFFSET %s",
                (owner_id, person_id, limit, offset),
            ).fetchall()

    _FACE = (
        "SELECT f.id, f.asset_id, f.person_id, f.image_width, f.image_height, f.x1, f.y1,"
        " f.x2, f.y2, f.landmarks, f.score, f.thumbnail_key FROM asset_faces f"
    )

    def owns_asset(self, owner_id: UUID, asset_id: UUID) -> bool:
        with self._pool.connection() as conn:
            row = conn.execute(
                "SELECT 1 FROM assets WHERE id = %s AND owner_id = %s", (asset_id, owner_id)
            ).fetchone()
        return row is not None

    def faces_of_asset(self, owner_id: UUID, asset_id: UUID) -> list[Row]:
        with self._pool.connection() as conn:
            return conn.execute(
                f"{self._FACE} WHERE f.owner_id = %s AND f.asset_id = %s ORDER BY f.score DESC",
                (owner_id, asset_id),
            ).fetchall()

    def face(self, owner_id: UUID, face_id: UUID) -> Row | None:
        with self._pool.connection() as conn:
            return conn.execute(
                f"{self._FACE} WHERE f.owner_id = %s AND f.id = %s", (owner_id, face_id)
            ).fetchone()

    def reassign(self, owner_id: UUID, face_id: UUID, person_id: UUID) -> list[UUID]:
        """The face moves to ``person_id``. A person whose picture it was gets its best face
        left (a cropped one on a live asset first; none if it has no face left), and a
        person without a picture gets this face as its picture. Returns the assets of the
        pictures this gave that have no crop yet."""
        with self.locked(owner_id) as conn:
            conn.execute(
                "UPDATE asset_faces SET person_id = %s WHERE id = %s AND owner_id = %s",
                (person_id, face_id, owner_id),
            )
            given = conn.execute(
                "UPDATE people p SET feature_face_id = (SELECT f.id FROM asset_faces f"
                " JOIN assets a ON a.id = f.asset_id WHERE f.person_id = p.id"
                " ORDER BY (a.trashed_at IS NOT NULL), (f.thumbnail_key IS NULL),"
                " f.score DESC, f.id LIMIT 1)"
                " WHERE p.owner_id = %s AND p.feature_face_id = %s AND p.id <> %s"
                " RETURNING p.feature_face_id",
                (owner_id, face_id, person_id),
            ).fetchall()
            given += conn.execute(
                "UPDATE people SET feature_face_id = %s WHERE id = %s AND owner_id = %s"
                " AND feature_face_id IS NULL RETURNING feature_face_id",
                (face_id, person_id, owner_id),
            ).fetchall()
            rows = conn.execute(
                "SELECT asset_id FROM asset_faces WHERE id = ANY(%s) AND thumbnail_key IS NULL",
                ([r["feature_face_id"] for r in given if r["feature_face_id"]],),
            ).fetchall()
        return [r["asset_id"] for r in rows]


class DuplicateRepository:
    """asset_phash: perceptual hashes and duplicate groups per owner."""

    def __init__(self, pool: Pool) -> None:
        self._pool = pool

    def save_and_group(
        self, asset_id: UUID, owner_id: UUID, bits: str, max_distance: int
    ) -> UUID | None:
        """Stores the hash and puts the asset in a group with its near-duplicates (joining
        and merging existing groups). Returns the group id, None when it has no twin.

        One transaction under a per-owner lock: two twins processed at the same moment see
        each other's hash, so they never make two groups.
        """
        from uuid import uuid4

        with self._pool.connection() as conn:
            conn.execute(
                "SELECT pg_advisory_xact_lock(hashtextextended(%s::text, 43))", (owner_id,)
            )
            conn.execute(
                "INSERT INTO asset_phash (asset_id, owner_id, phash) VALUES (%s, %s, %s::bit(64))"
                " ON CONFLICT (asset_id) DO UPDATE SET phash = EXCLUDED.phash,"
                " updated_at = now()",
                (asset_id, owner_id, bits),
            )
            twins = conn.execute(
                "SELECT h.asset_id, h.duplicate_id FROM asset_phash h"
                " JOIN assets a ON a.id = h.asset_id"
                " WHERE h.owner_id = %s AND h.asset_id <> %s AND a.trashed_at IS NULL"
                " AND bit_count(h.phash # %s::bit(64)) <= %s",
                (owner_id, asset_id, bits, max_distance),
            ).fetchall()
            if not twins:
                return None
            groups = sorted({t["duplicate_id"] for t in twins if t["duplicate_id"]}, key=str)
            group = groups[0] if groups else uuid4()
            members = [asset_id, *(t["asset_id"] for t in twins)]
            conn.execute(
                "UPDATE asset_phash SET duplicate_id = %s WHERE owner_id = %s"
                " AND (asset_id = ANY(%s::uuid[]) OR duplicate_id = ANY(%s::uuid[]))",
                (group, owner_id, members, groups),
            )
            return group

    def groups(self, owner_id: UUID) -> list[Row]:
        """Asset rows with ``duplicate_id``, of groups that still have two live assets."""
        with self._pool.connection() as conn:
            return conn.execute(
                f"SELECT x.*, h.duplicate_id FROM ({ASSET_SELECT}) x"
                " JOIN asset_phash h ON h.asset_id = x.id"
                " WHERE h.owner_id = %(owner)s AND x.trashed_at IS NULL AND h.duplicate_id IN"
                " (SELECT h2.duplicate_id FROM asset_phash h2 JOIN assets a2 ON a2.id = h2.asset_id"
                "  WHERE h2.owner_id = %(owner)s AND a2.trashed_at IS NULL"
                "  AND h2.duplicate_id IS NOT NULL GROUP BY 1 HAVING count(*) > 1)"
                " ORDER BY h.duplicate_id, x.file_size DESC, x.id",
                {"owner": owner_id},
            ).fetchall()

    def members(self, owner_id: UUID, duplicate_id: UUID) -> list[UUID]:
        with self._pool.connection() as conn:
            rows = conn.execute(
                "SELECT h.asset_id FROM asset_phash h JOIN assets a ON a.id = h.asset_id"
                " WHERE h.owner_id = %s AND h.duplicate_id = %s AND a.trashed_at IS NULL",
                (owner_id, duplicate_id),
            ).fetchall()
        return [r["asset_id"] for r in rows]

    def dissolve(self, owner_id: UUID, duplicate_id: UUID) -> None:
        with self._pool.connection() as conn:
            conn.execute(
                "UPDATE asset_phash SET duplicate_id = NULL WHERE owner_id = %s"
                " AND duplicate_id = %s",
                (owner_id, duplicate_id),
            )
