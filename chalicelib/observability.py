"""Powertools logger, metrics and tracer, built once and imported downward.

The tracer is built on first use, not at import: Powertools' Tracer imports the X-Ray SDK
(``aws_xray_sdk``, ~450 ms of a cold start), which the Lambda layers do not ship. Nothing
imports it unless tracing is switched on (``POWERTOOLS_TRACE_DISABLED`` unset and the code
asks for ``get_tracer()``), so every function starts without it.
"""

from __future__ import annotations

import logging
import re
from functools import cache
from typing import TYPE_CHECKING, Any

from aws_lambda_powertools.logging import Logger
from aws_lambda_powertools.metrics import Metrics

if TYPE_CHECKING:
    from aws_lambda_powertools.tracing import Tracer

SERVICE = "skyroll"
REDACTED = "[redacted]"

# Names whose values are secrets wherever they appear: as a log field, a header, a query
# parameter or ``name: value`` / ``name=value`` text in a message. A bare ``key`` is a secret
# only as a query parameter (``?key=…``, a shared link's key): as a field it is the S3 key
# the workers log, which is not.
SECRET_NAMES = (
    "password",
    "new_password",
    "newPassword",
    "token",
    "secret",
    "access_token",
    "accessToken",
    "authorization",
    "x-api-key",
    "x-shared-link-key",
    "x-shared-link-password",
    "x-shared-link-token",
    "x-origin-verify",
)
_SECRET_FIELDS = {n.lower() for n in SECRET_NAMES}
_IN_TEXT = re.compile(
    r"(?i)((?<![\w-])(?:" + "|".join(re.escape(n) for n in SECRET_NAMES) + r")"
    r"(?:\s*[=:]\s*|['\"]\s*:\s*['\"]?)(?:bearer\s+)?|[?&]key=)[^\s&'\",;}]+"
)


def redact(value: Any) -> Any:
    """``value`` with every secret replaced: fields named in SECRET_NAMES (in dicts, at any
    depth) and ``name=value`` / ``name: value`` pairs inside text (query strings, headers)."""
    if isinstance(value, str):
        return _IN_TEXT.sub(lambda m: f"{m.group(1)}{REDACTED}", value)
    if isinstance(value, dict):
        return {
            k: REDACTED if str(k).lower() in _SECRET_FIELDS else redact(v) for k, v in value.items()
        }
    if isinstance(value, list | tuple):
        return type(value)(redact(v) for v in value)
    return value


class RedactSecrets(logging.Filter):
    """Scrubs link keys, passwords, visitor and session tokens and API keys from every log
    record (message, arguments and ``extra=`` fields) before Powertools serialises it."""

    _STANDARD = set(vars(logging.makeLogRecord({})))

    def filter(self, record: logging.LogRecord) -> bool:
        record.msg = redact(record.msg) if isinstance(record.msg, str | dict) else record.msg
        if record.args:
            record.args = redact(record.args)
        for name in set(vars(record)) - self._STANDARD:
            if name.lower() in _SECRET_FIELDS:
                setattr(record, name, REDACTED)
            else:
                setattr(record, name, redact(getattr(record, name)))
        return True


logger = Logger(service=SERVICE)
logger.addFilter(RedactSecrets())
metrics = Metrics(namespace="Skyroll", service=SERVICE)


@cache
def get_tracer() -> Tracer:
    """The X-Ray tracer, built (and the X-Ray SDK imported) by its first caller only."""
    from aws_lambda_powertools.tracing import Tracer

    return Tracer(service=SERVICE)
