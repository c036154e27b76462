"""What the app does not route still answers the one documented error shape
({statusCode, error, message}), over HTTP through the local server ``make dev`` runs: an
unknown path (a 404, as the deployed gateway responses make it: tests/infra), a method the
path does not have (405 with Allow), a body that is not JSON (415)."""

from __future__ import annotations

import httpx
import pytest

from tests.support.live import Live


def _shape(r: httpx.Response, status: int, error: str) -> dict:
    assert r.status_code == status, r.text
    assert r.headers["content-type"].startswith("application/json")
    body = r.json()
    assert set(body) == {"statusCode", "error", "message"}, body
    assert body["statusCode"] == status and body["error"] == error
    return body


@pytest.mark.parametrize(
    "method, path",
    [
        ("GET", "/api/no-such-route"),
        ("POST", "/api/assets/not-a-thing/at-all"),
        ("GET", "/"),
        ("DELETE", "/favicon.ico"),
    ],
)
def test_an_unknown_path_is_a_json_404(live: Live, method: str, path: str) -> None:
    body = _shape(httpx.request(method, live.url + path), 404, "Not Found")
    assert body["message"] == "Not found"


def test_an_unknown_path_with_credentials_does_not_echo_them(live: Live) -> None:
    secret = "Bearer sk-not-for-the-log"
    r = httpx.get(live.url + "/api/nope", headers={"Authorization": secret})
    _shape(r, 404, "Not Found")
    assert "sk-not-for-the-log" not in r.text


def test_a_method_the_path_does_not_have_is_a_json_405(live: Live) -> None:
    r = httpx.request("PATCH", live.url + "/api/assets")
    body = _shape(r, 405, "Method Not Allowed")
    assert "PATCH" in body["message"]
    assert set(r.headers["allow"].replace(" ", "").split(",")) == {"GET", "PUT", "DELETE"}


def test_a_body_that_is_not_json_is_a_json_415(live: Live) -> None:
    r = httpx.post(
        live.url + "/api/auth/login",
        content=b"email=a@b.c&password=x",
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    _shape(r, 415, "Unsupported Media Type")


def test_the_next_request_is_served(live: Live) -> None:
    httpx.get(live.url + "/api/nope")
    assert httpx.get(live.url + "/api/server/ping").json() == {"res": "pong"}
