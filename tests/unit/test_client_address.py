"""Which address per-client throttling counts a request under: the connection's, or behind
CloudFront the viewer's, and only when the request carries CloudFront's secret."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

from pydantic import SecretStr

from chalicelib.api.client_address import client_address
from chalicelib.api.http import RequestContext

SECRET = "s3cret-only-cloudfront-knows"
EDGE = {"identity": {"sourceIp": "130.176.1.1"}}  # a CloudFront edge server


def test_a_direct_caller_is_its_connection_whatever_it_writes() -> None:
    spoofed = {"x-viewer-address": "203.0.113.66", "X-Forwarded-For": "198.51.100.1"}
    assert client_address(EDGE, spoofed, SECRET) == "130.176.1.1"
    # A wrong or empty secret is no secret.
    for wrong in ("guess", "", SECRET[:-1], SECRET + "x"):
        headers = {**spoofed, "x-origin-verify": wrong}
        assert client_address(EDGE, headers, SECRET) == "130.176.1.1", wrong


def test_cloudfront_with_the_secret_names_the_viewer() -> None:
    headers = {"X-Origin-Verify": SECRET, "X-Viewer-Address": "203.0.113.66"}
    assert client_address(EDGE, headers, SECRET) == "203.0.113.66"
    v6 = {"x-origin-verify": SECRET, "x-viewer-address": "2001:0db8:0000::0007"}
    assert client_address(EDGE, v6, SECRET) == "2001:db8::7"  # one spelling per address


def test_no_secret_configured_believes_no_header() -> None:
    headers = {"x-origin-verify": "", "x-viewer-address": "203.0.113.66"}
    assert client_address(EDGE, headers, None) == "130.176.1.1"
    assert client_address(EDGE, {**headers, "x-origin-verify": SECRET}, "") == "130.176.1.1"


def test_a_viewer_address_that_is_no_address_falls_back() -> None:
    for bad in ("", "not-an-ip", "203.0.113.66:443", "203.0.113.66, 10.0.0.1"):
        headers = {"x-origin-verify": SECRET, "x-viewer-address": bad}
        assert client_address(EDGE, headers, SECRET) == "130.176.1.1", bad


def test_no_connection_address_is_none() -> None:
    assert client_address({}, {}, SECRET) is None
    assert client_address(None, None, None) is None


def test_routes_count_the_address_the_settings_allow() -> None:
    """``RequestContext.client`` (what the login and link-password throttles get) applies
    the deployment's secret."""
    headers = {"x-origin-verify": SECRET, "x-viewer-address": "203.0.113.66"}
    request: Any = SimpleNamespace(context=EDGE, headers=headers)

    def client(secret: str | None) -> str | None:
        settings = SimpleNamespace(origin_verify_secret=SecretStr(secret) if secret else None)
        container: Any = SimpleNamespace(settings=settings)
        return RequestContext(container, None, request).client

    assert client(SECRET) == "203.0.113.66"
    assert client("another deployment's") == "130.176.1.1"
    assert client(None) == "130.176.1.1"
