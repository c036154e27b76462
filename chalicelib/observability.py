"""Powertools logger, metrics and tracer, built once and imported downward."""

from __future__ import annotations

from aws_lambda_powertools import Logger, Metrics, Tracer

SERVICE = "skyroll"

logger = Logger(service=SERVICE)
metrics = Metrics(namespace="Skyroll", service=SERVICE)
# Tracing is off outside Lambda (no X-Ray daemon locally); Powertools detects that itself.
tracer = Tracer(service=SERVICE)
