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
4. The same call at the production model's cost: the same assets get 512-d clustered vectors
   of the random-weight CLIP ViT-B-32 (``bench/build_clip_shaped.py``; speed only, its
   vectors mean nothing) whose text graph ``scripts/models/clip_text_trim.py`` trimmed
   (fp32), and again with ``scripts/models/clip_text_int8.py``'s int8 weights on top (what
   the ML image ships); the text is embedded on one thread (what the text-encoder Lambda does).
"""

from __future__ import annotations

import json
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from bench.common import emit, insert_ready_assets, local_services, percentiles  # noqa: E402

DIM = 384
CLUSTERS = 1000
QUERIES = 200
MODEL = "skyroll-offline-effnetlite0-minilm-v1"


def clustered(n: int, rng: np.random.Generator, dim: int = DIM) -> tuple[np.ndarray, np.ndarray]:
    centres = rng.normal(size=(CLUSTERS, dim)).astype(np.float32)
    members = rng.integers(0, CLUSTERS, n)
    points = centres[members] + rng.normal(scale=0.6, size=(n, dim)).astype(np.float32)
    points /= np.linalg.norm(points, axis=1, keepdims=True)
    return points.astype(np.float16).astype(np.float32), centres


def load(container, owner, vectors: np.ndarray) -> tuple[list, float]:
    with container.pool.connection() as conn:
        ids = insert_ready_assets(conn, owner, len(vectors))
    return ids, load_vectors(container, ids, vectors, MODEL)


def load_vectors(container, ids: list, vectors: np.ndarray, model: str) -> float:
    """COPY the vectors into the table of their dimension, then build the library's own
    HNSW index (what the write path and the nightly job do); the build's seconds."""
    from pgvector import HalfVector

    table = f"smart_search_{vectors.shape[1]}"
    with (
        container.pool.connection() as conn,
        conn.cursor().copy(
            f"COPY {table} (asset_id, model_id, embedding) FROM STDIN WITH (FORMAT BINARY)"
        ) as copy,
    ):
        copy.set_types(["uuid", "text", "halfvec"])
        for asset_id, vector in zip(ids, vectors, strict=True):
            copy.write_row((asset_id, model, HalfVector(vector)))
    import psycopg

    # The build holds the graph in memory (every session's setting, the pool's too).
    with psycopg.connect(container.settings.database_url, autocommit=True) as conn:
        conn.execute("ALTER SYSTEM SET maintenance_work_mem = '512MB'")
        conn.execute("SELECT pg_reload_conf()")
    started = time.perf_counter()
    container.embedding_repo.ensure_owner_indexes(dimension=vectors.shape[1])
    built = time.perf_counter() - started
    with container.pool.connection() as conn:
        conn.execute(f"ANALYZE {table}")
        conn.execute("ANALYZE assets")
    return built


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
    """How ``search`` reads the owner's library: through its own HNSW index or not."""
    import re

    from chalicelib.repositories.sql import halfvec

    params = {"owner": owner, "model": MODEL, "q": halfvec(q), "window": 10}
    with container.pool.connection() as conn:
        # Its settings too (the iterative scan).
        parts = container.embedding_repo._candidates(conn, "smart_search_384", params, 100)
        rows = conn.execute("EXPLAIN " + " UNION ALL ".join(f"({p.sql})" for p in parts), params)
        text = "\n".join(r["QUERY PLAN"] for r in rows.fetchall())
    own = re.search(r"Index Scan using (smart_search_384_owner_\w+)", text)
    return "hnsw index scan (the library's own)" if own else "NO INDEX"


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


def clip_call(container, ids: list, rng: np.random.Generator, words: list[str]) -> dict | str:
    """The whole call with the random-weight CLIP pack's text graph trimmed (fp32) and
    trimmed + int8 (what the image ships): {"built": s, variant: percentiles}; why not, if
    it cannot run. Both carry the export's name as model id, as in production."""
    from bench.bench_ml_stages import CLIP_NAME, clip_shaped_pack, int8_clip_pack, trimmed_clip_pack
    from chalicelib.container import Container

    folder, why = clip_shaped_pack()
    if folder is None:
        return why
    variants = {"trimmed": trimmed_clip_pack(folder), "int8": int8_clip_pack(folder)}
    if all(copy is None for copy, _ in variants.values()):
        return "; ".join(why for _, why in variants.values())
    vectors, _ = clustered(len(ids), rng, dim=512)
    result: dict = {"built": load_vectors(container, ids, vectors, CLIP_NAME)}
    with tempfile.TemporaryDirectory() as links:
        for name, (copy, why) in variants.items():
            if copy is None:
                result[name] = why
                continue
            (Path(links) / name).mkdir()
            (uri := Path(links) / name / CLIP_NAME).symlink_to(copy)  # the model id
            settings = container.settings.model_copy(
                update={"image_encoder": "clip", "clip_model_uri": str(uri), "ml_threads": 1}
            )
            clip = Container(settings)
            try:
                result[name] = whole_call(clip, words[::-1])
            finally:
                clip.close()
    return result


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
        clip = clip_call(container, ids, rng, words)
        container.close()

    lines = [
        "## Search (pgvector HNSW, halfvec(384); halfvec(512) for the CLIP row)",
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
    if isinstance(clip, dict):
        for name, what in (("trimmed", "trimmed fp32"), ("int8", "trimmed + int8 as shipped")):
            row = clip[name]
            figures = (
                f"{row['p50_ms']:.1f} | {row['p99_ms']:.1f}"
                if isinstance(row, dict)
                else f"not run: {row} | "
            )
            lines.append(
                f"| whole POST /api/search/smart, CLIP ViT-B-32 text (random weights, {what}"
                f" graph, one thread), halfvec(512) | {figures} | |"
            )
    lines += [
        "",
        "Targets: recall@10 >= 0.95, whole call p50 <= 20 ms, p99 <= 60 ms."
        " One run on a shared 2-core machine.",
        "",
        (
            "The CLIP row: the same assets with 512-d clustered vectors (HNSW build"
            f" {clip['built']:.0f} s) and the production text model's cost: open_clip"
            " ViT-B-32 exported as Immich does, with random weights (speed only), its text"
            " graph trimmed by scripts/models/clip_text_trim.py (fp32), then with int8 MatMul"
            " weights by scripts/models/clip_text_int8.py (what the ML image ships), in-process"
            " on one thread."
            " In AWS the API gets the vector from the text-encoder Lambda (one synchronous"
            " invoke more)."
            if isinstance(clip, dict)
            else f"The CLIP row did not run: {clip}."
        ),
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
