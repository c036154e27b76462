"""Wall time and cost of importing a library into Skyroll on AWS, modelled from measured
per-stage costs (docs/deploy.md explains the model; docs/benchmarks.md has the figures).

    python scripts/import_model.py [--photos 100000] [--videos 2000] [--concurrency 10]
        [--max-acu 4] [--uplink-mbps N]

Every stage gets ``--concurrency`` (its reserved concurrency and its mapping's maximum).
A stage's Lambda time per item = CPU time / the CPU share its memory buys (one core at
most: the handlers are single-threaded) + the I/O wait left after ``io_threads`` overlap.
The pipeline's stages run at the same time, so the import goes at the pace of the slowest
of: each stage's Lambda throughput, Aurora's CPU at ``--max-acu``, and the uplink.
"""

from __future__ import annotations

import argparse
import math
import sys
from dataclasses import dataclass

# Public list prices, us-east-1, x86, on-demand, as read on 2026-12-07 (check the pricing
# pages before relying on them): Lambda, S3 Standard requests, SQS standard queues, SNS
# publishes (deliveries to SQS are free), Aurora Serverless v2 (Aurora Standard storage).
REGION = "us-east-1"
PRICES_DATE = "2026-12-07"
LAMBDA_GB_S = 0.0000166667
LAMBDA_REQUEST = 0.20 / 1e6
S3_PUT = 0.005 / 1000  # PUT, COPY, POST, LIST
S3_GET = 0.0004 / 1000  # GET, HEAD
SQS_REQUEST = 0.40 / 1e6  # per 64 KB chunk; a batch of 10 small messages is one request
SNS_PUBLISH = 0.50 / 1e6
AURORA_ACU_HOUR = 0.12

# Lambda: 1,769 MB buys one full vCPU, less memory a proportional share.
MB_PER_VCPU = 1769
# Aurora: an ACU is ~2 GiB with "corresponding CPU"; AWS publishes no vCPU figure. The
# r-class instances it mirrors have 8 GiB per vCPU, so ~0.25 vCPU per ACU (an estimate).
VCPU_PER_ACU = 0.25
AURORA_TARGET_UTILISATION = 0.7  # scaling keeps headroom; plan for 70 % CPU
AURORA_MIN_ACU = 0.5  # while importing (it pauses to 0 only when idle)
# max_connections on Aurora PostgreSQL: LEAST(DBInstanceClassMemory / 9531392, 5000).
AURORA_BYTES_PER_CONNECTION = 9_531_392
CONNECTIONS_PER_LAMBDA = 1  # each worker's pool holds one connection while a batch runs


@dataclass(frozen=True)
class Stage:
    """One Lambda's work on one item. ``cpu_ms``: what it costs in AWS (for the ML stage the
    production CLIP model); ``local_cpu_ms``: what the local benchmark measures (offline
    models), to check the model against."""

    name: str
    local_name: str
    memory_mb: int
    cpu_ms: float
    local_cpu_ms: float
    io_ms: float  # waiting on S3/SQS/PostgreSQL in AWS, after io_threads overlap
    db_ms: float  # PostgreSQL CPU time the item costs
    s3_puts: float
    s3_gets: float  # GET + HEAD
    sqs_requests: float
    batch_size: int
    cold_start_s: float

    @property
    def s3_requests(self) -> float:
        return self.s3_puts + self.s3_gets

    def lambda_ms(self) -> float:
        share = min(1.0, self.memory_mb / MB_PER_VCPU)
        return self.cpu_ms / share + self.io_ms

    def gb_s(self) -> float:
        return self.lambda_ms() / 1000 * self.memory_mb / 1024


# Per photo (12 MP JPEG; ~1 MB in the benchmark, 4 MB in the storage and uplink figures).
# CPU, PostgreSQL CPU and requests: bench_import_stages, 96 photos, 2026-12-07 12:32 UTC on
# an idle machine (load 0.8), after the counter triggers' change checks (docs/api.md); the
# earlier inputs came from a run at load 20, whose CPU times were 1.5-3x these, and from 24
# photos, whose PostgreSQL CPU is a few clock ticks. The ML
# stage in AWS runs CLIP ViT-B-32: bench_ml_stages measures faces + smart_search inline at
# 105 ms of CPU with CLIP against 42 ms with the offline pack, so +63 ms over the local
# figure. I/O after io_threads overlap: bench_ml_stages'
# 20 ms round-trip run (~9 ms per photo for the ML stage); ingest and thumbnail make their S3
# requests one after another (and GET the ~4 MB original: ~45 ms at ~90 MB/s). SQS: receives,
# deletes and sends per photo (a Lambda caches GetQueueUrl), plus for ingest the SNS delivery
# of the upload event. S3 PUTs in the ML stage: one face crop per two photos (the benchmark's
# photos have fewer faces than a family library). S3 GETs: ingest GETs the original (the
# answer's size is checked before the body is read: no HEAD) and its sidecar's key (a 404
# for most photos); thumbnail only GETs it.
PHOTO_STAGES = (
    Stage("ingest", "ingest", 1024, 10, 10, 80, 5.0, 0, 2, 2.7, 10, 1.0),
    Stage("thumbnail", "thumbnail", 2048, 73, 73, 110, 6.0, 2, 1, 2.9, 5, 1.0),
    Stage("faces + smart_search", "faces", 2048, 95, 32, 30, 2.1, 0.5, 1, 0.9, 10, 4.0),
    Stage("duplicates", "duplicates", 1024, 5, 5, 25, 0.8, 0, 1, 0.7, 10, 1.0),
)
# Per video (assumed 30 s of 1080p, 100 MB): ingest, transcode to <= 720p H.264 veryfast
# (bench_media: 5.7x real time on 2 vCPUs, so ~10 s of CPU on one; 3,008 MB buys 1.7 vCPU
# and ffmpeg uses them: CPU time counted per vCPU below), the poster through the photo
# stages' thumbnail, faces and duplicates (counted with the photos' per-item figures).
VIDEO_STAGES = (
    Stage("ingest (video)", "", 1024, 40, 0, 150, 2.5, 0, 2, 2.2, 10, 1.0),
    Stage("transcode", "", 3008, 10_500 / 1.7, 0, 2_500, 3.0, 2, 2, 2.2, 1, 2.0),
)
UPLOAD_S3_PUTS = 1  # the client's presigned PUT (multipart: one per 16 MB part + 2)
UPLOAD_SNS_PUBLISHES = 1  # the ObjectCreated event, fanned out to the S3-triggered queues
PHOTO_MB = 4.0
VIDEO_MB = 100.0
API_MS_PER_ITEM = 5.0  # upload tickets 32 per call (POST /api/assets/bulk-uploads)
API_MEMORY_MB = 1024


@dataclass(frozen=True)
class Estimate:
    rows: list[dict]
    lambda_gb_s: float
    lambda_requests: float
    s3_puts: float
    s3_gets: float
    sqs_requests: float
    sns_publishes: float
    db_cpu_s: float
    throughput_per_s: dict[str, float]
    seconds: dict[str, float]
    wall_s: float
    limit: str
    acu: float
    acu_hours: float
    aurora_limit_concurrency: int
    max_connections: int
    connections: int
    cost: dict[str, float]


def aurora_items_per_s(db_ms: float, max_acu: float) -> float:
    return max_acu * VCPU_PER_ACU * AURORA_TARGET_UTILISATION * 1000 / db_ms


def stage_rows(work: list[tuple[Stage, int]]) -> list[dict]:
    return [
        {
            "stage": s.name,
            "items": n,
            "memory_mb": s.memory_mb,
            "ms_per_item": s.lambda_ms(),
            "gb_s": s.gb_s() * n,
            "cost": s.gb_s() * n * LAMBDA_GB_S,
        }
        for s, n in work
    ]


def part_seconds(
    work: list[tuple[Stage, int]], concurrency: int, db_s: float, max_acu: float, upload_mb: float,
    uplink_mbps: float | None,
) -> tuple[dict[str, float], dict[str, float]]:  # fmt: skip
    """(items/s, seconds) each part alone would need: every stage at its concurrency,
    Aurora's CPU at ``max_acu``, the uplink."""
    rates = {s.name: concurrency * 1000 / s.lambda_ms() for s, n in work if n}
    seconds = {s.name: n / rates[s.name] for s, n in work if n}
    aurora_vcpu = max_acu * VCPU_PER_ACU * AURORA_TARGET_UTILISATION
    seconds["Aurora CPU"] = db_s / aurora_vcpu
    if uplink_mbps:
        seconds["uplink"] = upload_mb * 8 / uplink_mbps
    return rates, seconds


def estimate(
    photos: int,
    videos: int,
    concurrency: int,
    max_acu: float = 4,
    uplink_mbps: float | None = None,
) -> Estimate:
    if photos < 0 or videos < 0 or concurrency < 1 or max_acu <= 0 or (uplink_mbps or 1) <= 0:
        raise ValueError("photos/videos >= 0, concurrency >= 1, max ACU and uplink > 0")
    items = photos + videos  # every video's poster goes through the photo stages
    work = [(s, items) for s in PHOTO_STAGES] + [(s, videos) for s in VIDEO_STAGES]
    db_ms_per_photo = sum(s.db_ms for s in PHOTO_STAGES)
    db_s = sum(s.db_ms * n for s, n in work) / 1000
    upload_mb = photos * PHOTO_MB + videos * VIDEO_MB
    rates, seconds = part_seconds(work, concurrency, db_s, max_acu, upload_mb, uplink_mbps)
    rates["Aurora CPU"] = aurora_items_per_s(db_ms_per_photo, max_acu)
    # The parts run at the same time: the import takes as long as the slowest, plus the
    # time for the first batch to get through every stage (cold starts included).
    limit = max(seconds, key=lambda k: seconds[k])
    fill = sum(s.cold_start_s + s.lambda_ms() * s.batch_size / 1000 for s in PHOTO_STAGES)
    wall = seconds[limit] + fill
    # The concurrency from which Aurora's CPU, not Lambda, bounds the photo stages.
    slowest_ms = max(s.lambda_ms() for s in PHOTO_STAGES)
    crossover = math.ceil(rates["Aurora CPU"] * slowest_ms / 1000)
    busy_acu = db_s / wall / VCPU_PER_ACU / AURORA_TARGET_UTILISATION
    acu = min(max_acu, max(AURORA_MIN_ACU, busy_acu))
    acu_hours = acu * wall / 3600
    api_gb_s = items * API_MS_PER_ITEM / 1000 * API_MEMORY_MB / 1024
    gb_s = sum(s.gb_s() * n for s, n in work) + api_gb_s
    invocations = sum(math.ceil(n / s.batch_size) for s, n in work) + math.ceil(items / 32)
    s3_puts = items * UPLOAD_S3_PUTS + sum(s.s3_puts * n for s, n in work)
    s3_gets = sum(s.s3_gets * n for s, n in work)
    sqs = sum(s.sqs_requests * n for s, n in work)
    sns = items * UPLOAD_SNS_PUBLISHES
    cost = {
        "Lambda GB-s": gb_s * LAMBDA_GB_S,
        "Lambda requests": invocations * LAMBDA_REQUEST,
        "S3 PUT": s3_puts * S3_PUT,
        "S3 GET/HEAD": s3_gets * S3_GET,
        "SQS": sqs * SQS_REQUEST,
        "SNS": sns * SNS_PUBLISH,
        "Aurora ACU": acu_hours * AURORA_ACU_HOUR,
    }
    max_connections = min(5000, int(max_acu * 2 * 1024**3 / AURORA_BYTES_PER_CONNECTION))
    connections = concurrency * len(work) * CONNECTIONS_PER_LAMBDA
    return Estimate(
        stage_rows(work), gb_s, invocations, s3_puts, s3_gets, sqs, sns, db_s, rates, seconds,
        wall, limit, acu, acu_hours, crossover, max_connections, connections, cost,
    )  # fmt: skip


def render(e: Estimate, photos: int, videos: int, concurrency: int, max_acu: float) -> str:
    lines = [
        f"Import of {photos:,} photos and {videos:,} videos, reserved concurrency"
        f" {concurrency} per stage, Aurora max {max_acu:g} ACU ({REGION} list prices of"
        f" {PRICES_DATE})",
        "",
        f"{'stage':<22} {'items':>8} {'MB':>5} {'ms/item':>8} {'GB-s':>10} {'$':>8}",
    ]
    for r in e.rows:
        lines.append(
            f"{r['stage']:<22} {r['items']:>8,} {r['memory_mb']:>5} {r['ms_per_item']:>8.0f}"
            f" {r['gb_s']:>10,.0f} {r['cost']:>8.2f}"
        )
    lines += [
        "",
        "minutes each part alone would need: "
        + ", ".join(f"{k} {v / 60:,.0f}" for k, v in e.seconds.items()),
        f"wall time: {e.wall_s / 3600:.2f} h ({e.wall_s / 60:.0f} min), set by: {e.limit}",
        f"Aurora: {e.db_cpu_s / 3600:.2f} CPU-hours of PostgreSQL, ~{e.acu:.1f} ACU for"
        f" {e.wall_s / 3600:.2f} h = {e.acu_hours:.1f} ACU-h; it becomes the limit from a"
        f" concurrency of {e.aurora_limit_concurrency} per stage at {max_acu:g} ACU;"
        f" connections {e.connections} of max_connections ~{e.max_connections}",
        f"requests: Lambda {e.lambda_requests:,.0f}, S3 PUT {e.s3_puts:,.0f}, S3 GET/HEAD"
        f" {e.s3_gets:,.0f}, SQS {e.sqs_requests:,.0f}, SNS {e.sns_publishes:,.0f};"
        f" Lambda {e.lambda_gb_s:,.0f} GB-s",
        "",
        "cost: " + ", ".join(f"{k} ${v:,.2f}" for k, v in e.cost.items()),
        f"total: ${sum(e.cost.values()):,.2f} (storage, data transfer, logs and Aurora I/O"
        " not included)",
    ]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--photos", type=int, default=100_000)
    parser.add_argument("--videos", type=int, default=2_000)
    parser.add_argument("--concurrency", type=int, default=10)
    parser.add_argument("--max-acu", type=float, default=4)
    parser.add_argument(
        "--uplink-mbps", type=float, default=None, help="default: originals already in S3"
    )
    args = parser.parse_args(argv)
    try:
        e = estimate(args.photos, args.videos, args.concurrency, args.max_acu, args.uplink_mbps)
    except ValueError as error:
        parser.error(str(error))
    print(render(e, args.photos, args.videos, args.concurrency, args.max_acu))
    return 0


if __name__ == "__main__":
    sys.exit(main())
