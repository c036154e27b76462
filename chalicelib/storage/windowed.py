"""Presigned GETs that stay the same for a while, so browsers can cache what they fetch.

A SigV4 presigned URL embeds its signing instant, so two calls a second apart normally give
two URLs, and a browser treats them as two images. Signing at the start of a time window
instead (and letting the URL live two windows) makes every call within one window return
the same URL for the same object and parameters, while each URL still has at least one
window of life left when it is handed out.

botocore reads the clock inside ``add_auth``; the signer below is botocore's own S3 query
signer with the instant passed in (tests compare its output with botocore's at a frozen
clock, byte for byte). Patching botocore's clock instead would skew every other request
signed meanwhile on another thread.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from botocore.auth import SIGV4_TIMESTAMP, S3SigV4QueryAuth
from botocore.awsrequest import AWSRequest


class _SignedAt(S3SigV4QueryAuth):  # type: ignore[misc]  # botocore is untyped
    def __init__(self, credentials: Any, region: str, expires: int, at: datetime) -> None:
        super().__init__(credentials, "s3", region, expires=expires)
        self._at = at

    def add_auth(self, request: Any) -> None:
        request.context["timestamp"] = self._at.strftime(SIGV4_TIMESTAMP)
        self._modify_request_before_signing(request)
        canonical = self.canonical_request(request)
        signature = self.signature(self.string_to_sign(request, canonical), request)
        self._inject_signature_to_request(request, signature)


_SIGV2_AUTH = frozenset({"AWSAccessKeyId", "Signature", "Expires"})


def _is_auth(name: str) -> bool:
    return name.lower().startswith("x-amz-") or name in _SIGV2_AUTH


def window_start(now: datetime, window_seconds: int) -> datetime:
    stamp = int(now.timestamp()) // window_seconds * window_seconds
    return datetime.fromtimestamp(stamp, UTC)


def presign_get_at(
    s3: Any,
    bucket: str,
    key: str,
    *,
    credentials: Any,
    at: datetime,
    expires_in: int,
    params: Mapping[str, str],
) -> str:
    """A presigned GET of ``key`` signed at ``at`` (not now), living ``expires_in`` seconds
    from ``at``, with ``credentials`` (botocore ``Credentials``: the ones the client ``s3``
    was made with). ``params`` are extra GetObject parameters (ResponseContentType, ...).

    ``params`` is one mapping, not ``**params``: a call that spreads a dict into keyword
    arguments makes every missing keyword-only argument (``credentials``) look supplied to
    mypy, since the dict might hold it."""
    # botocore builds the URL (endpoint, addressing style, parameter names); only its
    # authentication part is dropped and redone at the chosen instant.
    url = s3.generate_presigned_url(
        "get_object", Params={"Bucket": bucket, "Key": key, **params}, ExpiresIn=expires_in
    )
    parts = urlsplit(url)
    query = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True)]
    kept = [(k, v) for k, v in query if not _is_auth(k)]
    unsigned = urlunsplit((parts.scheme, parts.netloc, parts.path, urlencode(kept), ""))
    # One consistent key, secret and token (temporary ones are refreshed by botocore).
    frozen = credentials.get_frozen_credentials()
    request = AWSRequest(method="GET", url=unsigned)
    _SignedAt(frozen, s3.meta.region_name, expires_in, at).add_auth(request)
    return str(request.url)
