"""What one imported photo costs each pipeline stage, measured: the inputs of the AWS import
model (``scripts/import_model.py``, docs/deploy.md) and its check.

Run: ``python bench/bench_import_stages.py [OUTPUT.md] [--photos N]``.

N 12 MP JPEGs (bench_media's photos, each encoded at several qualities so no two share a
checksum) are uploaded through the API (presigned PUT into moto) and run through the real
stage handlers with the local event-source runner, one stage drained at a time in pipeline
order so every cost belongs to one stage. Per stage and photo: the worker's CPU time (this
process), PostgreSQL's CPU time (its server processes, read from /proc: what Aurora would
spend), S3, SQS and SNS requests by operation (counted on the boto3 clients, the runner's
receives and deletes included: Lambda's pollers make the same ones), and the process's peak
RSS after the stage. Then the model's per-photo figures beside the measured ones.
"""

from __future__ import annotations

import io
import json
import os
import resource
import sys
import time
import uuid
from collections import Counter
from pathlib import Path
from typing import Any

os.environ.setdefault("VIPS_CONCURRENCY", "1")  # one core per worker, as in bench_media

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "scripts"))

from bench.common import emit, local_services  # noqa: E402

ORDER = ("ingest", "thumbnail", "faces", "duplicates")  # smart_search runs inline in faces
QUALITIES = (90, 88, 86, 84)


def photos(n: int) -> list[bytes]:
    """``n`` distinct 12 MP JPEGs: bench_media's pictures at each quality in turn, and past
    those combinations one pixel changed per photo, so no two share a checksum."""
    from PIL import Image
    from skimage import data as skdata

    from bench.bench_media import PHOTOS, SIZE_12MP
    from tests.support.samples import camera_exif

    pictures = [
        Image.fromarray(getattr(skdata, name)())
        .convert("RGB")
        .resize(SIZE_12MP, Image.Resampling.BICUBIC)
        for name in PHOTOS
    ]
    out: list[bytes] = []
    for i in range(n):
        round_, which = divmod(i, len(pictures))
        picture = pictures[which]
        if round_ >= len(QUALITIES):
            picture = picture.copy()
            picture.putpixel((round_ % SIZE_12MP[0], 0), (round_ % 256, 0, 255))
        buffer = io.BytesIO()
        picture.save(buffer, "JPEG", quality=QUALITIES[round_ % len(QUALITIES)], exif=camera_exif())
        out.append(buffer.getvalue())
    return out


def postgres_cpu_s(port: int) -> float:
    """CPU seconds of the server listening on ``port``: the postmaster (with its reaped
    children) and every live backend."""
    tick = os.sysconf("SC_CLK_TCK")
    stats = {}
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            cmd = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
            stat = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        stats[pid] = (cmd, stat)
    master = next(
        pid
        for pid, (cmd, _) in stats.items()
        if cmd[0].endswith(b"postgres") and str(port).encode() in b" ".join(cmd)
    )
    total = 0
    for pid, (_, stat) in stats.items():
        # stat after the name: state ppid ... utime(12) stime(13) cutime(14) cstime(15)
        if pid == master:
            total += sum(int(x) for x in stat[11:15])
        elif stat[1] == master:
            total += int(stat[11]) + int(stat[12])
    return total / tick


class Requests:
    """Counts every AWS request a boto3 client makes, by service and operation."""

    def __init__(self, *clients: Any) -> None:
        self.counts: Counter[str] = Counter()
        for client in clients:
            client.meta.events.register("before-call", self._count)

    def _count(self, model: Any, **_: Any) -> None:
        self.counts[f"{model.service_model.service_name}:{model.name}"] += 1


def upload(client: Any, token: str, data: bytes, i: int) -> None:
    import base64
    import hashlib

    import httpx

    r = client.http.post(
        "/api/assets/uploads",
        headers={"Content-Type": "application/json", "Authorization": f"Bearer {token}"},
        body=json.dumps(
            {
                "filename": f"IMG_{i:04d}.jpg",
                "size": len(data),
                "checksum": base64.b64encode(hashlib.sha256(data).digest()).decode(),
                "contentType": "image/jpeg",
                "fileCreatedAt": "2020-05-01T10:00:00Z",
                "fileModifiedAt": "2020-05-01T10:00:00Z",
            }
        ),
    )
    ticket = json.loads(r.body)
    assert r.status_code in (200, 201) and ticket["status"] == "created", r.body
    put = httpx.put(ticket["url"], content=data, headers=ticket["headers"])
    assert put.status_code == 200, put.text


def drain(runner: Any, stage: str) -> int:
    handled, quiet = 0, 0
    while quiet < 2:
        n = runner.run_once(stage, wait_seconds=0).size
        handled += n
        quiet = 0 if n else quiet + 1
    return handled


def measure(n: int) -> tuple[list[dict], dict]:
    from chalice.test import Client

    from app import app
    from chalicelib.container import Container, use_container
    from chalicelib.local.aws import bootstrap
    from chalicelib.local.runner import EventSourceRunner, import_handler
    from chalicelib.pipeline import STAGES
    from chalicelib.services.bootstrap import ensure_first_admin
    from chalicelib.settings import Settings

    inputs = photos(n)
    rows: list[dict] = []
    with local_services() as (dsn, moto):
        port = int(dsn.rsplit(":", 1)[1].split("/")[0])
        suffix = uuid.uuid4().hex[:8]
        settings = Settings(
            database_url=dsn,
            admin_email="admin@example.com",
            admin_password="admin-password-1",
            public_url="http://testserver",
            aws_endpoint_url=moto,
            bucket=f"skyroll-{suffix}",
            queue_prefix=f"b{suffix}-",
            uploads_topic=f"b{suffix}-uploads",
            ml_threads=1,
        )
        c = Container(settings)
        bootstrap(settings, c.s3, c.sqs, c.sns)
        use_container(c)
        ensure_first_admin(c)
        runner = EventSourceRunner(STAGES, c.sqs, settings)
        # A Lambda loads its code and models once per container and serves thousands of
        # photos with them: load them before measuring.
        for name in ORDER:
            import_handler(runner.stages[name])
        c.image_encoder, c.face_analyzer  # noqa: B018
        # So is ingest's offline reverse geocoder: its index of ~150k places takes ~0.4 s to
        # build on first use, which over 24 photos read as ~20 ms of CPU per photo.
        from chalicelib.media import geocode

        geocode.place(0.5, 0.5)
        geocode.place.cache_clear()
        requests = Requests(c.s3, c.sqs, c.sns)
        with Client(app) as client:
            r = client.http.post(
                "/api/auth/login",
                headers={"Content-Type": "application/json"},
                body=json.dumps({"email": "admin@example.com", "password": "admin-password-1"}),
            )
            token = json.loads(r.body)["accessToken"]

            def upload_all() -> int:
                for i, data in enumerate(inputs):
                    upload(client, token, data, i)
                return len(inputs)

            steps = [("upload (API + PUT)", upload_all)]
            steps += [(name, lambda name=name: drain(runner, name)) for name in ORDER]
            for name, step in steps:
                requests.counts.clear()
                db0, cpu0, wall0 = postgres_cpu_s(port), time.process_time(), time.perf_counter()
                handled = step()
                rows.append(
                    {
                        "stage": name,
                        "handled": handled,
                        "cpu_ms": (time.process_time() - cpu0) * 1000 / n,
                        "wall_ms": (time.perf_counter() - wall0) * 1000 / n,
                        "db_ms": (postgres_cpu_s(port) - db0) * 1000 / n,
                        "requests": {k: v / n for k, v in sorted(requests.counts.items())},
                        "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
                    }
                )
            with c.pool.connection() as conn:
                states = conn.execute(
                    "SELECT status, count(*) AS n FROM assets GROUP BY status"
                ).fetchall()
        use_container(None)
        c.close()
    info = {
        "photos": n,
        "mb_per_photo": sum(map(len, inputs)) / n / 1e6,
        "states": {r["status"]: r["n"] for r in states},
        "load": os.getloadavg()[0],
    }
    return rows, info


def report(rows: list[dict], info: dict) -> str:
    import import_model as model

    lines = [
        "## Import, per photo and stage (the AWS model's inputs)",
        "",
        f"{info['photos']} 12 MP JPEGs ({info['mb_per_photo']:.1f} MB each) uploaded through"
        " the API into moto and run through the real handlers (local event-source runner, one"
        " stage drained at a time; offline models, `ml_threads=1`, one core per worker);"
        f" assets at the end: {info['states']}; load average {info['load']:.1f} on"
        f" {len(os.sched_getaffinity(0))} cores"
        + (
            " (other work shared the cores: CPU times are less disturbed by it than wall times)."
            if info["load"] > len(os.sched_getaffinity(0))
            else "."
        ),
        "",
        "| stage | records | worker CPU ms/photo | wall ms/photo | PostgreSQL CPU ms/photo |"
        " requests per photo | process peak RSS after, MB |",
        "|---|---:|---:|---:|---:|---|---:|",
    ]
    for r in rows:
        asked = ", ".join(f"{k} {v:.2g}" for k, v in r["requests"].items()) or "none"
        lines.append(
            f"| {r['stage']} | {r['handled']} | {r['cpu_ms']:.1f} | {r['wall_ms']:.1f} |"
            f" {r['db_ms']:.1f} | {asked} | {r['peak_rss_mb']:.0f} |"
        )
    measured = {r["stage"]: r for r in rows}
    lines += [
        "",
        "The model's per-photo figures (`scripts/import_model.py`: its constants come from an"
        " earlier run of this benchmark; CPU for the offline models, as measured here) beside"
        " this run. SQS leaves out GetQueueUrl/GetQueueAttributes (a Lambda caches them) and"
        " the model adds the upload event's SNS delivery to ingest; its S3 PUTs for the ML"
        " stage assume a face crop per two photos:",
        "",
        "| stage | model CPU ms | measured CPU ms | model DB ms | measured DB ms |"
        " model S3 req | measured S3 req | model SQS req | measured SQS req |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for stage in model.PHOTO_STAGES:
        if stage.local_name not in measured:
            continue
        m = measured[stage.local_name]
        s3 = sum(v for k, v in m["requests"].items() if k.startswith("s3:"))
        sqs = sum(
            v
            for k, v in m["requests"].items()
            if k.startswith("sqs:") and k not in ("sqs:GetQueueUrl", "sqs:GetQueueAttributes")
        )
        lines.append(
            f"| {stage.name} | {stage.local_cpu_ms:.0f} | {m['cpu_ms']:.0f} |"
            f" {stage.db_ms:.1f} | {m['db_ms']:.1f} | {stage.s3_requests:.1f} | {s3:.1f} |"
            f" {stage.sqs_requests:.1f} | {sqs:.1f} |"
        )
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    args = sys.argv[1:]
    count = 96  # enough for PostgreSQL's CPU to be more than a few clock ticks
    if "--photos" in args:
        i = args.index("--photos")
        count = int(args[i + 1])
        del args[i : i + 2]
    emit(report(*measure(count)), args[0] if args else None)
