"""Smart search with many users (slow: ``BENCH=scale make bench``).

Run: ``python bench/bench_search_users.py [OUTPUT.md] [--vectors N] [--queries Q]
[--exact-max ROWS]`` (a smaller N, with a smaller exact-search size, for a quick look).

1. 22 users of unequal sizes (one with 40 % of the vectors, two with 10 %, four with 5 %,
   five with 2 %, ten with 1 %) in ``smart_search_512`` (halfvec(512)). Each user's vectors
   are drawn around 60 of 2,000 shared cluster centres, so a small user's photos sit in
   regions the big user dominates (uniform random vectors make recall meaningless:
   FINDINGS.md). The baseline's one HNSW index over every user's vectors (m=16,
   ef_construction=64; migration 0004 had it, 0023 dropped it) is built after the load.
2. For every user, queries near one of its own clusters through the whole
   ``POST /api/search/smart`` (chalice's test client, real auth and JSON, PostgreSQL). The
   query text is embedded by the real in-process offline text encoder (its cost is paid on
   every call, each text distinct so the cache never answers, and timed apart), then
   swapped for the clustered query vector the recall is computed against: recall@10 of the
   first 10 hits against exact search in numpy over that user's half-precision vectors.
3. The options, each through the same app in the same run: the baseline (the single-index
   query: HNSW over every user's vectors, owner filter through the assets join, iterative
   scan ``relaxed_order``, pgvector's default ``hnsw.max_scan_tuples`` 20,000); the same
   index filtered on the embeddings' own ``owner_id`` with a deeper iterative scan; exact
   search of every library (``EmbeddingRepository.search`` before any library has an index
   of its own); and the shipped path (the one index dropped) after ``ensure_owner_indexes``
   (the nightly job) gave each library above the exact-search size its own partial HNSW
   index.
"""

from __future__ import annotations

import json
import os
import shutil
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import numpy as np

REPO = __import__("pathlib").Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from bench.common import emit, insert_ready_assets, percentiles  # noqa: E402

DIM = 512
CLUSTERS = 2000
CLUSTERS_PER_USER = 60
MODEL = "bench-clustered-512"
# (share of all vectors, users of that share): 40 + 20 + 20 + 10 + 10 = 100 %.
SHARES = [(0.40, 1), (0.10, 2), (0.05, 4), (0.02, 5), (0.01, 10)]
PASSWORD = "bench-password-1"


def user_vectors(n: int, centres: np.ndarray, rng: np.random.Generator) -> tuple:
    """``n`` unit vectors (float16 values) around the user's clusters, and those clusters."""
    mine = rng.choice(len(centres), CLUSTERS_PER_USER, replace=False)
    members = mine[rng.integers(0, len(mine), n)]
    points = centres[members] + rng.normal(scale=0.6, size=(n, DIM)).astype(np.float32)
    points /= np.linalg.norm(points, axis=1, keepdims=True)
    return points.astype(np.float16), mine


def user_queries(centres: np.ndarray, mine: np.ndarray, q: int, rng) -> np.ndarray:
    picks = centres[rng.choice(mine, q)]
    queries = picks + rng.normal(scale=0.6, size=picks.shape).astype(np.float32)
    return (queries / np.linalg.norm(queries, axis=1, keepdims=True)).astype(np.float32)


@contextmanager
def postgres() -> Iterator[Any]:
    """A throwaway PostgreSQL with 1 GB of shared buffers (the vectors are ~0.5 GB): an
    Aurora instance of the size that holds this library keeps it in memory too."""
    from chalicelib.db import migrate
    from chalicelib.local.moto_server import free_port
    from chalicelib.local.pgserver import LocalPostgres
    from chalicelib.settings import REPO_ROOT

    os.environ.setdefault("AWS_ACCESS_KEY_ID", "testing")
    os.environ.setdefault("AWS_SECRET_ACCESS_KEY", "testing")
    data = REPO_ROOT / ".skyroll" / f"bench-{uuid.uuid4().hex[:6]}"
    pg = LocalPostgres(data, free_port())
    pg.start()
    try:
        import psycopg

        with psycopg.connect(pg.admin_dsn, autocommit=True) as conn:
            conn.execute("ALTER SYSTEM SET shared_buffers = '1GB'")
            conn.execute("ALTER SYSTEM SET max_parallel_maintenance_workers = 2")
            # Every index build (the shared one, the libraries' own) holds its graph in
            # memory: 200,000 halfvec(512) rows need ~300 MB.
            conn.execute("ALTER SYSTEM SET maintenance_work_mem = '1GB'")
        pg.stop()
        pg.start()
        migrate.apply(pg.dsn)
        yield pg
    finally:
        pg.stop()
        shutil.rmtree(data, ignore_errors=True)


def load(container, rng) -> tuple[list[dict], dict[str, float]]:
    """Users, their assets and vectors (COPY), then the shared index; timings."""
    from pgvector import HalfVector

    from chalicelib.services.secrets import hash_password

    centres = rng.normal(size=(CLUSTERS, DIM)).astype(np.float32)
    password_hash = hash_password(PASSWORD)
    users, n_total = [], _TOTAL
    started = time.perf_counter()
    for share, count in SHARES:
        for _ in range(count):
            n = round(n_total * share)
            vectors, mine = user_vectors(n, centres, rng)
            email = f"user{len(users)}@example.com"
            with container.pool.connection() as conn:
                row = container.users_repo.create(
                    conn, email=email, name=email, password_hash=password_hash,
                    is_admin=False, quota=None,
                )  # fmt: skip
                ids = insert_ready_assets(conn, row["id"], n, f"bench/{email}/")
            with container.pool.connection() as conn, conn.cursor().copy(
                "COPY smart_search_512 (asset_id, model_id, embedding)"
                " FROM STDIN WITH (FORMAT BINARY)"
            ) as copy:  # fmt: skip
                # owner_id: the schema's trigger copies it from the asset.
                copy.set_types(["uuid", "text", "halfvec"])
                for asset_id, vector in zip(ids, vectors, strict=True):
                    copy.write_row((asset_id, MODEL, HalfVector(vector.astype(np.float32))))
            users.append(
                {"id": row["id"], "email": email, "share": share, "ids": ids,
                 "vectors": vectors.astype(np.float32), "clusters": mine}
            )  # fmt: skip
    loaded = time.perf_counter() - started
    with container.pool.connection() as conn:
        started = time.perf_counter()
        # The baseline's index (migration 0004 had it, 0023 dropped it), after the COPY.
        conn.execute(
            "CREATE INDEX smart_search_512_hnsw ON smart_search_512"
            " USING hnsw (embedding halfvec_cosine_ops)"
        )
        built = time.perf_counter() - started
    vacuum(container, "smart_search_512", "assets")
    for user in users:
        user["queries"] = user_queries(centres, user["clusters"], _QUERIES, rng)
    return users, {"load_s": loaded, "build_s": built}


def vacuum(container, *tables: str) -> None:
    """VACUUM ANALYZE (outside a transaction): statistics, and the visibility map that
    index-only scans of the owner's assets need."""
    import psycopg

    with psycopg.connect(container.settings.database_url, autocommit=True) as conn:
        for table in tables:
            conn.execute(f"VACUUM ANALYZE {table}")


def add_owner_indexes(container) -> tuple[float, int]:
    """What the nightly search-indexes job does (and the write path as a library crosses
    the exact-search size): an index of its own for each library above it; seconds, count."""
    started = time.perf_counter()
    built = container.embedding_repo.ensure_owner_indexes()["built"]
    vacuum(container, "smart_search_512")
    return time.perf_counter() - started, built


# The options. Each has EmbeddingRepository.search's signature and returns its rows.


def hnsw_rows(where: list[str], filters: dict, model_id: str, vector: Any, limit: int,
              offset: int, ef: int, scan_tuples: int | None = None) -> list[dict]:  # fmt: skip
    """A filtered walk of the one HNSW index over every user, iterative scan (the
    single-index query the repository had)."""
    from chalicelib.repositories.sql import ASSET_LIST_SELECT, asset_filters, halfvec

    asset_filters(filters, where)
    # The clauses are ours; values travel as parameters.
    sql = (
        "WITH hits AS MATERIALIZED ("  # noqa: S608
        " SELECT s.asset_id, s.embedding <=> %(q)s AS distance FROM smart_search_512 s"
        f" JOIN assets a ON a.id = s.asset_id WHERE {' AND '.join(where)}"
        " ORDER BY s.embedding <=> %(q)s LIMIT %(window)s)"
        f" SELECT x.*, 1 - h.distance AS score FROM hits h JOIN ({ASSET_LIST_SELECT}) x"
        " ON x.id = h.asset_id ORDER BY h.distance, h.asset_id OFFSET %(offset)s"
        " LIMIT %(limit)s"
    )
    params = {**filters, "model": model_id, "q": halfvec(vector)}
    params |= {"window": limit + offset, "offset": offset, "limit": limit}
    with _CONTAINER.pool.connection() as conn:
        conn.execute(
            "SELECT set_config('hnsw.ef_search', %s, true)", (str(max(ef, limit + offset)),)
        )
        conn.execute("SET LOCAL hnsw.iterative_scan = relaxed_order")
        if scan_tuples:
            conn.execute(f"SET LOCAL hnsw.max_scan_tuples = {scan_tuples}")
        return conn.execute(sql, params).fetchall()


def single_index(
    scan_tuples: int | None = None, ef: int | None = None, owner_column: bool = False
) -> Callable:
    """The one index over every user (the baseline; deeper iterative scans, and the filter
    on the embeddings' own owner column, if asked)."""

    def search(model_id, vector, filters, limit, offset, ef_search):
        where = ["s.model_id = %(model)s"]
        if owner_column:
            where.append("s.owner_id = %(owner)s")
        return hnsw_rows(
            where, filters, model_id, vector, limit, offset, ef or ef_search, scan_tuples
        )

    return search


class QueryVectors:
    """The real offline text encoder runs on every call (its cost is the call's, and timed
    here too); the vector returned is the clustered query the recall is measured against."""

    def __init__(self, real: Any) -> None:
        self.real, self.vectors, self.seconds = real, {}, []

    def embed_query(self, text: str) -> tuple[str, Any]:
        started = time.perf_counter()
        self.real.embed_query(text)
        self.seconds.append(time.perf_counter() - started)
        return MODEL, self.vectors[text]


def timed(search: Callable, seconds: list[float]) -> Callable:
    """``search``, its own time (the database part of the call) appended to ``seconds``."""

    def run(*args: Any) -> Any:
        started = time.perf_counter()
        try:
            return search(*args)
        finally:
            seconds.append(time.perf_counter() - started)

    return run


def run_option(client, users, embedder, search, label: str) -> dict:
    repo, db_seconds = _CONTAINER.embedding_repo, []
    repo.search = timed(search or type(repo).search.__get__(repo), db_seconds)
    samples, recalls, per_user, user_db = [], [], [], []
    embedder.seconds.clear()
    for user in users:
        mark = len(db_seconds)
        mine_samples: list[float] = []
        index = {asset_id: i for i, asset_id in enumerate(user["ids"])}
        mine = []
        for i, q in enumerate(user["queries"]):
            text = f"{label} {user['email']} {i}"
            embedder.vectors[text] = q
            started = time.perf_counter()
            r = client.http.post(
                "/api/search/smart",
                headers=user["headers"],
                body=json.dumps({"query": text, "size": 25}),
            )
            mine_samples.append(time.perf_counter() - started)
            assert r.status_code == 200, r.body
            got = [item["id"] for item in json.loads(r.body)["items"]][:10]
            leaked = [g for g in got if uuid.UUID(g) not in index]
            assert not leaked, f"{label}: another user's asset for {user['email']}"
            exact = set(np.argsort(-(user["vectors"] @ q))[:10].tolist())
            mine.append(len({index[uuid.UUID(g)] for g in got} & exact) / 10)
        per_user.append(float(np.mean(mine)))
        recalls += mine
        samples += mine_samples
        user_db.append(float(np.median(db_seconds[mark:])) * 1000)
    del repo.search
    result = {**percentiles(samples), "per_user": per_user, "recall": float(np.mean(recalls))}
    result |= {"user_db": user_db, "encoder_ms": float(np.median(embedder.seconds)) * 1000}
    db = percentiles(db_seconds)
    result |= {"db_p50_ms": db["p50_ms"], "db_p99_ms": db["p99_ms"]}
    print(label, json.dumps(result), file=sys.stderr, flush=True)
    return result


def login_all(client, users) -> None:
    for user in users:
        r = client.http.post(
            "/api/auth/login",
            headers={"Content-Type": "application/json"},
            body=json.dumps({"email": user["email"], "password": PASSWORD}),
        )
        token = json.loads(r.body)["accessToken"]
        user["headers"] = {"Content-Type": "application/json", "Authorization": f"Bearer {token}"}


_CONTAINER: Any = None
_TOTAL = 500_000
_QUERIES = 10


def main(out: str | None) -> None:
    global _CONTAINER
    from chalice.test import Client

    from app import app
    from chalicelib.container import Container, use_container
    from chalicelib.repositories import embeddings as ml
    from chalicelib.services.search import InProcessTextEmbedder
    from chalicelib.settings import Settings

    rng = np.random.default_rng(19)
    with postgres() as pg:
        settings = Settings(
            database_url=pg.dsn, admin_email="a@example.com", admin_password="x" * 12
        )
        _CONTAINER = container = Container(settings)
        users, timing = load(container, rng)
        print("loaded", json.dumps(timing), file=sys.stderr, flush=True)
        embedder = QueryVectors(InProcessTextEmbedder(lambda: container.image_encoder))
        container.text_embedder = embedder
        use_container(container)
        results: dict[str, dict] = {}
        timing["load_before"] = os.getloadavg()[0]
        with Client(app) as client:
            login_all(client, users)
            run_option(client, users[:3], embedder, single_index(), "warm")
            exact_max = f"{ml.EXACT_SEARCH_MAX_ROWS:,}"
            options = [
                ("baseline: one HNSW index for every user, owner filter through assets,"
                 " iterative relaxed_order, max_scan_tuples 20,000", single_index()),
                ("one HNSW index, owner_id column filter, max_scan_tuples 100,000,"
                 " ef_search 200", single_index(100_000, 200, owner_column=True)),
                ("exact search of every library (by the owner_id index)", None),
            ]  # fmt: skip
            for label, search in options:
                results[label] = run_option(client, users, embedder, search, label[:12])
            with container.pool.connection() as conn:
                conn.execute("DROP INDEX smart_search_512_hnsw")  # the schema has none
            timing["owner_build_s"], timing["owner_indexes"] = add_owner_indexes(container)
            print("owner indexes", json.dumps(timing), file=sys.stderr, flush=True)
            label = (
                f"shipped: an HNSW index of its own above {exact_max} vectors"
                f" ({timing['owner_indexes']} libraries), exact search below"
            )
            results[label] = run_option(client, users, embedder, None, "owner")
        timing["load_after"] = os.getloadavg()[0]
        container.close()
    emit(report(users, timing, results), out)


def report(users: list[dict], timing: dict, results: dict[str, dict]) -> str:
    from chalicelib.repositories import embeddings as ml

    lines = [
        "## Smart search with many users (halfvec(512))",
        "",
        f"{sum(len(u['ids']) for u in users):,} clustered vectors across {len(users)} users"
        " (40 %, 2 x 10 %, 4 x 5 %, 5 x 2 %, 10 x 1 %), each user's around 60 of"
        f" {CLUSTERS:,} shared clusters; load {timing['load_s']:.0f} s, the one HNSW index"
        f" over every user {timing['build_s']:.0f} s (m=16, ef_construction=64, 2 parallel"
        f" workers); the libraries' own indexes ({timing['owner_indexes']} above"
        f" {ml.EXACT_SEARCH_MAX_ROWS:,} vectors, `ensure_owner_indexes`, CONCURRENTLY)"
        f" {timing['owner_build_s']:.0f} s. {_QUERIES} queries per user through the whole"
        " `POST /api/search/smart` (size 25; the offline text encoder runs on each call),"
        " recall@10 against exact search over the user's vectors.",
        "",
        "| option | p50 ms | p99 ms | search query p50 / p99 ms | text encoder p50 ms |"
        " mean recall@10 | worst user's recall@10 | worst user's share |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for label, r in results.items():
        worst = int(np.argmin(r["per_user"]))
        lines.append(
            f"| {label} | {r['p50_ms']:.1f} | {r['p99_ms']:.1f} |"
            f" {r['db_p50_ms']:.1f} / {r['db_p99_ms']:.1f} | {r['encoder_ms']:.1f} |"
            f" {r['recall']:.3f} | {r['per_user'][worst]:.2f} | {users[worst]['share']:.0%} |"
        )
    shares = sorted({u["share"] for u in users}, reverse=True)
    sizes = {s: len(next(u for u in users if u["share"] == s)["ids"]) for s in shares}
    header = " | ".join(f"{s:.0%} ({sizes[s]:,})" for s in shares)
    for title, key, fmt in (
        ("Recall@10 by library size (mean over the users of that size, and the worst):",
         "per_user", "{mean:.3f} (min {min:.2f})"),
        ("The search query's p50 ms by library size (median of the users' medians):",
         "user_db", "{median:.1f}"),
    ):  # fmt: skip
        lines += ["", title, "", f"| option | {header} |", "|---" * (len(shares) + 1) + "|"]
        for label, r in results.items():
            cells = []
            for share in shares:
                picks = [r[key][i] for i, u in enumerate(users) if u["share"] == share]
                cells.append(
                    fmt.format(mean=np.mean(picks), min=min(picks), median=np.median(picks))
                )
            lines.append(f"| {label} | " + " | ".join(cells) + " |")
    lines += [
        "",
        "Targets: recall@10 >= 0.95 for every user, whole call p50 <= 20 ms, p99 <= 60 ms."
        f" One run on a shared 2-core machine: load average {timing['load_before']:.1f} before"
        f" the queries, {timing['load_after']:.1f} after (other jobs running), so absolute"
        " latencies are inflated; compare rows of the same run.",
    ]
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    import signal

    # A terminated run still stops its PostgreSQL (the context's finally), which would go on
    # building indexes for minutes otherwise.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(1))
    args = sys.argv[1:]
    for flag in ("--vectors", "--queries", "--exact-max"):
        if flag in args:
            i = args.index(flag)
            value = int(args[i + 1])
            del args[i : i + 2]
            if flag == "--vectors":
                _TOTAL = value
            elif flag == "--queries":
                _QUERIES = value
            else:
                from chalicelib.repositories import embeddings

                embeddings.EXACT_SEARCH_MAX_ROWS = value
    main(args[0] if args else None)
