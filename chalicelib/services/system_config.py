"""Server settings an admin changes without a deploy (``/api/system-config``).

The environment (``chalicelib.settings``) gives every default; PostgreSQL keeps only what an
admin changed, so a field nobody touched keeps following the environment. Workers and the
API read the result through one ``SystemConfigReader`` per process, which reads the database
at most once per ``ttl`` seconds: a change reaches every Lambda within that time.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from pydantic import ValidationError

from chalicelib import errors
from chalicelib.observability import logger
from chalicelib.schemas import system_config as s
from chalicelib.schemas.system_config import FfmpegConfig, SystemConfig

if TYPE_CHECKING:
    from chalicelib.repositories.system_config import SystemConfigRepository
    from chalicelib.services.auth import AuthUser
    from chalicelib.settings import Settings

__all__ = ["FfmpegConfig", "SystemConfig", "SystemConfigReader", "SystemConfigService", "defaults"]

Leaf = int | float | str | bool | None


def defaults(st: Settings) -> SystemConfig:
    """What the environment says, in the API's shape."""
    return SystemConfig.model_validate(
        {
            "ffmpeg": {
                "transcode": st.transcode_policy,
                "targetVideoCodec": "h264",
                "targetResolution": st.transcode_target_resolution,
                "crf": st.transcode_crf,
                "preset": st.transcode_preset,
            },
            "image": {
                "thumbnail": {
                    "format": "webp",
                    "size": st.thumbnail_size,
                    "quality": st.thumbnail_quality,
                },
                "preview": {
                    "format": "jpeg",
                    "size": st.preview_size,
                    "quality": st.preview_quality,
                },
            },
            "machineLearning": {
                "enabled": True,
                "clip": {"enabled": True, "modelName": st.image_encoder},
                "facialRecognition": {
                    "enabled": True,
                    "minScore": st.face_min_score,
                    "maxDistance": st.people_max_distance,
                    "minFaces": st.people_min_faces,
                },
                "duplicateDetection": {
                    "enabled": True,
                    "maxDistanceBits": st.duplicate_max_distance,
                },
            },
            "trash": {"days": st.trash_retention_days},
            "upload": {"maxFileSizeInBytes": st.max_upload_bytes},
            "user": {"defaultQuotaSizeInBytes": st.default_quota_bytes},
            "invitation": {
                "expiresInDays": st.invitation_expires_in_days,
                "maxUses": st.invitation_max_uses,
            },
        }
    )


def _dump(config: SystemConfig) -> dict[str, Any]:
    return config.model_dump(mode="json", by_alias=True)


def _leaves(tree: dict[str, Any], prefix: str = "") -> dict[str, Leaf]:
    out: dict[str, Leaf] = {}
    for key, value in tree.items():
        path = f"{prefix}{key}"
        if isinstance(value, dict):
            out.update(_leaves(value, path + "."))
        else:
            out[path] = value
    return out


def _tree(leaves: dict[str, Leaf]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for path, value in leaves.items():
        *parents, last = path.split(".")
        node = out
        for part in parents:
            node = node.setdefault(part, {})
        node[last] = value
    return out


def merge(base: SystemConfig, overrides: dict[str, Any]) -> SystemConfig:
    """``base`` with the stored overrides on top; overrides that no longer validate (a field
    renamed or narrowed since) are dropped with a log line rather than stopping the server."""
    leaves = _leaves(_dump(base))
    known = {k: v for k, v in _leaves(overrides).items() if k in leaves}
    try:
        return SystemConfig.model_validate(_tree({**leaves, **known}))
    except ValidationError:
        logger.error("stored system config no longer validates; using the defaults")
        return base


class SystemConfigReader:
    """The server settings in effect, cached: the stored overrides are read at most once per
    ``ttl`` seconds; the defaults follow the settings object ``base`` returns (tests and the
    local stack replace it)."""

    def __init__(
        self,
        load: Callable[[], dict[str, Any]],
        base: Callable[[], Settings],
        ttl: float,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._load = load
        self._base = base
        self._ttl = ttl
        self._clock = clock
        self._lock = threading.Lock()
        self._loaded_at: float | None = None
        self._overrides: dict[str, Any] = {}
        self._cached: tuple[Settings, SystemConfig] | None = None

    def get(self) -> SystemConfig:
        base = self._base()
        with self._lock:
            now = self._clock()
            if self._loaded_at is None or now - self._loaded_at >= self._ttl:
                self._overrides = self._load()
                self._loaded_at = now
                self._cached = None
            if self._cached is None or self._cached[0] is not base:
                self._cached = (base, merge(defaults(base), self._overrides))
            return self._cached[1]

    def invalidate(self) -> None:
        with self._lock:
            self._loaded_at = None


# What a change leaves out of date: (path prefix, stage to redo for every asset, why).
_REDO: tuple[tuple[str, str, str], ...] = (
    ("image.", "thumbnail", "thumbnail and preview settings changed"),
    ("ffmpeg.", "transcode", "transcoding settings changed"),
    ("machineLearning.facialRecognition.minScore", "faces", "the face detection score changed"),
    ("machineLearning.clip.modelName", "smart_search", "the search model changed"),
    (
        "machineLearning.duplicateDetection.maxDistanceBits",
        "duplicates",
        "duplicate distance changed",
    ),
)
# A feature's switch: while off, its stage records each asset ``skipped``; turned on, only
# those (the assets missing the stage) need it. Turned off, nothing needs a re-run: what was
# made stays until it is turned on again.
_SWITCHES: dict[str, tuple[tuple[str, str], ...]] = {
    "machineLearning.enabled": (
        ("faces", "machine learning was turned on"),
        ("smart_search", "machine learning was turned on"),
        ("duplicates", "machine learning was turned on"),
    ),
    "machineLearning.facialRecognition.enabled": (("faces", "facial recognition was turned on"),),
    "machineLearning.clip.enabled": (("smart_search", "smart search was turned on"),),
    "machineLearning.duplicateDetection.enabled": (
        ("duplicates", "duplicate detection was turned on"),
    ),
}


def requeue_offers(changes: list[s.ConfigChange]) -> list[s.RequeueOffer]:
    """One offer per stage; ``all`` wins over ``missing`` (it re-runs those too)."""
    offers: dict[str, s.RequeueOffer] = {}
    for change in changes:
        if change.path in _SWITCHES and change.new is True:
            for stage, reason in _SWITCHES[change.path]:
                offers.setdefault(stage, s.RequeueOffer(stage=stage, reason=reason, mode="missing"))
        for prefix, stage, reason in _REDO:
            if change.path.startswith(prefix) and _mode(offers.get(stage)) != "all":
                offers[stage] = s.RequeueOffer(stage=stage, reason=reason, mode="all")
    return list(offers.values())


def _mode(offer: s.RequeueOffer | None) -> str | None:
    return offer.mode if offer else None


class SystemConfigService:
    def __init__(
        self,
        repo: SystemConfigRepository,
        reader: SystemConfigReader,
        settings: Callable[[], Settings],
    ) -> None:
        self._repo = repo
        self._reader = reader
        self._settings = settings

    def get(self) -> SystemConfig:
        return self._reader.get()

    def defaults(self) -> SystemConfig:
        return defaults(self._settings())

    def update(self, auth: AuthUser, dto: SystemConfig) -> s.SystemConfigUpdateResponse:
        """Stores what differs from the defaults, records who changed which fields, and says
        which stages the change leaves out of date."""
        self._check_available(dto)
        self._reader.invalidate()  # compare against what is stored now, not a cached copy
        before = _leaves(_dump(self._reader.get()))
        after = _leaves(_dump(dto))
        base = _leaves(_dump(self.defaults()))
        changes = [
            s.ConfigChange(path=path, old=before.get(path), new=value)
            for path, value in after.items()
            if before.get(path) != value
        ]
        if changes:
            overrides = _tree({k: v for k, v in after.items() if base.get(k) != v})
            changed = [c.model_dump(mode="json") for c in changes]
            self._repo.save(overrides, changed, auth.id)
            self._reader.invalidate()
        return s.SystemConfigUpdateResponse(
            **dict(self._reader.get()), requeue=requeue_offers(changes)
        )

    def history(self, limit: int) -> list[s.SystemConfigHistoryEntry]:
        return [s.SystemConfigHistoryEntry.model_validate(r) for r in self._repo.history(limit)]

    def _check_available(self, dto: SystemConfig) -> None:
        """What pydantic cannot know: what this deployment has and can hold."""
        st = self._settings()
        if dto.machine_learning.clip.model_name == "clip" and not st.clip_model_uri:
            _refuse(
                "machineLearning.clip.modelName",
                "no CLIP model is installed (SKYROLL_CLIP_MODEL_URI)",
            )
        if dto.upload.max_file_size_in_bytes > st.max_upload_bytes:
            _refuse(
                "upload.maxFileSizeInBytes",
                f"at most {st.max_upload_bytes} (what the stages' disk holds:"
                " SKYROLL_MAX_UPLOAD_BYTES)",
            )


def _refuse(field: str, message: str) -> None:
    raise errors.BadRequest(
        f"Invalid request: {field}", details=[{"field": field, "message": message}]
    )
