"""Per-stage deployment settings, read from CDK context (``cdk.json`` or ``-c``).

``-c stage=prod`` picks the stage; ``context.skyroll.<stage>`` in ``cdk.json`` (or
``-c skyroll='{"prod": {...}}'``) overrides any field below. Unknown keys are errors, so
a typo never silently deploys the default.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field, fields, replace
from typing import Any, Literal

Egress = Literal["endpoints", "nat"]

# When each job runs (EventBridge expressions, UTC). functions/jobs/handler.py receives
# {"job": name}; names are those of chalicelib.jobs.JOBS. A job listed here but not yet in
# that registry gets no rule (and a synth warning) instead of failing every run.
SCHEDULED_JOBS: dict[str, str] = {
    # One nightly window (UTC): each run wakes an auto-paused Aurora for ~10 minutes, so jobs
    # run back to back instead of hourly (an idle library would otherwise pay ~730 wake-ups a
    # month). None is urgent: pending uploads and downloads expire after a day anyway, S3
    # aborts incomplete multipart uploads by itself, and a lost hand-off is rare.
    "expire-pending-uploads": "cron(0 3 * * ? *)",
    "expire-downloads": "cron(5 3 * * ? *)",
    "resume-stalled": "cron(10 3 * * ? *)",
    "purge-trash": "cron(15 3 * * ? *)",
    "clean-orphans": "cron(30 3 * * ? *)",
    "search-indexes": "cron(35 3 * * ? *)",
    "people-recluster": "cron(45 3 * * ? *)",
    "memories": "cron(0 4 * * ? *)",
}
# Jobs an admin starts on purpose (POST /api/admin/jobs/{name}/run), never on a timer:
# re-embedding every asset after a model switch.
MANUAL_JOBS: frozenset[str] = frozenset({"reembed"})


@dataclass(frozen=True)
class StageConfig:
    name: str
    # How Lambdas in isolated subnets reach AWS APIs beyond S3 (which always goes through
    # the free gateway endpoint): "endpoints" = interface endpoints for Secrets Manager and
    # SQS (~$7.30/month each per AZ), "nat" = one NAT gateway (~$32.85/month + $0.045/GB).
    egress: Egress = "endpoints"
    max_azs: int = 2
    # Interface endpoints are billed per AZ; one AZ is enough for a family library.
    endpoint_azs: int = 1
    aurora_min_acu: float = 0.0
    aurora_max_acu: float = 2.0
    aurora_auto_pause_minutes: int = 10
    backup_retention_days: int = 7
    # The nightly pg_dump exports to backups/ in the media bucket (functions/backup): days
    # kept, by the export's own pruning and the bucket's lifecycle rule.
    backup_export_days: int = 14
    # prod: deletion protection, a final snapshot, retained logs and VPC flow logs.
    protect_data: bool = False
    flow_logs: bool = False
    cors_origins: tuple[str, ...] = ("http://localhost:3000",)
    alarm_email: str = ""
    api_throttle_rate: float = 50.0
    api_throttle_burst: int = 100
    log_retention_days: int = 30
    noncurrent_version_days: int = 30
    api_memory_mb: int = 1024
    api_timeout_seconds: int = 29
    admin_email: str = "admin@skyroll.local"
    public_url: str = ""
    # The CLIP model the ML image build fetches from Hugging Face (immich-app/<name>, Immich's
    # ONNX exports) and every function is configured for; "" = the offline pack (no CLIP).
    clip_model: str = "ViT-B-32__openai"
    # The Hugging Face commit of that repo to fetch ("" = its latest): pin it so a rebuild
    # cannot bring another export under the model id the stored vectors carry.
    clip_revision: str = ""
    # Store the CLIP text graph's MatMul weights as int8 at image build, once verified against
    # fp32 (scripts/models/clip_text_int8.py): ~5x faster text embedding for searches.
    clip_text_int8: bool = True
    # Buckets users may register as external libraries (docs/deploy.md): the functions that
    # list and read originals get read-only access to these, and to nothing else outside.
    external_buckets: tuple[str, ...] = ()
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def stack_name(self) -> str:
        return f"Skyroll-{self.name}"

    @property
    def prefix(self) -> str:
        """Name prefix for queues, topics and functions: two stages share an account."""
        return f"skyroll-{self.name}-"


DEFAULTS: dict[str, StageConfig] = {
    "dev": StageConfig(name="dev"),
    "prod": StageConfig(
        name="prod",
        protect_data=True,
        flow_logs=True,
        aurora_max_acu=4.0,
        backup_retention_days=14,
        log_retention_days=90,
        noncurrent_version_days=90,
    ),
}


def from_context(stage: str | None, overrides: Any) -> StageConfig:
    """The stage config for ``stage`` with context overrides applied."""
    name = stage or "dev"
    if name not in DEFAULTS:
        raise ValueError(f"unknown stage {name!r}; expected one of {sorted(DEFAULTS)}")
    if isinstance(overrides, str):
        overrides = json.loads(overrides)
    values = dict((overrides or {}).get(name, {}))
    known = {f.name for f in fields(StageConfig)} - {"name", "extra"}
    unknown = set(values) - known
    if unknown:
        raise ValueError(f"unknown skyroll settings for stage {name}: {sorted(unknown)}")
    if "cors_origins" in values:
        values["cors_origins"] = tuple(values["cors_origins"])
    if "external_buckets" in values:
        values["external_buckets"] = tuple(values["external_buckets"])
    config = replace(DEFAULTS[name], **values)
    if not isinstance(config.clip_text_int8, bool):
        raise ValueError(f"clip_text_int8 must be true or false, not {config.clip_text_int8!r}")
    for bucket in config.external_buckets:
        if not re.fullmatch(r"[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]", bucket):
            raise ValueError(f"external_buckets: {bucket!r} is not an S3 bucket name")
    if config.egress not in ("endpoints", "nat"):
        raise ValueError(f"egress must be 'endpoints' or 'nat', not {config.egress!r}")
    if config.clip_model and not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9_.-]*", config.clip_model):
        raise ValueError(f"clip_model must be an immich-app model name, not {config.clip_model!r}")
    return config
