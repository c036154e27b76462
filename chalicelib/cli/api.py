"""The HTTP client for the Skyroll API and for S3's presigned URLs.

Two ``httpx.Client``s: one for the API (base URL, auth header) and one for storage, which
never carries our credential (presigned URLs are their own authorization, and a bearer
token must not leak to S3). Both take an optional transport, so tests run the whole CLI
against ``httpx.MockTransport``.

Every request retries with exponential backoff on network errors and on 5xx/429: uploads
cross flaky links, and S3 answers 503 SlowDown under load.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

import httpx

RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})
JSON = dict[str, Any]


class ApiError(Exception):
    """A non-2xx answer, carrying the server's ``{statusCode, error, message}`` body."""

    def __init__(self, status: int, message: str, error: str = "", body: Any = None):
        super().__init__(message)
        self.status = status
        self.message = message
        self.error = error
        self.body = body

    def __str__(self) -> str:
        return f"{self.status} {self.error}: {self.message}".replace(" : ", ": ")


@dataclass(frozen=True)
class RetryPolicy:
    attempts: int = 5
    base_delay: float = 0.5
    max_delay: float = 20.0
    sleep: Callable[[float], None] = time.sleep

    def delay(self, attempt: int) -> float:
        """Doubling delays, 0.5 s, 1 s, 2 s, 4 s … (capped), with ±10 % jitter so parallel
        uploads that failed together don't retry in lockstep."""
        raw = min(self.max_delay, self.base_delay * 2**attempt)
        return float(raw * (0.9 + 0.2 * random.random()))


def error_from(response: httpx.Response) -> ApiError:
    try:
        body = response.json()
    except ValueError:
        body = None
    if isinstance(body, dict) and "message" in body:
        message = body["message"]
        if isinstance(message, list):  # some servers send a list of field messages
            message = "; ".join(map(str, message))
        return ApiError(response.status_code, str(message), str(body.get("error", "")), body)
    text = response.text.strip()
    if "<Error>" in text:  # S3's XML error: keep the Code/Message, not the whole document
        text = _s3_error_text(text)
    return ApiError(response.status_code, text[:300] or response.reason_phrase, "", body)


def _s3_error_text(xml: str) -> str:
    def tag(name: str) -> str:
        start, end = xml.find(f"<{name}>"), xml.find(f"</{name}>")
        return xml[start + len(name) + 2 : end] if 0 <= start < end else ""

    return ": ".join(p for p in (tag("Code"), tag("Message")) if p) or xml[:300]


@dataclass
class Transports:
    """What tests inject: transports for the API and for storage, and the retry policy."""

    api: httpx.BaseTransport | None = None
    storage: httpx.BaseTransport | None = None
    retry: RetryPolicy = field(default_factory=RetryPolicy)


class Client:
    def __init__(
        self,
        server: str,
        *,
        token: str | None = None,
        api_key: str | None = None,
        transports: Transports | None = None,
        timeout: float = 60.0,
    ):
        t = transports or Transports()
        headers = {"User-Agent": "skyroll-cli"}
        if token:
            headers["Authorization"] = f"Bearer {token}"
        elif api_key:
            headers["x-api-key"] = api_key
        self.retry = t.retry
        self.http = httpx.Client(
            base_url=server.rstrip("/"), headers=headers, transport=t.api, timeout=timeout
        )
        # No auth headers, no redirects: a presigned URL is the whole authorization.
        self.storage = httpx.Client(
            transport=t.storage, timeout=timeout, headers={"User-Agent": "skyroll-cli"}
        )

    def close(self) -> None:
        self.http.close()
        self.storage.close()

    def __enter__(self) -> Client:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- transport with retries ------------------------------------------------------
    def send(
        self,
        client: httpx.Client,
        method: str,
        url: str,
        content: Callable[[], Iterable[bytes] | bytes] | None = None,
        **kwargs: Any,
    ) -> httpx.Response:
        """Send, retrying network errors and 5xx/429 with backoff; raise ApiError on 4xx.

        ``content`` is a factory, not a body: a streamed body is consumed by the first try,
        so each attempt asks for a fresh one (``ByteStream`` rewinds the progress bars).
        """
        for attempt in range(self.retry.attempts):
            last = attempt == self.retry.attempts - 1
            try:
                body = content() if content is not None else None
                response = client.request(method, url, content=body, **kwargs)
            except httpx.TransportError:
                if last:
                    raise
            else:
                if response.status_code not in RETRY_STATUSES or last:
                    if response.is_error:
                        raise error_from(response)
                    return response
            self.retry.sleep(self.retry.delay(attempt))
        raise AssertionError("unreachable")

    def request(
        self, method: str, path: str, json: Any = None, params: Mapping[str, Any] | None = None
    ) -> httpx.Response:
        return self.send(self.http, method, path, json=json, params=params)

    def call(
        self, method: str, path: str, json: Any = None, params: Mapping[str, Any] | None = None
    ) -> Any:
        response = self.request(method, path, json=json, params=params)
        return response.json() if response.content else None

    # -- accounts --------------------------------------------------------------------
    def login(self, email: str, password: str) -> JSON:
        result: dict[str, Any] = self.call(
            "POST", "/api/auth/login", {"email": email, "password": password}
        )
        return result

    def logout(self) -> None:
        self.call("POST", "/api/auth/logout")

    def me(self) -> JSON:
        result: dict[str, Any] = self.call("GET", "/api/users/me")
        return result

    # -- uploads ---------------------------------------------------------------------
    def bulk_check(self, items: list[JSON]) -> list[JSON]:
        result: list[dict[str, Any]] = self.call(
            "POST", "/api/assets/bulk-upload-check", {"assets": items}
        )["results"]
        return result

    def create_upload(self, body: JSON) -> JSON:
        result: dict[str, Any] = self.call("POST", "/api/assets/uploads", body)
        return result

    def bulk_uploads(self, items: list[JSON]) -> list[JSON]:
        """Tickets for many files: ``items`` are create_upload bodies plus an ``id``."""
        result: list[dict[str, Any]] = self.call(
            "POST", "/api/assets/bulk-uploads", {"uploads": items}
        )["results"]
        return result

    def sign_parts(self, upload_id: str, parts: list[JSON]) -> list[JSON]:
        path = f"/api/assets/uploads/{upload_id}/parts"
        result: list[dict[str, Any]] = self.call("POST", path, {"parts": parts})["parts"]
        return result

    def list_parts(self, upload_id: str) -> list[JSON]:
        result: list[dict[str, Any]] = self.call("GET", f"/api/assets/uploads/{upload_id}/parts")[
            "parts"
        ]
        return result

    def complete(self, upload_id: str, parts: list[JSON]) -> JSON:
        path = f"/api/assets/uploads/{upload_id}/complete"
        result: dict[str, Any] = self.call("POST", path, {"parts": parts})
        return result

    def abort(self, upload_id: str) -> None:
        self.call("DELETE", f"/api/assets/uploads/{upload_id}")

    def attach_sidecar(self, asset_id: str, body: JSON) -> JSON:
        """A presigned PUT for the asset's XMP sidecar (``body``: size, checksum)."""
        result: dict[str, Any] = self.call("PUT", f"/api/assets/{asset_id}/sidecar", body)
        return result

    def put(
        self,
        url: str,
        headers: Mapping[str, str],
        content: Callable[[], Iterable[bytes] | bytes],
    ) -> httpx.Response:
        return self.send(self.storage, "PUT", url, content=content, headers=dict(headers))

    # -- assets ----------------------------------------------------------------------
    def list_assets(self, params: Mapping[str, Any]) -> JSON:
        result: dict[str, Any] = self.call("GET", "/api/assets", params=params)
        return result

    def iter_assets(self, params: Mapping[str, Any]) -> Iterator[JSON]:
        """Every page from ``params``' page on, following nextCursor (keyset paging: the
        last page costs what the first does)."""
        result = self.list_assets(params)
        yield from result["items"]
        while cursor := result.get("nextCursor"):
            result = self.list_assets({**params, "cursor": cursor})
            yield from result["items"]

    def get_asset(self, asset_id: str) -> JSON:
        result: dict[str, Any] = self.call("GET", f"/api/assets/{asset_id}")
        return result

    def original_url(self, asset_id: str) -> str:
        """The presigned GET the API redirects to (we follow it ourselves, without auth)."""
        response = self.send(
            self.http, "GET", f"/api/assets/{asset_id}/original", follow_redirects=False
        )
        location = response.headers.get("location")
        if response.status_code not in (301, 302, 303, 307) or not location:
            raise ApiError(response.status_code, "the server did not redirect to the file")
        return str(location)

    def smart_search(self, query: str, page: int, size: int) -> JSON:
        result: dict[str, Any] = self.call(
            "POST", "/api/search/smart", {"query": query, "page": page, "size": size}
        )
        return result
