#!/usr/bin/env python3
"""CDK entry point (not app.py: that name belongs to Chalice). `make synth` or
`npx cdk synth -c stage=prod` from infra/."""

from __future__ import annotations

import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
# The repo root holds chalicelib/ (the pipeline declaration) and layers/ (the layer builder).
sys.path[:0] = [str(HERE), str(HERE.parent)]

from skyroll_cdk.app_factory import build_app, default_env_from_os  # noqa: E402

if __name__ == "__main__":
    app, _ = build_app(env=default_env_from_os())
    app.synth()
