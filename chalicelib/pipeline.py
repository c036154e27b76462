"""The processing pipeline, declared once.

``infra/`` builds queues, DLQs and Lambda functions from this; the local stack
(bootstrap + event-source runner) reads it too. Nothing else names a queue.

A stage is triggered either by a new original in S3 (through the uploads SNS
topic) or by the completion of another stage (the worker that finishes sends a
message to every stage whose ``after`` names it), or -- ``MANUAL`` -- by the API,
which sends its own messages (zip downloads: one per archive part).
"""

from __future__ import annotations

from dataclasses import dataclass

S3_ORIGINAL = "s3:original"
# Started by the API (one message per unit of work), not by an upload or another stage.
MANUAL = "manual"


@dataclass(frozen=True)
class Stage:
    name: str
    # What starts it: S3_ORIGINAL, MANUAL (messages sent by the API), or the name of the
    # stage it follows.
    trigger: str
    # Import path of the Lambda handler, "module:function" (the same function the runner calls).
    handler: str
    batch_size: int = 10
    batching_window_seconds: int = 0
    timeout_seconds: int = 60
    memory_mb: int = 1024
    max_receive_count: int = 5
    # Caps concurrent invocations: protects Aurora's connection budget.
    reserved_concurrency: int | None = None
    # Heavy stages ship as container images (ffmpeg, onnxruntime + models).
    container: bool = False
    # Only for these asset types ("IMAGE", "VIDEO"); empty means all.
    asset_types: tuple[str, ...] = ()
    # A required stage's failure fails the asset; an optional one is recorded and skipped.
    required: bool = False
    # Also runs inside the Lambda of the stage it follows, on the same batch and on the
    # previews that stage already fetched and decoded: one S3 GET, one decode and one
    # invocation per image instead of two (chalicelib/workers/inline.py). Its own queue and
    # Lambda still take re-runs, retries, and whatever the inline run did not finish.
    inline: bool = False

    @property
    def visibility_timeout_seconds(self) -> int:
        # AWS guidance: at least 6x the function timeout, plus the batching window.
        return max(30, 6 * self.timeout_seconds + self.batching_window_seconds)

    @property
    def is_s3_triggered(self) -> bool:
        return self.trigger == S3_ORIGINAL


def manual_stage(
    name: str,
    *,
    timeout_seconds: int,
    reserved_concurrency: int,
    memory_mb: int = 1024,
    max_receive_count: int = 5,
) -> Stage:
    """A stage the API starts: one message per unit of work (``batch_size`` 1), its handler
    ``functions.<name>.handler``."""
    return Stage(
        name=name,
        trigger=MANUAL,
        handler=f"functions.{name}.handler:handler",
        batch_size=1,
        timeout_seconds=timeout_seconds,
        memory_mb=memory_mb,
        reserved_concurrency=reserved_concurrency,
        max_receive_count=max_receive_count,
    )


STAGES: tuple[Stage, ...] = (
    Stage(
        name="ingest",
        trigger=S3_ORIGINAL,
        handler="functions.ingest.handler:handler",
        batch_size=10,
        batching_window_seconds=1,
        timeout_seconds=120,
        memory_mb=1024,
        reserved_concurrency=10,
        required=True,
    ),
    Stage(
        name="thumbnail",
        trigger="ingest",
        handler="functions.thumbnail.handler:handler",
        batch_size=5,
        batching_window_seconds=1,
        timeout_seconds=120,
        memory_mb=2048,
        reserved_concurrency=10,
        required=True,
    ),
    Stage(
        # Web-playable encoded.mp4 (ffmpeg in a container image). Videos too long for this
        # Lambda's 15 minutes are marked skipped with a reason: see docs/video.md.
        name="transcode",
        trigger="ingest",
        handler="functions.transcode.handler:handler",
        batch_size=1,
        timeout_seconds=900,
        memory_mb=3008,
        reserved_concurrency=5,
        max_receive_count=3,
        container=True,
        asset_types=("VIDEO",),
        required=False,
    ),
    Stage(
        # Faces on the preview (YuNet + SFace, onnxruntime) and people recognition.
        name="faces",
        trigger="thumbnail",
        handler="functions.faces.handler:handler",
        batch_size=10,
        batching_window_seconds=1,
        timeout_seconds=300,
        memory_mb=2048,
        reserved_concurrency=5,
        container=True,
        required=False,
    ),
    Stage(
        # Image embedding of the preview. After faces: the offline encoder uses the face count.
        # Inline: the faces Lambda embeds the previews it decoded (docs/ml.md).
        name="smart_search",
        trigger="faces",
        inline=True,
        handler="functions.smart_search.handler:handler",
        batch_size=10,
        batching_window_seconds=1,
        timeout_seconds=300,
        memory_mb=2048,
        reserved_concurrency=5,
        container=True,
        required=False,
    ),
    Stage(
        # Near-duplicate groups from a perceptual hash of the preview (Pillow + numpy).
        name="duplicates",
        trigger="thumbnail",
        handler="functions.duplicates.handler:handler",
        batch_size=10,
        batching_window_seconds=1,
        timeout_seconds=60,
        memory_mb=1024,
        reserved_concurrency=5,
        required=False,
    ),
    # Zip downloads: one message per part of an archive, sent by POST /api/download/archive.
    manual_stage("archive", timeout_seconds=900, reserved_concurrency=5, max_receive_count=3),
    # External libraries: one page of a bucket listing per message (the next page's message
    # is sent by the worker), sent by POST /api/libraries/{id}/scan.
    manual_stage("library_scan", timeout_seconds=300, reserved_concurrency=2),
    # Bulk jobs (emptying the trash, restoring all of it, re-queuing a stage): one batch of at
    # most 500 assets per message, each batch sending the next, so no invocation and no API
    # request grows with the library (chalicelib/services/bulk_jobs.py).
    manual_stage("bulk_jobs", timeout_seconds=300, memory_mb=512, reserved_concurrency=2),
)


def get_stage(name: str) -> Stage:
    for stage in STAGES:
        if stage.name == name:
            return stage
    raise KeyError(f"no pipeline stage named {name!r}")


def followers(stage_name: str, stages: tuple[Stage, ...] = STAGES) -> list[Stage]:
    """Stages that start when ``stage_name`` completes for an asset."""
    return [s for s in stages if s.trigger == stage_name]


def inline_followers(stage_name: str, stages: tuple[Stage, ...] = STAGES) -> list[Stage]:
    """Followers of ``stage_name`` that its own Lambda runs on the batch it just finished."""
    return [s for s in followers(stage_name, stages) if s.inline]


def validate(stages: tuple[Stage, ...] = STAGES) -> None:
    names = [s.name for s in stages]
    if len(set(names)) != len(names):
        raise ValueError("duplicate stage names")
    for s in stages:
        if s.trigger not in (S3_ORIGINAL, MANUAL) and s.trigger not in names:
            raise ValueError(f"stage {s.name} follows unknown stage {s.trigger}")
        if not 1 <= s.batch_size <= 10_000:
            raise ValueError(f"stage {s.name}: batch size out of range")
        if not 0 <= s.batching_window_seconds <= 300:
            raise ValueError(f"stage {s.name}: batching window out of range")
        if s.batch_size > 10 and s.batching_window_seconds < 1:
            raise ValueError(f"stage {s.name}: SQS batches above 10 need a batching window")
        if s.inline and s.trigger in (S3_ORIGINAL, MANUAL):
            raise ValueError(f"stage {s.name}: only a stage that follows another runs inline")
        if s.timeout_seconds > 900:
            raise ValueError(f"stage {s.name}: Lambda timeout is at most 900 s")
