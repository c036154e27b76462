"""Smart-search image embeddings (one table per dimension; each big library has an HNSW
cosine index of its own) and the vector search over them. Search methods take the caller's
id; the stage's take asset ids."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any
from uuid import UUID

from chalicelib.db.pool import Connection, Pool
from chalicelib.repositories.sql import ASSET_LIST_SELECT, Row, asset_filters, halfvec

# Embedding tables by dimension (a pgvector column has one dimension): see 0004_ml.sql.
EMBEDDING_TABLES = {384: "smart_search_384", 512: "smart_search_512"}
HNSW_EF_SEARCH_MAX = 1000  # pgvector's limit for hnsw.ef_search
# The configured ef_search holds for a library of up to this many vectors; a bigger one's
# walk goes deeper with the square root of its size (80,000 vectors: 2 times, 200,000: 3.2
# times), up to HNSW_EF_SEARCH_MAX: a walk of one depth finds less of the true top 10 as the
# graph grows, slowly. Growth in proportion from 100,000 left a 50,000-vector library at
# recall@10 0.94 for one build of its graph (docs/benchmarks.md, many users).
EF_SEARCH_ROWS = 20_000
# A library with up to this many vectors is searched exactly (a scan of its rows, by the
# owner_id index); above, it gets an HNSW index of its own (ensure_owner_indexes). Near
# where the two cost the same: exact search grows with the library (~6 ms for 5,000
# halfvec(512) rows and their assets) while a walk of its own index stays ~1.5 ms from
# 5,000 to 10,000 rows (docs/benchmarks.md, many users). One HNSW index over every user
# loses recall for the small ones.
EXACT_SEARCH_MAX_ROWS = 2_000
# A search with a filter that narrows (NARROWING_FILTERS) lists the matching assets of each
# library that has an index of its own, stopping at this many + 1: up to this many, it
# compares the query with those alone (exact, by their ids); more, it walks the index. A
# walk of pgvector's iterative scan stops after hnsw.max_scan_tuples (20,000) visits, so
# a filter that leaves few assets of a big library came back short (docs/ml.md, Searching).
FILTERED_EXACT_MAX_ROWS = 2_000
NARROWING_FILTERS = ("type", "is_favorite", "taken_after", "taken_before", "person_ids", "tag_ids")


def embedding_table(dimension: int) -> str:
    try:
        return EMBEDDING_TABLES[dimension]
    except KeyError:
        raise ValueError(f"no embedding table for dimension {dimension}") from None


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

        The candidates are the caller's assets and those of partners who share theirs into
        the caller's timeline (their archive stays theirs), or, with ``album_id``, the assets
        of that album when the caller owns it or is a member (nothing otherwise). A library
        with its own HNSW index (``ensure_owner_indexes``: above ``EXACT_SEARCH_MAX_ROWS``
        vectors) is walked through it, with pgvector's iterative scan so that trash and the
        filters do not leave fewer than ``limit`` (``relaxed_order`` may swap neighbours,
        hence the outer ORDER BY); a smaller one, and an album, is searched exactly. Each
        library is searched on its own and the hits merged: one index over every user loses
        recall when the caller owns a small share of it (docs/benchmarks.md, many users).
        With a filter that narrows, an indexed library's matching assets are listed first
        (``_matched_or_walked``): few, and only their vectors are compared (the walk stops
        after hnsw.max_scan_tuples and would miss most of them); a walk that still comes
        back short is done again exactly over every match.
        """
        table = embedding_table(len(vector))
        params = {
            **filters,
            "model": model_id,
            "q": halfvec(vector),
            "window": limit + offset,
            "offset": offset,
            "limit": limit,
        }
        # pgvector takes 1..1000; deeper pages come from the iterative scan.
        ef = min(HNSW_EF_SEARCH_MAX, max(ef_search, limit + offset))
        with self._pool.connection() as conn:
            parts = self._candidates(conn, table, filters, ef)
            if not parts:
                return []
            if not narrowing(filters):
                return conn.execute(_merged(parts), params).fetchall()
            # Planned for its values each time: a prepared statement's generic plan knows
            # neither the filters' values nor how many assets they leave, and once chosen
            # (after psycopg prepares a statement run 5 times) it read a tenth of a
            # 200,000-photo library by date, exactly, 3-5 times slower than the walk.
            rows = conn.execute(_merged(parts), params, prepare=False).fetchall()
            if len(rows) < limit and any(p.walks for p in parts) and _walked(conn):
                # Fewer than the window after a walk: it may have stopped at
                # hnsw.max_scan_tuples. Every match of the walked libraries, exactly.
                exact = [p.exhaustive(table, filters) for p in parts]
                rows = conn.execute(_merged(exact), params, prepare=False).fetchall()
            return rows

    def _candidates(
        self, conn: Connection, table: str, filters: dict[str, Any], ef_search: int
    ) -> list[Candidates]:
        """The nearest-first queries whose union holds the search's candidates; the
        transaction's settings for them are made by the same statement that reads whose
        libraries those are (a round trip fewer for each)."""
        me = filters["owner"]
        if filters.get("album_id"):
            if not album_readable(conn, filters["album_id"], me):
                return []
            conn.execute(SEARCH_SETTINGS_SQL, {"ef": str(ef_search)})
            return [Candidates(_nearest(table, filters, None, exact=True))]
        scope = conn.execute(
            SCOPE_SQL,
            {"u": me, "prefix": f"{table}_owner_", "ef": ef_search, "max": HNSW_EF_SEARCH_MAX,
             "rows": EF_SEARCH_ROWS},
        ).fetchall()  # fmt: skip
        # One query per library, its owner a literal (a UUID: nothing but hex and dashes) on
        # both tables: the planner matches a partial index's predicate only against a value
        # it sees when planning, and reads a small library's rows through the owner indexes
        # instead of hashing every asset.
        parts = []
        for r in scope:
            owner = UUID(str(r["owner_id"]))
            if not r["indexed"]:
                parts.append(Candidates(_nearest(table, filters, owner, exact=True)))
            elif narrowing(filters):
                parts.append(Candidates(_matched_or_walked(table, filters, owner), owner))
            else:
                parts.append(Candidates(_nearest(table, filters, owner, exact=False), owner))
        return parts

    def ensure_owner_indexes(
        self, owners: Sequence[UUID] | None = None, dimension: int | None = None
    ) -> dict[str, int]:
        """Each library with more than ``EXACT_SEARCH_MAX_ROWS`` vectors in a table gets its
        own HNSW index there, partial on its owner (``smart_search_<dim>_owner_<hex>``),
        built CONCURRENTLY: writes and searches go on meanwhile, and searches use it once it
        is valid. ``owners``: only those (the write path's check: one bounded query when
        there is nothing to do); None: every user, and indexes of owners who are gone are
        dropped (the nightly job). Two callers never build the same index: a session lock
        per index name, the loser skips."""
        tables = [embedding_table(dimension)] if dimension else list(EMBEDDING_TABLES.values())
        built = dropped = 0
        for table in tables:
            with self._pool.connection() as conn:
                due = conn.execute(
                    DUE_SQL.format(table=table),
                    {"owners": owners, "prefix": f"{table}_owner_", "min": EXACT_SEARCH_MAX_ROWS},
                ).fetchall()
                stale = [] if owners is not None else stale_owner_indexes(conn, table)
            for row in due:
                built += self._build_owner_index(table, UUID(str(row["owner_id"])))
            for name in stale:
                dropped += self._in_autocommit(
                    name, [f'DROP INDEX CONCURRENTLY IF EXISTS "{name}"']
                )
        return {"built": built, "dropped": dropped}

    def _build_owner_index(self, table: str, owner: UUID) -> int:
        name = owner_index_name(table, owner)
        return self._in_autocommit(
            name,
            [
                # A build that failed half-way leaves an invalid index of that name.
                f'DROP INDEX CONCURRENTLY IF EXISTS "{name}"',
                f'CREATE INDEX CONCURRENTLY "{name}" ON {table}'
                f" USING hnsw (embedding halfvec_cosine_ops) WHERE owner_id = '{owner}'",
            ],
        )

    def _in_autocommit(self, lock_name: str, statements: list[str]) -> int:
        """``statements`` (CONCURRENTLY: no transaction) under a session lock on
        ``lock_name``; 1 if they ran, 0 if another session holds the lock."""
        with self._pool.connection() as conn:
            conn.autocommit = True
            try:
                got = conn.execute(
                    "SELECT pg_try_advisory_lock(hashtextextended(%s, 0)) AS got", (lock_name,)
                ).fetchone()
                if not (got and got["got"]):
                    return 0
                try:
                    for statement in statements:
                        conn.execute(statement)
                finally:
                    conn.execute("SELECT pg_advisory_unlock(hashtextextended(%s, 0))", (lock_name,))
                return 1
            finally:
                conn.autocommit = False

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


def owner_index_name(table: str, owner: UUID) -> str:
    """The name of ``owner``'s own HNSW index on ``table`` (63 characters at most)."""
    return f"{table}_owner_{owner.hex}"


# The search transaction's settings: starting parallel workers costs more than any one
# library's scan; an HNSW walk goes %(ef)s candidates deep (text), and on (iterative scan,
# relaxed_order: the outer ORDER BY restores the order) until the filters leave enough.
SEARCH_SETTINGS_SQL = (
    "SELECT set_config('max_parallel_workers_per_gather', '0', true),"
    " set_config('hnsw.ef_search', %(ef)s, true),"
    " set_config('hnsw.iterative_scan', 'relaxed_order', true)"
)
# Whose libraries a smart search reads (the caller's, and partners' shared into the
# caller's timeline), and which of them have a valid index of their own (and its rows);
# the same statement makes the settings (a materialized CTE in the FROM list: its calls run
# once), with ef_search grown for the biggest library: a walk of the same depth finds less
# of the true top 10 as the graph grows (docs/benchmarks.md, many users). %(ef)s: the
# setting for up to %(rows)s vectors, raised with the square root of the size above, at
# most %(max)s. An index's row count is an estimate (-1 while unknown): below 0 counts as 0.
SCOPE_SQL = (
    "WITH o AS (SELECT o.owner_id, c.reltuples AS rows FROM (SELECT %(u)s::uuid AS owner_id"
    " UNION SELECT p.shared_by_id FROM partners p WHERE p.shared_with_id = %(u)s"
    " AND p.in_timeline) o LEFT JOIN pg_index i ON i.indisvalid AND i.indexrelid"
    " = to_regclass(%(prefix)s || replace(o.owner_id::text, '-', ''))"
    " LEFT JOIN pg_class c ON c.oid = i.indexrelid),"
    " settings AS MATERIALIZED (SELECT set_config('max_parallel_workers_per_gather', '0',"
    " true), set_config('hnsw.ef_search', least(%(max)s, greatest(%(ef)s, ceil(%(ef)s"
    " * sqrt(greatest((SELECT max(rows) FROM o), 0) / %(rows)s))))::int::text, true),"
    " set_config('hnsw.iterative_scan', 'relaxed_order', true))"
    " SELECT o.owner_id, o.rows IS NOT NULL AS indexed FROM o, settings"
)
# Owners (all users when %(owners)s is NULL) without a valid index of their own and with
# more than %(min)s vectors in the table: each count stops at %(min)s + 1 rows.
DUE_SQL = (
    "SELECT o.owner_id FROM (SELECT id AS owner_id FROM users WHERE %(owners)s::uuid[] IS NULL"
    " UNION SELECT unnest(%(owners)s::uuid[])) o"
    " WHERE NOT EXISTS (SELECT 1 FROM pg_index i WHERE i.indisvalid AND i.indexrelid"
    " = to_regclass(%(prefix)s || replace(o.owner_id::text, '-', '')))"
    " AND (SELECT count(*) FROM (SELECT 1 FROM {table} s WHERE s.owner_id = o.owner_id"
    " LIMIT %(min)s + 1) n) > %(min)s"
)


def stale_owner_indexes(conn: Connection, table: str) -> list[str]:
    """Owner indexes on ``table`` whose owner is no longer a user."""
    rows = conn.execute(
        "SELECT c.relname FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid"
        " WHERE i.indrelid = %s::regclass AND c.relname LIKE %s",
        (table, f"{table}_owner_%"),
    ).fetchall()
    prefix = f"{table}_owner_"
    names = {r["relname"]: r["relname"][len(prefix) :] for r in rows}
    if not names:
        return []
    alive = conn.execute(
        "SELECT replace(id::text, '-', '') AS hex FROM users WHERE replace(id::text, '-', '')"
        " = ANY(%s)",
        (list(names.values()),),
    ).fetchall()
    living = {r["hex"] for r in alive}
    return [name for name, hexid in names.items() if hexid not in living]


def album_readable(conn: Connection, album_id: UUID, user_id: UUID) -> bool:
    """The user owns the album or is a member of it (any role)."""
    row = conn.execute(
        "SELECT EXISTS (SELECT 1 FROM albums al WHERE al.id = %(a)s AND (al.owner_id = %(u)s"
        " OR EXISTS (SELECT 1 FROM album_users au WHERE au.album_id = al.id"
        " AND au.user_id = %(u)s))) AS ok",
        {"a": album_id, "u": user_id},
    ).fetchone()
    return bool(row and row["ok"])


@dataclass(frozen=True)
class Candidates:
    """One library's nearest-first query (``sql``); ``walked``: the owner of a library
    whose index it may walk (None: searched exactly)."""

    sql: str
    walked: UUID | None = None

    @property
    def walks(self) -> bool:
        return self.walked is not None

    def exhaustive(self, table: str, filters: dict[str, Any]) -> Candidates:
        """The same library searched exactly: every asset the filters leave."""
        if self.walked is None:
            return self
        return Candidates(_matched_or_walked(table, filters, self.walked, bound=None))


def narrowing(filters: dict[str, Any]) -> bool:
    """The search has a filter that may leave few of a library's assets."""
    return any(filters.get(name) is not None for name in NARROWING_FILTERS)


def _merged(parts: list[Candidates]) -> str:
    """The page of the merged hits, with their assets' rows."""
    union = " UNION ALL ".join(f"({part.sql})" for part in parts)
    return (
        f"WITH hits AS MATERIALIZED (SELECT * FROM ({union}) u"  # noqa: S608
        " ORDER BY u.distance LIMIT %(window)s)"
        f" SELECT x.*, 1 - h.distance AS score FROM hits h"
        f" JOIN ({ASSET_LIST_SELECT}) x ON x.id = h.asset_id"
        " ORDER BY h.distance, h.asset_id OFFSET %(offset)s LIMIT %(limit)s"
    )


def _asset_where(filters: dict[str, Any], owner: UUID | None) -> list[str]:
    """Which of ``owner``'s assets (None: the album filter alone says) the search reads."""
    where = [f"a.owner_id = '{owner}'"] if owner else []
    asset_filters(filters, where, scope=None)
    if owner and owner != filters["owner"] and filters.get("with_archived"):
        where.append("NOT a.is_archived")  # a partner's archive stays theirs
    return where


def _nearest(
    table: str, filters: dict[str, Any], owner: UUID | None, exact: bool, gate: str = ""
) -> str:
    """One nearest-first query over ``owner``'s library (None: the album filter alone says
    which assets), the search's filters applied (and ``gate``, a condition of no row)."""
    where = ["s.model_id = %(model)s"]
    if owner:
        where.append(f"s.owner_id = '{owner}'")
    where += _asset_where(filters, owner)
    if gate:
        where.append(gate)
    # "+ 0": an expression no index orders by, so the planner sorts the library's rows.
    order = "(s.embedding <=> %(q)s) + 0" if exact else "s.embedding <=> %(q)s"
    return (
        f"SELECT s.asset_id, s.embedding <=> %(q)s AS distance FROM {table} s"  # noqa: S608
        f" JOIN assets a ON a.id = s.asset_id WHERE {' AND '.join(where)}"
        f" ORDER BY {order} LIMIT %(window)s"
    )


_MATCHED = "(SELECT cardinality(ids) FROM m)"
WALKED_SETTING = "skyroll.search_walked"


def _walked(conn: Connection) -> bool:
    """A narrowed search of this transaction walked a library's index."""
    row = conn.execute(f"SELECT current_setting('{WALKED_SETTING}', true) AS w").fetchone()
    return bool(row and row["w"] == "on")


def _matched_or_walked(
    table: str, filters: dict[str, Any], owner: UUID, bound: int | None = -1
) -> str:
    """A narrowed search of ``owner``'s indexed library: the ids of the assets the filters
    leave, at most ``bound`` + 1 of them (None: all; -1: FILTERED_EXACT_MAX_ROWS), in a
    materialized CTE; up to ``bound`` (or all), the query is compared with their vectors
    alone (fetched by id); more, the library's index is walked as without filters. The
    planner runs only the branch whose one-time filter holds."""
    if bound == -1:
        bound = FILTERED_EXACT_MAX_ROWS
    where = _asset_where(filters, owner)
    # Literals the planner matches against migration 0025's partial indexes in any plan
    # (a prepared statement's generic plan sees no parameter's value).
    if filters.get("is_favorite") is True:
        where.append("a.is_favorite")
    if filters.get("type") == "VIDEO":
        where.append("a.type = 'VIDEO'")
    # Implied by the filters' counts (every person, every tag): the planner can start from
    # the first person's faces, the first tag's assets, instead of testing each asset.
    if filters.get("person_ids"):
        where.append(
            "a.id IN (SELECT f.asset_id FROM asset_faces f"
            " WHERE f.person_id = (%(person_ids)s::uuid[])[1])"
        )
    if filters.get("tag_ids"):
        where.append(
            "a.id IN (SELECT ta.asset_id FROM tag_assets ta WHERE ta.tag_id IN (WITH RECURSIVE"
            " sub(id) AS (SELECT id FROM tags WHERE id = (%(tag_ids)s::uuid[])[1]"
            " AND owner_id = %(owner)s UNION ALL SELECT t.id FROM tags t"
            " JOIN sub ON t.parent_id = sub.id) SELECT id FROM sub))"
        )
    matched = f"SELECT a.id FROM assets a WHERE {' AND '.join(where)}"  # noqa: S608
    if filters.get("taken_after") or filters.get("taken_before"):
        # In the order of the owner's time index: a range of it, not every asset read
        # until enough match (a LIMIT tempts the planner to scan the table).
        matched += " ORDER BY coalesce(a.taken_at, a.file_created_at) DESC"
    exact = (
        f"SELECT s.asset_id, s.embedding <=> %(q)s AS distance FROM {table} s"  # noqa: S608
        " WHERE s.asset_id = ANY((SELECT ids FROM m)::uuid[]) AND s.model_id = %(model)s"
        f" AND s.owner_id = '{owner}'"
    )
    if bound is None:
        return (
            f"WITH m AS MATERIALIZED (SELECT ARRAY({matched}) AS ids)"
            f" {exact} ORDER BY (s.embedding <=> %(q)s) + 0 LIMIT %(window)s"
        )
    walk = _nearest(table, filters, owner, exact=False, gate=f"{_MATCHED} > {bound}")
    # The list's row says (a setting of the transaction) that a walk ran: only then may a
    # short answer be the walk's doing (_walked).
    return (
        f"WITH m AS MATERIALIZED (SELECT ids, CASE WHEN cardinality(ids) > {bound}"
        f" THEN set_config('{WALKED_SETTING}', 'on', true) END AS walked"
        f" FROM (SELECT ARRAY({matched} LIMIT {bound + 1}) AS ids) l)"
        f" ({exact} AND {_MATCHED} <= {bound}"
        " ORDER BY (s.embedding <=> %(q)s) + 0 LIMIT %(window)s)"
        f" UNION ALL ({walk})"
    )
