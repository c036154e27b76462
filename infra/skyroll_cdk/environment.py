"""Lambda environment built from the settings model: a renamed field fails the synth."""

from __future__ import annotations

from typing import TYPE_CHECKING

from chalicelib.settings import Settings

if TYPE_CHECKING:
    from .config import StageConfig

_PREFIX = Settings.model_config.get("env_prefix", "")


def settings_env(**values: str) -> dict[str, str]:
    """``settings_env(bucket=...)`` -> ``{"SKYROLL_BUCKET": ...}``; unknown fields raise."""
    unknown = set(values) - set(Settings.model_fields)
    if unknown:
        raise KeyError(f"not fields of chalicelib.settings.Settings: {sorted(unknown)}")
    return {f"{_PREFIX}{name}".upper(): value for name, value in values.items()}


# Where the ML image puts the CLIP folder it fetched (functions/smart_search/Dockerfile).
CLIP_ROOT = "/opt/models/clip"


def clip_settings(config: StageConfig) -> dict[str, str]:
    """The settings naming the encoder every function agrees on: the ML stages load it, the
    text encoder embeds queries with it, and the API and jobs need its model id (the folder
    name) to compare and re-queue vectors of that model only. None for the offline pack."""
    if not config.clip_model:
        return {}
    return {"image_encoder": "clip", "clip_model_uri": f"{CLIP_ROOT}/{config.clip_model}"}
