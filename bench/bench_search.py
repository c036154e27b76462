"""Search benchmark: 100k assets with clustered synthetic embeddings in pgvector.

Run: ``python bench/bench_search.py [OUTPUT.md] [--assets N]`` (markdown to stdout, or to the
file given).

1. One library of N ready assets, each with a 384-d vector (the offline pack's dimension)
   drawn around one of 1,000 cluster centres (uniform random vectors make recall
   meaningless: FINDINGS.md). Rows are COPYed in binary, then the HNSW index is built.
2. HNSW through ``EmbeddingRepository.search`` (the SQL the API runs: owner, trash, archive
   and model filters, iterative scan) vs exact search in numpy on the same half-precision
   values: p50/p99 latency and recall@10, at two ef_search values.
3. The whole ``POST /api/search/smart`` in-process (chalice's test client, real auth, the
   offline text encoder, PostgreSQL), with a different query text each call so the
   query-vector cache never answers.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from bench.common import emit, local_services, percentiles  # noqa: E402

DIM = 384
CLUSTERS = 1000
QUERIES = 200
MODEL = "skyroll-offline-effnetlite0-minilm-v1"


def clustered(n: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    centres = rng.normal(size=(CLUSTERS, DIM)).astype(np.float32)
    members = rng.integers(0, CLUSTERS, n)
    points = centres[members] + rng.normal(scale=0.6, size=(n, DIM)).astype(np.float32)
    points /= np.linalg.norm(points, axis=1, keepdims=True)
    return points.astype(np.float16).astype(np.float32), centres


def load(container, owner, vectors: np.ndarray) -> tuple[list, float]:
    from pgvector import HalfVector

    n = len(vectors)
    with container.pool.connection() as conn:
        ids = [
            r["id"]
            for r in conn.execute(
                "INSERT INTO assets (owner_id, status, original_file_name, original_mime_type,"
                " checksum, file_size, storage_key, file_created_at, file_modified_at)"
                " SELECT %s, 'ready', 'img' || i || '.jpg', 'image/jpeg',"
                " decode(md5(i::text) || md5((-i)::text), 'hex'), 1000, 'bench/' || i,"
                " now() - i * interval '1 minute', now() FROM generate_series(1, %s) i"
                " RETURNING id",
                (owner, n),
            ).fetchall()
        ]
        conn.execute("DROP INDEX smart_search_384_hnsw")
        with conn.cursor().copy(
            "COPY smart_search_384 (asset_id, model_id, embedding) FROM STDIN WITH (FORMAT BINARY)"
        ) as copy:
            copy.set_types(["uuid", "text", "halfvec"])
            for asset_id, vector in zip(ids, vectors, strict=True):
                copy.write_row((asset_id, MODEL, HalfVector(vector)))
    with container.pool.connection() as conn:
        conn.execute("SET maintenance_work_mem = '512MB'")
        started = time.perf_counter()
        conn.execute(
            "CREATE INDEX smart_search_384_hnsw ON smart_search_384"
            " USING hnsw (embedding halfvec_cosine_ops)"
        )
        built = time.perf_counter() - started
        conn.execute("ANALYZE smart_search_384")
        conn.execute("ANALYZE assets")
    return ids, built


def hnsw_vs_exact(container, owner, ids, vectors, queries, ef_search: int) -> dict[str, float]:
    id_index = {asset_id: i for i, asset_id in enumerate(ids)}
    samples, recalls = [], []
    filters = {"owner": owner}
    for q in queries:
        started = time.perf_counter()
        rows = container.embedding_repo.search(MODEL, q, filters, 10, 0, ef_search)
        samples.append(time.perf_counter() - started)
        exact = set(np.argsort(-(vectors @ q))[:10].tolist())
        recalls.append(len({id_index[r["id"]] for r in rows} & exact) / 10)
    return {**percentiles(samples), "recall": float(np.mean(recalls))}


def plan(container, owner, q) -> str:
    from chalicelib.repositories.ml import halfvec

    with container.pool.connection() as conn:
        conn.execute("SET LOCAL hnsw.iterative_scan = relaxed_order")
        rows = conn.execute(
            "EXPLAIN SELECT s.asset_id FROM smart_search_384 s JOIN assets a ON a.id = s.asset_id"
            " WHERE s.model_id = %s AND a.owner_id = %s AND a.trashed_at IS NULL"
            " ORDER BY s.embedding <=> %s LIMIT 10",
            (MODEL, owner, halfvec(q)),
        ).fetchall()
    return "hnsw index scan" if any("hnsw" in r["QUERY PLAN"] for r in rows) else "NO INDEX"


def whole_call(container, words: list[str]) -> dict[str, float]:
    from chalice.test import Client

    from app import app
    from chalicelib.container import use_container
    from chalicelib.services.bootstrap import ensure_first_admin

    use_container(container)
    ensure_first_admin(container)
    with Client(app) as client:
        login = client.http.post(
            "/api/auth/login",
            headers={"Content-Type": "application/json"},
            body=json.dumps({"email": "admin@example.com", "password": "admin-password-1"}),
        )
        headers = {
            "Content-Type": "application/json",
            "Authorization": f"Bearer {json.loads(login.body)['accessToken']}",
        }

        def call(text: str) -> float:
            started = time.perf_counter()
            r = client.http.post(
                "/api/search/smart", headers=headers, body=json.dumps({"query": text, "size": 25})
            )
            took = time.perf_counter() - started
            assert r.status_code == 200, r.body
            return took

        for word in words[:20]:
            call(f"warm {word}")
        samples = [call(f"a photo of {word}") for word in words[20 : 20 + QUERIES]]
    return percentiles(samples)


def main(out: str | None, n: int) -> None:
    from chalicelib.container import Container
    from chalicelib.services.bootstrap import ensure_first_admin
    from chalicelib.settings import Settings

    rng = np.random.default_rng(5)
    vectors, centres = clustered(n, rng)
    picks = centres[rng.integers(0, CLUSTERS, QUERIES)]
    queries = picks + rng.normal(scale=0.6, size=picks.shape).astype(np.float32)
    queries /= np.linalg.norm(queries, axis=1, keepdims=True)

    with local_services() as (dsn, _moto):
        settings = Settings(
            database_url=dsn, admin_email="admin@example.com", admin_password="admin-password-1"
        )
        container = Container(settings)
        ensure_first_admin(container)
        owner = container.users_repo.get_for_login("admin@example.com")["id"]
        started = time.perf_counter()
        ids, built = load(container, owner, vectors)
        loaded = time.perf_counter() - started
        found = plan(container, owner, queries[0])
        results = {
            ef: hnsw_vs_exact(container, owner, ids, vectors, queries, ef)
            for ef in (40, settings.search_ef_search)
        }
        words = json.loads((settings.models_dir / "offline" / "labels.json").read_text())
        words = list(dict.fromkeys(w.split(",")[0] for w in words))
        rng.shuffle(words)
        call = whole_call(container, words)
        container.close()

    lines = [
        "## Search (pgvector HNSW, halfvec(384))",
        "",
        f"{n:,} assets of one user, clustered synthetic vectors ({CLUSTERS} clusters);"
        f" load + index build {loaded:.0f} s (HNSW build {built:.0f} s, m=16,"
        f" ef_construction=64); the planner uses: {found}.",
        "",
        "| what | p50 ms | p99 ms | recall@10 vs exact |",
        "|---|---|---|---|",
    ]
    for ef, r in results.items():
        lines.append(
            f"| repository search, ef_search={ef} | {r['p50_ms']:.1f} |"
            f" {r['p99_ms']:.1f} | {r['recall']:.3f} |"
        )
    lines.append(
        f"| whole POST /api/search/smart (text embedding + SQL + JSON, size 25) |"
        f" {call['p50_ms']:.1f} | {call['p99_ms']:.1f} | |"
    )
    lines += [
        "",
        "Targets: recall@10 >= 0.95, whole call p50 <= 20 ms, p99 <= 60 ms."
        " One run on a shared 2-core machine.",
    ]
    emit("\n".join(lines) + "\n", out)


if __name__ == "__main__":
    args = sys.argv[1:]
    count = 100_000
    if "--assets" in args:
        i = args.index("--assets")
        count = int(args[i + 1])
        del args[i : i + 2]
    main(args[0] if args else None, count)
