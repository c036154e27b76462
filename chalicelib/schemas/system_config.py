"""Server settings an admin changes at run time (``/api/system-config``), in Immich's
SystemConfigDto shape where the concept is the same (``ffmpeg.crf``, ``image.thumbnail.size``,
``machineLearning.facialRecognition.minScore``, ``trash.days``); ``upload``, ``user.default
QuotaSizeInBytes`` and ``invitation`` are Skyroll's own.

Every field has a default, taken from the environment (``chalicelib.settings``) by
``services.system_config.defaults``: a PUT stores only what differs from those, so an
unchanged field keeps following the environment.
"""

from __future__ import annotations

from datetime import datetime
from typing import Literal
from uuid import UUID

from pydantic import Field

from chalicelib.schemas.base import Dto, ResponseDto

TranscodePolicy = Literal["disabled", "required", "optimal", "all"]
Preset = Literal[
    "ultrafast", "superfast", "veryfast", "faster", "fast", "medium", "slow", "slower", "veryslow"
]


class FfmpegConfig(Dto):
    transcode: TranscodePolicy
    target_video_codec: Literal["h264", "hevc", "vp9"] = Field(
        description="The encoded video's codec, in MP4 (Immich's names). h264 plays in every"
        " browser; hevc (libx265) is about a third the size but plays only where the device"
        " decodes HEVC (Safari, Chrome and Edge with hardware support); vp9 (libvpx-vp9) plays"
        " in Chrome, Firefox and Edge, and Safari on recent Apple devices."
    )
    target_resolution: int = Field(
        ge=144, le=4320, description="The short side an encoded video is scaled down to."
    )
    crf: int = Field(ge=0, le=51)
    preset: Preset


class RenditionConfig(Dto):
    format: Literal["jpeg", "webp"]
    size: int
    quality: int = Field(ge=1, le=100)


class ThumbnailConfig(RenditionConfig):
    size: int = Field(ge=16, le=2048, description="The short side, in pixels (fills a cell).")


class PreviewConfig(RenditionConfig):
    size: int = Field(ge=64, le=8192, description="The long side, in pixels.")


class ImageConfig(Dto):
    thumbnail: ThumbnailConfig
    preview: PreviewConfig


class ClipConfig(Dto):
    enabled: bool
    model_name: Literal["offline", "clip"] = Field(
        description="The search model: the offline pack, or the CLIP model of"
        " SKYROLL_CLIP_MODEL_URI."
    )


class FacialRecognitionConfig(Dto):
    enabled: bool
    min_score: float = Field(gt=0, le=1)
    max_distance: float = Field(gt=0, le=2)
    min_faces: int = Field(ge=1)


class DuplicateDetectionConfig(Dto):
    enabled: bool
    max_distance_bits: int = Field(
        ge=0, le=32, description="Differing bits (of 64) between two perceptual hashes."
    )


class MachineLearningConfig(Dto):
    enabled: bool = Field(description="Off: no stage runs a model, whatever the features say.")
    clip: ClipConfig
    facial_recognition: FacialRecognitionConfig
    duplicate_detection: DuplicateDetectionConfig


class TrashConfig(Dto):
    days: int = Field(ge=1)


class UploadConfig(Dto):
    max_file_size_in_bytes: int = Field(ge=1)


class UserConfig(Dto):
    default_quota_size_in_bytes: int | None = Field(
        ge=0, description="A new user's quota when none is given; null: unlimited."
    )


class InvitationConfig(Dto):
    expires_in_days: int | None = Field(ge=1, le=3650, description="null: never expires.")
    max_uses: int | None = Field(ge=1, le=100_000, description="null: unlimited.")


class SystemConfig(Dto):
    ffmpeg: FfmpegConfig
    image: ImageConfig
    machine_learning: MachineLearningConfig
    trash: TrashConfig
    upload: UploadConfig
    user: UserConfig
    invitation: InvitationConfig


class RequeueOffer(ResponseDto):
    stage: str
    reason: str
    mode: Literal["missing", "all"] = Field(
        default="all",
        description="missing: a feature was turned on (the assets it skipped while off);"
        " all: a setting changed what the stage makes.",
    )


class SystemConfigUpdateResponse(SystemConfig):
    # What the change leaves out of date: POST /api/admin/stages/{stage}/requeue {"mode": …}
    # with the offer's mode redoes it (`skyroll admin config set` offers to).
    requeue: list[RequeueOffer]


class ConfigChange(ResponseDto):
    path: str = Field(description="Dotted camelCase path, e.g. image.thumbnail.size.")
    old: int | float | str | bool | None
    new: int | float | str | bool | None


class SystemConfigHistoryEntry(ResponseDto):
    id: int
    changed_at: datetime
    changed_by: UUID | None
    changed_by_email: str | None
    changes: list[ConfigChange]


class HistoryQuery(Dto):
    size: int = Field(default=50, ge=1, le=500)
