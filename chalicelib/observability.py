"""Powertools logger, metrics and tracer, built once and imported downward.

The tracer is built on first use, not at import: Powertools' Tracer imports the X-Ray SDK
(``aws_xray_sdk``, ~450 ms of a cold start), which the Lambda layers do not ship. Nothing
imports it unless tracing is switched on (``POWERTOOLS_TRACE_DISABLED`` unset and the code
asks for ``get_tracer()``), so every function starts without it.
"""

from __future__ import annotations

from functools import cache
from typing import TYPE_CHECKING

from aws_lambda_powertools.logging import Logger
from aws_lambda_powertools.metrics import Metrics

if TYPE_CHECKING:
    from aws_lambda_powertools.tracing import Tracer

SERVICE = "skyroll"

logger = Logger(service=SERVICE)
metrics = Metrics(namespace="Skyroll", service=SERVICE)


@cache
def get_tracer() -> Tracer:
    """The X-Ray tracer, built (and the X-Ray SDK imported) by its first caller only."""
    from aws_lambda_powertools.tracing import Tracer

    return Tracer(service=SERVICE)
