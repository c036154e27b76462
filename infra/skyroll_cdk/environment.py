"""Lambda environment built from the settings model: a renamed field fails the synth."""

from __future__ import annotations

from chalicelib.settings import Settings

_PREFIX = Settings.model_config.get("env_prefix", "")


def settings_env(**values: str) -> dict[str, str]:
    """``settings_env(bucket=...)`` -> ``{"SKYROLL_BUCKET": ...}``; unknown fields raise."""
    unknown = set(values) - set(Settings.model_fields)
    if unknown:
        raise KeyError(f"not fields of chalicelib.settings.Settings: {sorted(unknown)}")
    return {f"{_PREFIX}{name}".upper(): value for name, value in values.items()}
