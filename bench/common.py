"""Helpers the benchmarks share: a throwaway PostgreSQL + moto, timing, markdown output."""

from __future__ import annotations

import os
import statistics
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from chalicelib.settings import REPO_ROOT


def percentiles(samples_s: list[float]) -> dict[str, float]:
    ordered = sorted(samples_s)
    pick = lambda q: ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000  # noqa: E731
    return {
        "p50_ms": pick(0.50),
        "p99_ms": pick(0.99),
        "mean_ms": statistics.mean(ordered) * 1000,
        "per_s": len(ordered) / sum(ordered),
    }


def time_calls(fn: Callable[[int], object], n: int, warmup: int = 20) -> list[float]:
    for i in range(warmup):
        fn(-1 - i)
    samples = []
    for i in range(n):
        start = time.perf_counter()
        fn(i)
        samples.append(time.perf_counter() - start)
    return samples


@contextmanager
def local_services(
    with_moto: bool = True, pg_settings: dict[str, str] | None = None
) -> Iterator[tuple[str, str]]:
    """(database DSN, moto endpoint) on free ports; everything is removed afterwards.
    ``with_moto=False``: no moto (the endpoint is ""); ``pg_settings``: server settings
    (ALTER SYSTEM, then a restart) before the migrations."""
    import shutil

    from chalicelib.db import migrate
    from chalicelib.local.moto_server import MotoServer, free_port
    from chalicelib.local.pgserver import LocalPostgres

    os.environ.setdefault("AWS_ACCESS_KEY_ID", "testing")
    os.environ.setdefault("AWS_SECRET_ACCESS_KEY", "testing")
    data = REPO_ROOT / ".skyroll" / f"bench-{uuid.uuid4().hex[:6]}"
    pg = LocalPostgres(data, free_port())
    pg.start()
    moto = None
    try:
        # Inside the try: a moto that never answers (a loaded machine) must not leave the
        # PostgreSQL server running.
        if pg_settings:
            import psycopg

            with psycopg.connect(pg.admin_dsn, autocommit=True) as conn:
                for name, value in pg_settings.items():
                    conn.execute(f"ALTER SYSTEM SET {name} = '{value}'")
            pg.stop()
            pg.start()
        if with_moto:
            moto = MotoServer(free_port()).start()
        migrate.apply(pg.dsn)
        yield pg.dsn, moto.endpoint_url if moto else ""
    finally:
        if moto is not None:
            moto.stop()
        pg.stop()
        shutil.rmtree(data, ignore_errors=True)


def insert_ready_assets(conn: Any, owner: Any, n: int, prefix: str = "bench/") -> list[Any]:
    """``n`` ready photos of ``owner`` in one statement (distinct checksums, one minute
    apart), their ids in order: a benchmark's library without the upload pipeline. Storage
    keys are unique across users: give each user its own ``prefix``."""
    rows = conn.execute(
        "INSERT INTO assets (owner_id, status, original_file_name, original_mime_type,"
        " checksum, file_size, storage_key, file_created_at, file_modified_at)"
        " SELECT %s, 'ready', 'img' || i || '.jpg', 'image/jpeg',"
        " decode(md5(i::text) || md5((-i)::text), 'hex'), 1000, %s || i,"
        " now() - i * interval '1 minute', now() FROM generate_series(1, %s) i"
        " RETURNING id",
        (owner, prefix, n),
    ).fetchall()
    return [r["id"] for r in rows]


def person_on(conn: Any, owner: Any, asset_ids: list[Any], name: str = "Ann") -> Any:
    """A person of ``owner``'s with one (synthetic) face on each of ``asset_ids``: what the
    faces stage and recognition would leave, without them. Returns the person's id."""
    person = conn.execute(
        "INSERT INTO people (owner_id, name) VALUES (%s, %s) RETURNING id", (owner, name)
    ).fetchone()["id"]
    conn.execute(
        "INSERT INTO asset_faces (asset_id, owner_id, person_id, image_width, image_height,"
        " x1, y1, x2, y2, landmarks, score, model_id, embedding)"
        " SELECT a.id, a.owner_id, %s, 100, 100, 0, 0, 10, 10, '{}', 0.9, 'f',"
        " array_fill(0.1, ARRAY[128])::halfvec FROM assets a WHERE a.id = ANY(%s)",
        (person, list(asset_ids)),
    )
    return person


def emit(section: str, out: str | None) -> None:
    if out:
        Path(out).write_text(section)
    else:
        print(section)


def int_options(argv: list[str], defaults: dict[str, int]) -> tuple[str | None, dict[str, int]]:
    """A benchmark's command line: ``[OUTPUT.md] [--name N ...]`` -> (output, options)."""
    args, opts = list(argv), dict(defaults)
    for key in opts:
        if key in args:
            i = args.index(key)
            opts[key] = int(args[i + 1])
            del args[i : i + 2]
    unknown = [a for a in args if a.startswith("-")]
    if unknown or len(args) > 1:  # "--help" was taken for the output file and overwritten
        options = " ".join(f"[{key} N]" for key in opts)
        raise SystemExit(f"usage: {sys.argv[0]} [OUTPUT.md] {options} (not: {' '.join(args)})")
    return (args[0] if args else None), opts
