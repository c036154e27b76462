"""Faces and people. Every method a user can reach takes the owner id and filters on it;
the faces stage's take ids the pipeline produced."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any
from uuid import UUID

from chalicelib.db.pool import Connection, Pool, one
from chalicelib.repositories.sql import ASSET_LIST_SELECT, Row, halfvec


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
    def locked(self, owner_id: UUID) -> Iterator[Connection]:
        """A transaction holding the owner's recognition lock."""
        with self._pool.connection() as conn:
            self.lock_owner(conn, owner_id)
            yield conn

    @staticmethod
    def lock_owner(conn: Connection, owner_id: UUID) -> None:
        conn.execute("SELECT pg_advisory_xact_lock(hashtextextended(%s::text, 41))", (owner_id,))

    @staticmethod
    def embedding(conn: Connection, face_id: UUID) -> Any:
        row = conn.execute("SELECT embedding FROM asset_faces WHERE id = %s", (face_id,)).fetchone()
        return row["embedding"] if row else None

    @staticmethod
    def nearest(
        conn: Connection,
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
    def create_person(conn: Connection, owner_id: UUID, feature_face_id: UUID) -> UUID:
        row = one(
            conn.execute(
                "INSERT INTO people (owner_id, feature_face_id) VALUES (%s, %s) RETURNING id",
                (owner_id, feature_face_id),
            ).fetchone()
        )
        person_id: UUID = row["id"]
        return person_id

    @staticmethod
    def assign(conn: Connection, face_ids: Sequence[UUID], person_id: UUID | None) -> None:
        conn.execute(
            "UPDATE asset_faces SET person_id = %s WHERE id = ANY(%s)", (person_id, list(face_ids))
        )

    @staticmethod
    def face_person(conn: Connection, face_id: UUID) -> UUID | None:
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

    def delete_empty_people(self, owner_id: UUID) -> int:
        with self._pool.connection() as conn:
            return conn.execute(
                "DELETE FROM people p WHERE owner_id = %s AND NOT EXISTS"
                " (SELECT 1 FROM asset_faces f WHERE f.person_id = p.id)",
                (owner_id,),
            ).rowcount

    # --- the API -------------------------------------------------------------------------
    # people.face_count: the person's faces on assets outside the trash, kept by triggers
    # (migration 0024).
    _PERSON = (
        "SELECT p.*, fa.asset_id AS feature_asset_id, fa.thumbnail_key"
        " FROM people p LEFT JOIN asset_faces fa ON fa.id = p.feature_face_id"
    )

    def people(
        self, owner_id: UUID, with_hidden: bool, limit: int, offset: int
    ) -> tuple[list[Row], int, int]:
        """One page of everyone with a face (hidden people only ``with_hidden``), and how
        many people there are and how many of them are hidden. The face counts are the
        people's own counters (``face_count``), so this reads the owner's people only."""
        sql = (
            "WITH listed AS (SELECT p.*, fa.asset_id AS feature_asset_id,"
            " fa.thumbnail_key, count(*) OVER () AS total,"
            " count(*) FILTER (WHERE p.is_hidden) OVER () AS hidden"
            " FROM people p LEFT JOIN asset_faces fa ON fa.id = p.feature_face_id"
            " WHERE p.owner_id = %(owner)s AND p.face_count > 0)"
            " SELECT * FROM listed WHERE %(with_hidden)s OR NOT is_hidden"
            # Named first (Immich), then the biggest clusters.
            " ORDER BY (name = ''), is_hidden, face_count DESC, created_at, id"
            " LIMIT %(limit)s OFFSET %(offset)s"
        )
        params = {"owner": owner_id, "with_hidden": with_hidden, "limit": limit, "offset": offset}
        with self._pool.connection() as conn:
            rows = conn.execute(sql, params).fetchall()
            if not rows and offset:  # past the end: the totals still come from the first row
                head = conn.execute(sql, {**params, "limit": 1, "offset": 0}).fetchall()
            else:
                head = rows
        total, hidden = (head[0]["total"], head[0]["hidden"]) if head else (0, 0)
        return rows, total, hidden

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
        """The person's assets outside the trash, newest (``coalesce(taken_at,
        file_created_at)``) first: the page comes from the person's faces alone, which carry
        their asset's time and trash state (migration 0024), then only its assets are read."""
        with self._pool.connection() as conn:
            return conn.execute(
                "WITH page AS (SELECT DISTINCT asset_time, asset_id FROM asset_faces"
                " WHERE person_id = %(person)s AND NOT asset_trashed"
                " ORDER BY asset_time DESC, asset_id LIMIT %(limit)s OFFSET %(offset)s)"
                f" {ASSET_LIST_SELECT} JOIN page ON page.asset_id = a.id"
                " WHERE a.owner_id = %(owner)s AND a.trashed_at IS NULL"
                " ORDER BY page.asset_time DESC, a.id",
                {"owner": owner_id, "person": person_id, "limit": limit, "offset": offset},
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
