"""Smart-search image embeddings (one table per dimension, HNSW cosine index) and the
vector search over them. Search methods take the owner id; the stage's take asset ids."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any
from uuid import UUID

from chalicelib.db.pool import Connection, Pool
from chalicelib.repositories.sql import ASSET_LIST_SELECT, Row, asset_filters, halfvec

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


def library_size(conn: Connection, owner_id: UUID) -> int:
    """The owner's live assets (ready, not trashed; archived included), an upper bound of
    any search's candidates."""
    row = conn.execute(
        "SELECT images + videos AS n FROM user_asset_stats WHERE owner_id = %s", (owner_id,)
    ).fetchone()
    return int(row["n"]) if row else 0


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
        """Asset rows (``ASSET_LIST_SELECT`` shape) plus ``score`` (cosine similarity), best first.

        Up to ``EXACT_SEARCH_MAX_ROWS`` assets in the caller's library (live ones, from the
        counter the assets' triggers keep: no count per query) the search is exact: the
        index is shared by every user, and a filtered walk of it misses
        neighbours when the caller owns a small share of it. Above, HNSW with pgvector's
        iterative scan: when the owner/trash/model filters drop rows the index keeps walking
        instead of returning fewer than ``limit`` (pgvector >= 0.8). ``relaxed_order`` is
        faster but may swap neighbours, hence the outer ORDER BY.
        """
        table = embedding_table(len(vector))
        where: list[str] = []
        asset_filters(filters, where)
        params = {
            **filters,
            "model": model_id,
            "q": halfvec(vector),
            "window": limit + offset,
            "offset": offset,
            "limit": limit,
        }
        with self._pool.connection() as conn:
            exact = library_size(conn, filters["owner"]) <= EXACT_SEARCH_MAX_ROWS
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
                f" JOIN ({ASSET_LIST_SELECT}) x ON x.id = h.asset_id"
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
