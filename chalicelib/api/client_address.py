"""Which address a request comes from, for per-client throttling (services/throttle.py).

A direct caller of API Gateway is its TCP peer, ``identity.sourceIp``; no header a caller
writes (``X-Forwarded-For``, ...) is believed, or one client could pose as many. Behind the
CloudFront distribution (infra/skyroll_cdk/web.py) the peer is an edge server shared by
every viewer near it, so the distribution tells the API who the viewer is:

- its viewer-request function writes ``event.viewer.ip`` into ``VIEWER_ADDRESS_HEADER``,
  replacing whatever the viewer sent under that name;
- its API origin adds ``ORIGIN_VERIFY_HEADER`` carrying a secret that only the
  distribution and the API function know (``SKYROLL_ORIGIN_VERIFY_SECRET``); CloudFront
  overwrites a viewer's header of that name.

The viewer address is believed only on a request that carries the secret: a caller going
to API Gateway directly can send both headers, but not the secret, and is then counted by
its own connection. Nothing here imports Chalice: infra reads the header names.
"""

from __future__ import annotations

import hmac
import ipaddress
from collections.abc import Mapping
from typing import Any

ORIGIN_VERIFY_HEADER = "x-origin-verify"
VIEWER_ADDRESS_HEADER = "x-viewer-address"


def client_address(
    context: Mapping[str, Any] | None,
    headers: Mapping[str, str] | None,
    origin_secret: str | None,
) -> str | None:
    """The viewer's address on a request CloudFront vouches for, else the connection's."""
    identity = (context or {}).get("identity") or {}
    source = identity.get("sourceIp")
    if origin_secret:
        lowered = {k.lower(): v for k, v in (headers or {}).items()}
        sent = lowered.get(ORIGIN_VERIFY_HEADER, "")
        if hmac.compare_digest(sent.encode(), origin_secret.encode()):
            viewer = _ip(lowered.get(VIEWER_ADDRESS_HEADER, ""))
            if viewer is not None:
                return viewer
    return str(source) if source else None


def _ip(value: str) -> str | None:
    try:
        return str(ipaddress.ip_address(value.strip()))
    except ValueError:
        return None
