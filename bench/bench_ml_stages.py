"""ML stages end to end: images/s per core of the real faces and smart_search Lambda handlers,
and their overhead over the bare onnxruntime sessions on the same inputs, in the same run.

Previews (1440 px JPEG q80, as the thumbnail stage writes them) sit in S3 behind a moto
server and the assets in PostgreSQL, both separate processes: in AWS they are remote
services, so their server-side CPU is not the worker's; the client side (boto3, psycopg,
JSON logs) runs in this process and is counted. Each stage handler gets SQS-shaped batches of
the pipeline's batch size (messages say ``force`` so every round redoes the work), with
``ml_threads=1``: the process CPU time is one core's work.

The bare side is only the ``session.run`` calls the stage's model makes, on tensors prepared
beforehand from the same decoded previews. Each batch runs through the handler and the bare
sessions back to back; the overhead is the median of the rounds' ratios.

The offline pack's models are small, so per-image fixed costs weigh a lot next to them. A
second smart_search row runs the same handler with the production model's architecture, CLIP
ViT-B-32, built with RANDOM weights by ``bench/build_clip_shaped.py`` (same shapes and FLOPs,
meaningless embeddings: speed only) into a gitignored bench-only folder, built once when
missing (~15 s in the ``make models`` build venv). It also times CLIP text queries, with
that textual graph as exported (77 tokens) and with a copy trimmed by
``scripts/models/clip_text_trim.py`` (the query's own tokens), built once when missing.

    .venv/bin/python bench/bench_ml_stages.py [OUTPUT.md]
"""

from __future__ import annotations

import io
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Sequence
from functools import partial
from pathlib import Path
from typing import Any

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from bench.bench_ml import preview_inputs  # noqa: E402
from bench.common import emit, insert_ready_assets, local_services  # noqa: E402

ASSETS = 30
ROUNDS = 5
TARGET = 0.20
RTT = 0.020  # a modelled S3/SQS round trip for the wall-time rows
# Random-weight CLIP ViT-B-32: for timing only, never a model for the app (see its builder).
CLIP_NAME = "ViT-B-32__random-weights-bench-only"
CLIP_DIR = REPO / ".skyroll" / "bench-models" / CLIP_NAME
CLIP_LABEL = "smart_search, CLIP ViT-B-32 (random weights)"
FUSED_LABEL = "faces + smart_search inline (one Lambda)"
FUSED_CLIP_LABEL = "faces + smart_search inline, CLIP ViT-B-32 (random weights)"
TRIMMED_DIR = CLIP_DIR.with_name(CLIP_NAME + "-trimmed")
INT8_DIR = CLIP_DIR.with_name(CLIP_NAME + "-trimmed-int8")  # what the image build ships
BUILD_PYTHON = REPO / ".skyroll" / "model-build-venv" / "bin" / "python"
QUERIES = (
    "a cat on a chair",
    "beach at sunset",
    "a woman in a space suit",
    "cup of coffee on a table",
    "rocket launch",
    "birthday party with friends",
    "snowy mountains",
    "a red flower",
    "old temple in china",
    "dog playing in the park",
)


def cpu(fn: Callable[[], object]) -> float:
    started = time.process_time()
    fn()
    return time.process_time() - started


def clip_shaped_pack() -> tuple[Path | None, str]:
    """The random-weight ViT-B-32 folder, built when missing; (None, why) if it cannot be."""
    if CLIP_DIR.is_dir():
        return CLIP_DIR, "cached"
    if not BUILD_PYTHON.is_file():
        return None, f"no model build venv at {BUILD_PYTHON} (`make models` creates it)"
    started = time.monotonic()
    proc = subprocess.run(
        [str(BUILD_PYTHON), str(REPO / "bench" / "build_clip_shaped.py"), "--out", str(CLIP_DIR)],
        capture_output=True,
        text=True,
        check=False,
    )
    if proc.returncode != 0 or not CLIP_DIR.is_dir():
        tail = " ".join((proc.stderr or proc.stdout).strip().splitlines()[-3:])
        return None, f"build failed (exit {proc.returncode}): {tail}"
    return CLIP_DIR, f"built in this run in {time.monotonic() - started:.0f} s"


def tooled_copy(folder: Path, target: Path, tool: str) -> tuple[Path | None, str]:
    """A copy of ``folder`` at ``target`` that ``scripts/models/<tool>`` rewrote, built when
    missing (a cached copy goes through the tool again: a no-op once verified and marked)."""
    command = [sys.executable, str(REPO / "scripts" / "models" / tool)]
    if target.is_dir():
        proc = subprocess.run([*command, str(target)], capture_output=True, text=True)
        if proc.returncode == 0:
            return target, "cached"
        shutil.rmtree(target)
    partial_dir = target.with_name(target.name + ".partial")
    shutil.rmtree(partial_dir, ignore_errors=True)
    shutil.copytree(folder, partial_dir)
    started = time.monotonic()
    proc = subprocess.run([*command, str(partial_dir)], capture_output=True, text=True)
    if proc.returncode != 0:
        shutil.rmtree(partial_dir, ignore_errors=True)
        return None, f"{tool} failed (exit {proc.returncode}): {proc.stderr.strip()[-300:]}"
    partial_dir.rename(target)
    return target, f"made in this run in {time.monotonic() - started:.0f} s"


def trimmed_clip_pack(folder: Path) -> tuple[Path | None, str]:
    """``folder`` with its textual graph taking any length (``clip_text_trim.py``)."""
    return tooled_copy(folder, TRIMMED_DIR, "clip_text_trim.py")


def int8_clip_pack(folder: Path) -> tuple[Path | None, str]:
    """``folder`` trimmed, then with int8 text MatMul weights: the image build's output."""
    trimmed, why = trimmed_clip_pack(folder)
    if trimmed is None:
        return None, why
    return tooled_copy(trimmed, INT8_DIR, "clip_text_int8.py")


def make_container(dsn: str, endpoint: str, state: Path) -> Any:
    from chalicelib.container import Container, use_container
    from chalicelib.local.aws import bootstrap
    from chalicelib.settings import Settings

    suffix = uuid.uuid4().hex[:8]
    settings = Settings(
        database_url=dsn,
        admin_email="admin@example.com",
        admin_password="admin-password-1",
        state_dir=state,
        public_url="http://localhost",
        aws_endpoint_url=endpoint,
        bucket=f"skyroll-bench-{suffix}",
        queue_prefix=f"b{suffix}-",
        uploads_topic=f"b{suffix}-uploads",
        ml_threads=1,
    )
    c = Container(settings)
    bootstrap(settings, c.s3, c.sqs, c.sns)
    use_container(c)
    return c


def clip_container(c: Any, folder: Path) -> Any:
    """The same bucket, queues and database, with the CLIP encoder on ``folder``."""
    from chalicelib.container import Container, use_container

    settings = c.settings.model_copy(
        update={"image_encoder": "clip", "clip_model_uri": str(folder)}
    )
    clip = Container(settings)
    use_container(clip)
    return clip


def previews() -> list[bytes]:
    """The bench_ml previews as the thumbnail stage stores them."""
    from chalicelib.ml.paths import models_dir

    blobs = []
    for image in preview_inputs(models_dir()):
        out = io.BytesIO()
        image.save(out, "JPEG", quality=80)
        blobs.append(out.getvalue())
    return blobs


def library(c: Any, blobs: list[bytes]) -> list[dict[str, Any]]:
    """ASSETS ready images, each with its preview in S3 and asset_files."""
    from chalicelib.storage import keys

    with c.pool.connection() as conn:
        owner = conn.execute(
            "INSERT INTO users (email, name, password_hash) VALUES ('bench@example.com',"
            " 'bench', 'x') RETURNING id"
        ).fetchone()["id"]
        ids = insert_ready_assets(conn, owner, ASSETS)
    assets = []
    for i, asset_id in enumerate(ids):
        data = blobs[i % len(blobs)]
        key = keys.derivative_key(owner, asset_id, "preview.jpeg")
        c.store.put(key, data, "image/jpeg")
        c.pipeline_repo.save_files(
            asset_id,
            [
                {
                    "kind": "preview",
                    "storage_key": key,
                    "mime_type": "image/jpeg",
                    "width": None,
                    "height": None,
                    "byte_size": len(data),
                }
            ],
        )
        assets.append({"id": asset_id, "key": key, "data": data})
    return assets


def sqs_event(stage: str, asset_ids: list[Any]) -> dict[str, Any]:
    records = [
        {
            "messageId": str(uuid.uuid4()),
            "receiptHandle": "bench",
            "body": json.dumps({"assetId": str(a), "stage": stage, "force": True}),
            "attributes": {"ApproximateReceiveCount": "1"},
            "messageAttributes": {},
            "md5OfBody": "",
            "eventSource": "aws:sqs",
            "eventSourceARN": f"arn:aws:sqs:us-east-1:123456789012:{stage}",
            "awsRegion": "us-east-1",
        }
        for a in asset_ids
    ]
    return {"Records": records}


Piece = Callable[[list[dict[str, Any]]], object]


class StageBench:
    """One stage: its handler on each SQS batch vs the bare sessions on the same batch, and
    the pieces the handler is made of, each on the same batch in the same round."""

    def __init__(
        self,
        name: str,
        handler: Any,
        batches: list[list[dict[str, Any]]],
        bare: Sequence[Callable[[], object]],
        pieces: dict[str, Piece],
        floor: Piece,
    ) -> None:
        from chalicelib.local.runner import FakeLambdaContext

        self.name = name
        self.handler = handler
        self.batches = batches
        self.bare = bare  # one callable per batch
        self.pieces = pieces
        self.floor = floor  # timed in the same rounds; not one of the pieces
        self.context = FakeLambdaContext(name, 2048, 300, "us-east-1")

    def call(self, batch: list[dict[str, Any]]) -> None:
        response = self.handler(sqs_event(self.name, [a["id"] for a in batch]), self.context)
        if response.get("batchItemFailures"):
            raise RuntimeError(f"{self.name}: records failed: {response}")

    def measure(self) -> dict[str, float]:
        """Per image: medians over rounds of the handler, the bare sessions and each piece;
        the overhead, the model wrapper (model call - bare) and the rest (handler - pieces)
        as medians of each round's own figures."""
        for batch, bare in zip(self.batches, self.bare, strict=True):
            self.call(batch)  # warm-up
            bare()
        rounds: list[dict[str, float]] = []
        for number in range(ROUNDS):
            took = dict.fromkeys(["stage", "bare", "floor", *self.pieces], 0.0)
            for batch, bare in zip(self.batches, self.bare, strict=True):
                if number % 2:
                    took["bare"] += cpu(bare)
                took["stage"] += cpu(partial(self.call, batch))
                if not number % 2:
                    took["bare"] += cpu(bare)
                for name, piece in self.pieces.items():
                    took[name] += cpu(partial(piece, batch))
                took["floor"] += cpu(partial(self.floor, batch))
            took["wrapper"] = took["model"] - took["bare"]
            took["rest"] = took["stage"] - sum(took[name] for name in self.pieces)
            rounds.append(took)
        images = sum(len(b) for b in self.batches)
        result = {k: statistics.median(r[k] for r in rounds) / images for k in rounds[0]}
        result["overhead"] = statistics.median(r["stage"] / r["bare"] - 1 for r in rounds)
        result["floor_share"] = statistics.median(r["floor"] / r["bare"] for r in rounds)
        return result


def split(assets: list[dict[str, Any]], size: int) -> list[list[dict[str, Any]]]:
    return [assets[i : i + size] for i in range(0, len(assets), size)]


def preview_pieces(c: Any, stage_name: str, min_side: int) -> dict[str, Piece]:
    """What getting the previews costs, piece by piece: the batch's one preview-key query
    (``previews.prefetched``; the messages are forced, so none is left out), each S3 GET,
    each decode."""
    from chalicelib.ml.imaging import open_for_models

    return {
        "row": lambda batch: c.media_repo.preview_keys(
            [a["id"] for a in batch], stage_name, [a["id"] for a in batch]
        ),
        "get": lambda batch: [c.store.open(a["key"]).read() for a in batch],
        "decode": lambda batch: [open_for_models(a["data"], min_side) for a in batch],
    }


def floor_piece(c: Any, stage_name: str, decode: Callable[[bytes], object]) -> Piece:
    """The stage with models that cost nothing and find nothing: the real handler path
    (prefetch, stage rows, hand-offs, logs) whose work is only to fetch the preview and
    decode it as the model's first step does. What any implementation of the stage as its
    own S3-fed Lambda pays per image before a single session runs."""
    from chalicelib.workers import previews, stage

    def work(asset: dict[str, Any], container: Any) -> None:
        decode(previews.fetch(container, asset["id"]))

    def run(batch: list[dict[str, Any]]) -> None:
        bodies = [r["body"] for r in sqs_event(stage_name, [a["id"] for a in batch])["Records"]]
        with previews.prefetched(c, bodies):
            errors = stage.run_each(bodies, c, stage_name, work)
        if any(errors):
            raise RuntimeError(f"{stage_name} floor: records failed: {errors}")

    return run


def faces_bench(c: Any, assets: list[dict[str, Any]], inline: bool = False) -> StageBench:
    """The stage's decode plan (``workers.faces.find_faces``): the detector gets the preview
    at 1/2 scale; faces too small there for the identity crop or the thumbnail are read from
    a full-size decode. The bare side gets the same tensors: the detector's from the small
    decode, the crops from whichever decode the stage reads each face from.

    ``inline``: the faces Lambda as it runs by default, smart_search embedding the decodes
    faces read (``workers.inline``); the bare side then adds the encoder's sessions on those
    same pictures. Without it, faces alone (``inline_stages`` off; smart_search messaged)."""
    from chalicelib.ml.align import align_face
    from chalicelib.ml.faces import DETECT_SIZE
    from chalicelib.pipeline import get_stage
    from chalicelib.workers.faces import needs_detail
    from chalicelib.workers.previews import decode as decode_preview
    from functions.faces.handler import handler as faces_handler

    def handler(event: dict[str, Any], context: Any) -> Any:
        c.settings.inline_stages = inline
        return faces_handler(event, context)

    encoder = c.image_encoder if inline else None
    analyzer = c.face_analyzer
    detector, recognizer = analyzer._detector, analyzer._recognizer
    batches = split(assets, get_stage("faces").batch_size)
    plans = {}  # asset id -> (small decode, detector min size, full decode or None)
    for a in assets:
        small, factor = decode_preview(a["data"], DETECT_SIZE)
        min_size = c.settings.face_min_size / factor
        found = analyzer.detect(small, min_size=min_size)
        detail = factor > 1 and any(needs_detail(d) for d in found)
        plans[a["id"]] = (small, min_size, factor, decode_preview(a["data"])[0] if detail else None)

    def model(asset: dict[str, Any]) -> object:
        small, min_size, factor, full = plans[asset["id"]]
        found = analyzer.detect(small, min_size=min_size)
        if full is None:
            return analyzer.describe(small, found)
        return analyzer.describe(full, [d.scaled(factor) for d in found])

    def picture(asset: dict[str, Any]) -> Any:  # the decode faces reads, smart_search gets
        small, _, _, full = plans[asset["id"]]
        return small if full is None else full

    def models(batch: list[dict[str, Any]]) -> object:
        described = [model(a) for a in batch]
        if encoder is not None:
            counts = [0] * len(batch) if encoder.uses_face_counts else None
            encoder.embed_images([picture(a) for a in batch], face_counts=counts)
        return described

    sessions = bare_image_sessions(encoder) if encoder is not None else None

    bares = []
    for batch in batches:
        inputs = []
        for asset in batch:
            small, min_size, factor, full = plans[asset["id"]]
            found = analyzer.detect(small, min_size=min_size)
            image = small if full is None else full
            scale = 1.0 if full is None else factor
            crops = [
                analyzer.recognizer_input(align_face(image, d.scaled(scale).landmarks))
                for d in found
            ]
            inputs.append((analyzer.detector_input(small)[0], crops))

        pixels = (
            np.stack([encoder.preprocess(picture(a)) for a in batch])
            if encoder is not None
            else None
        )

        def bare(
            inputs: list[tuple[np.ndarray, list[np.ndarray]]] = inputs,
            pixels: np.ndarray | None = pixels,
        ) -> None:
            for tensor, crops in inputs:
                detector.run(None, {"input": tensor})
                for crop in crops:
                    recognizer.run(None, {"data": crop})
            if sessions is not None:
                sessions(pixels)

        bares.append(bare)

    def decodes(asset: dict[str, Any]) -> object:
        first = decode_preview(asset["data"], DETECT_SIZE)
        return first if plans[asset["id"]][3] is None else decode_preview(asset["data"])

    pieces = {
        **preview_pieces(c, "faces", 640),
        "decode": lambda batch: [decodes(a) for a in batch],
        "model": models,
    }
    floor = floor_piece(c, "faces", lambda data: decode_preview(data, DETECT_SIZE))
    return StageBench("faces", handler, batches, bares, pieces, floor)


def bare_image_sessions(encoder: Any) -> Callable[[np.ndarray], object]:
    """Only the ``session.run`` calls ``encoder.embed_images`` makes on a batch tensor."""
    from chalicelib.ml.clip import BATCH, ClipPack

    if not isinstance(encoder, ClipPack):
        return encoder.logits  # the offline pack: one classifier call
    session, name = encoder._visual, encoder._visual_input
    # Immich's exports have a static batch of 1: one call per image, as ClipPack does.
    step = 1 if session.get_inputs()[0].shape[0] == 1 else BATCH

    def run(tensor: np.ndarray) -> None:
        for i in range(0, len(tensor), step):
            session.run(None, {name: tensor[i : i + step]})

    return run


def smart_search_bench(c: Any, assets: list[dict[str, Any]]) -> StageBench:
    from chalicelib.ml.imaging import open_for_models
    from chalicelib.pipeline import get_stage
    from functions.smart_search.handler import handler

    encoder = c.image_encoder
    sessions = bare_image_sessions(encoder)
    batches = split(assets, get_stage("smart_search").batch_size)
    # Decoded as the stage decodes them; the stage's one embed call per batch.
    decoded = {a["id"]: open_for_models(a["data"], encoder.image_size) for a in assets}
    bares = []
    for batch in batches:
        tensor = np.stack([encoder.preprocess(decoded[a["id"]]) for a in batch])
        bares.append(partial(sessions, tensor))
    pieces = {
        **preview_pieces(c, "smart_search", encoder.image_size),
        "model": lambda batch: encoder.embed_images([decoded[a["id"]] for a in batch]),
    }
    floor = floor_piece(c, "smart_search", partial(open_for_models, min_side=encoder.image_size))
    return StageBench("smart_search", handler, batches, bares, pieces, floor)


def text_query_bench(c: Any, variants: dict[str, Any] | None = None) -> dict[str, float]:
    """A search's text embedding as the text Lambda computes it (``embed_text_event``:
    tokenizer, session, normalisation) vs the bare textual session on the ids it runs on;
    CPU ms per query, median of rounds, one thread. ``variants``: {key prefix: a container
    on a rewritten copy} ("trimmed_", "int8_"), their rows timed in the same rounds."""
    from chalicelib.workers.smart_search import embed_text_event

    def calls(container: Any) -> tuple[list[Callable[[], object]], list[Callable[[], object]]]:
        encoder = container.image_encoder
        session, name = encoder._textual, encoder._text_input
        tokens = [encoder.text_inputs([q]) for q in QUERIES]  # cut when the graph allows
        full: list[Callable[[], object]] = [
            partial(embed_text_event, {"text": q}, container) for q in QUERIES
        ]
        return full, [partial(session.run, None, {name: t}) for t in tokens]

    setups = {"": calls(c), **{k: calls(v) for k, v in (variants or {}).items()}}
    for full, bare in setups.values():
        for fn in (*full, *bare):
            fn()  # warm-up
    rounds = []
    for number in range(ROUNDS):
        took = {f"{p}{k}": 0.0 for p in setups for k in ("query", "bare")}
        for prefix, (full, bare) in setups.items():
            for ours, base in zip(full, bare, strict=True):
                if number % 2:
                    took[f"{prefix}bare"] += cpu(base)
                took[f"{prefix}query"] += cpu(ours)
                if not number % 2:
                    took[f"{prefix}bare"] += cpu(base)
        rounds.append(took)
    result = {k: statistics.median(r[k] for r in rounds) / len(QUERIES) for k in rounds[0]}
    for prefix in setups:
        result[f"{prefix}overhead"] = statistics.median(
            r[f"{prefix}query"] / r[f"{prefix}bare"] - 1 for r in rounds
        )
    return result


def wall_with_latency(c: Any, bench: StageBench) -> dict[int, float]:
    """Wall ms per image through the handler when every S3 and SQS request first waits
    ``RTT`` (a round trip in AWS; moto answers in about a millisecond), with one S3 request
    at a time and with ``io_threads`` in flight (the batch's preview GETs, a photo's crop
    PUTs)."""

    def wait(**_: object) -> None:
        time.sleep(RTT)

    default = c.settings.io_threads
    clients = (c.s3, c.sqs)
    for client in clients:
        client.meta.events.register("before-send", wait)
    try:
        walls = {}
        for threads in (1, default):
            c.settings.io_threads = threads
            bench.call(bench.batches[0])  # warm
            started = time.perf_counter()
            for batch in bench.batches:
                bench.call(batch)
            walls[threads] = (time.perf_counter() - started) * 1000 / ASSETS
        return walls
    finally:
        c.settings.io_threads = default
        for client in clients:
            client.meta.events.unregister("before-send", wait)


def report(
    results: dict[str, dict[str, float]],
    clip_status: str,
    text: dict[str, float] | None,
    walls: dict[str, dict[int, float]] | None = None,
) -> str:
    lines = [
        "## ML stage handlers (one core, CPU time)",
        "",
        f"The real `faces` and `smart_search` Lambda handlers over {ASSETS} assets in SQS "
        "batches of the pipeline's batch size (10): previews from S3 (moto), rows in "
        "PostgreSQL, both in other processes whose CPU is not counted (remote services in "
        "AWS); boto3, psycopg and logging in the worker are. `ml_threads=1`. Median of "
        f"{ROUNDS} rounds, each batch through the handler and the bare sessions back to back "
        "(overhead: median of the rounds' ratios); "
        f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores.",
        "",
        "| stage | images/s per core (handler) | images/s per core (bare onnxruntime) "
        "| ms/image beyond the sessions | overhead | target | met | floor: ms/image with "
        "no model | floor / sessions |",
        "| --- | ---: | ---: | ---: | ---: | ---: | :---: | ---: | ---: |",
    ]
    for name, r in results.items():
        lines.append(
            f"| {name} | {1 / r['stage']:.1f} | {1 / r['bare']:.1f} | "
            f"{(r['stage'] - r['bare']) * 1000:.1f} | {r['overhead']:+.1%} | ≤ {TARGET:.0%} | "
            f"{'yes' if r['overhead'] <= TARGET else 'NO'} | {r['floor'] * 1000:.1f} | "
            f"{r['floor_share']:.0%} |"
        )
    lines += [
        "",
        "The floor is the same handler path (prefetch, stage status rows, hand-off, logs) with "
        "models that cost nothing and find nothing: the work is only fetching the preview and "
        "decoding it as the model's first step needs. Every separate S3-fed stage pays it "
        "before a session runs, so where the floor alone is above the target's share of the "
        "sessions, no implementation of that stage can meet the target.",
    ]
    lines += [
        "",
        "Where the handler's time goes, CPU ms per image: the pieces of its work, each run on "
        "the same batch in the same rounds (the batch's preview-key query, each S3 GET, each "
        "decode, the model call = sessions + our wrapper); the rest is the handler minus the "
        "pieces: stage status rows, the stage's own rows and objects (face rows, crops, people; "
        "the embedding), SQS hand-offs, logs.",
        "",
        "| stage | sessions (bare) | model wrapper | preview keys | S3 GET | decode | rest "
        "| total |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for name, r in results.items():
        ms = {k: v * 1000 for k, v in r.items()}
        lines.append(
            f"| {name} | {ms['bare']:.1f} | {ms['wrapper']:.1f} | {ms['row']:.1f} | "
            f"{ms['get']:.1f} | {ms['decode']:.1f} | {ms['rest']:.1f} | {ms['stage']:.1f} |"
        )
    if walls:
        lines += [
            "",
            f"Wall time, which Lambda bills: the same handlers with every S3 and SQS request "
            f"delayed {RTT * 1000:.0f} ms (a round trip in AWS; moto answers in ~1 ms), one "
            "S3 request at a time vs `io_threads` in flight (the batch's preview GETs start "
            "together; a photo's crop PUTs go together). ms per image, one pass:",
            "",
            "| stage | one request at a time | io_threads in flight |",
            "| --- | ---: | ---: |",
        ]
        for name, w in walls.items():
            (one, many) = (w[min(w)], w[max(w)])
            lines.append(f"| {name} | {one:.1f} | {many:.1f} (io_threads={max(w)}) |")
    lines += ["", *clip_report(clip_status, text)]
    return "\n".join(lines)


TEXT_VARIANTS = {
    "trimmed_": "trimmed: the query's tokens",
    "int8_": "trimmed + int8 MatMul weights (shipped)",
}


def clip_report(status: str, text: dict[str, float] | None) -> list[str]:
    lines = [
        f"**{CLIP_LABEL}**: the production model's architecture (open_clip `ViT-B-32-quickgelu`, "
        "exported as Immich's exporter does: batch 1, fp32, 88 M visual / 63 M text "
        "parameters) with **random weights**: the same shapes and FLOPs as Immich's "
        "`ViT-B-32__openai`, so the same CPU time, but meaningless embeddings. It measures "
        "speed only, never search quality; the offline-pack rows above are the models that "
        f"really run in `make dev` and CI. Folder `.skyroll/bench-models/{CLIP_NAME}` "
        f"(`bench/build_clip_shaped.py`; {status}).",
    ]
    if text is not None:
        trimmed = "trimmed_query" in text
        lines += [
            "",
            f"CLIP text query (what a search waits for before pgvector), {len(QUERIES)} "
            "different queries (4-8 tokens with start and end) through `embed_text_event` (the "
            "text Lambda's work: tokenizer, textual session, normalisation), one thread, CPU ms "
            "per query. The textual graph as Immich exports it runs all 77 tokens; "
            + (
                "trimmed by `scripts/models/clip_text_trim.py` (a copy, `.skyroll/bench-models/"
                f"{TRIMMED_DIR.name}`) it runs the query's own tokens and gives the same vector "
                "(checked to 1e-4 when trimming):"
                if trimmed
                else "the trimmed copy could NOT be made in this run (see its stderr):"
            ),
            "",
            "| text encoder | ms/query (handler) | ms/query (bare session) | overhead |",
            "| --- | ---: | ---: | ---: |",
            f"| CLIP ViT-B-32 textual (random weights), 77 tokens | {text['query'] * 1000:.1f} | "
            f"{text['bare'] * 1000:.1f} | {text['overhead']:+.1%} |",
        ]
        for prefix, what in TEXT_VARIANTS.items():
            if f"{prefix}query" in text:
                lines.append(
                    f"| CLIP ViT-B-32 textual (random weights), {what} | "
                    f"{text[prefix + 'query'] * 1000:.1f} | {text[prefix + 'bare'] * 1000:.1f} | "
                    f"{text[prefix + 'overhead']:+.1%} |"
                )
        if "int8_query" in text:
            lines += [
                "",
                "The int8 row is what the ML image ships (`clip_text_int8`, on by default): "
                "`scripts/models/clip_text_int8.py` stores the trimmed graph's MatMul weights "
                f"as int8 (`.skyroll/bench-models/{INT8_DIR.name}`), kept only when every "
                "verification text's vector has cosine >= 0.995 to the fp32 one.",
            ]
    lines.append("")
    return lines


def main() -> None:
    from chalicelib.ml.paths import is_complete, models_dir

    if not is_complete(models_dir()):
        raise SystemExit(f"model cache missing at {models_dir()}: run `make models`")
    folder, clip_status = clip_shaped_pack()
    text = None
    blobs = previews()
    with local_services() as (dsn, endpoint), tempfile.TemporaryDirectory() as state:
        c = make_container(dsn, endpoint, Path(state))
        containers = [c]
        try:
            assets = library(c, blobs)
            faces = faces_bench(c, assets)
            results = {"faces": faces.measure()}
            smart = smart_search_bench(c, assets)
            results["smart_search"] = smart.measure()
            fused = faces_bench(c, assets, inline=True)
            results[FUSED_LABEL] = fused.measure()
            walls = {
                "faces": wall_with_latency(c, faces),
                "smart_search": wall_with_latency(c, smart),
                FUSED_LABEL: wall_with_latency(c, fused),
            }
            if folder is not None:
                containers.append(clip := clip_container(c, folder))
                results[CLIP_LABEL] = smart_search_bench(clip, assets).measure()
                results[FUSED_CLIP_LABEL] = faces_bench(clip, assets, inline=True).measure()
                variants = {}
                for prefix, build in (("trimmed_", trimmed_clip_pack), ("int8_", int8_clip_pack)):
                    copy, status = build(folder)
                    print(f"bench_ml_stages: {prefix[:-1]} CLIP copy: {status}", file=sys.stderr)
                    if copy is not None:
                        variants[prefix] = clip_container(c, copy)
                        containers.append(variants[prefix])
                text = text_query_bench(clip, variants)
        finally:
            from chalicelib.container import use_container

            use_container(None)
            for container in containers:
                container.close()
    if folder is None:
        clip_status = f"NOT RUN: {clip_status}"
    emit(report(results, clip_status, text, walls), sys.argv[1] if len(sys.argv) > 1 else None)


if __name__ == "__main__":
    main()
