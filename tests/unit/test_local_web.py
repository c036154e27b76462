"""chalicelib/local/web.py: the built app with SPA fallback and cache headers, and /api/*
forwarded to the API untouched (method, body, Authorization, status, redirects)."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import httpx
import pytest

from chalicelib.local.web import IMMUTABLE, NO_CACHE, WebServer


class FakeApi(BaseHTTPRequestHandler):
    def log_message(self, *args: object) -> None:
        pass

    def _answer(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length).decode() if length else ""
        if self.path.startswith("/api/redirect"):
            self.send_response(302)
            self.send_header("Location", "http://s3.example/object?X-Amz-Signature=abc")
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        payload = json.dumps(
            {
                "method": self.command,
                "path": self.path,
                "body": body,
                "authorization": self.headers.get("Authorization"),
                "host": self.headers.get("Host"),
            }
        ).encode()
        self.send_response(418 if "teapot" in self.path else 200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    do_GET = do_POST = do_DELETE = _answer  # noqa: N815


@pytest.fixture
def web(tmp_path: Path) -> Iterator[str]:
    (tmp_path / "index.html").write_text("<html>shell</html>")
    (tmp_path / "_app" / "immutable").mkdir(parents=True)
    (tmp_path / "_app" / "immutable" / "app.abc123.js").write_text("console.log(1)")
    (tmp_path.parent / "secret.txt").write_text("not served")
    api = ThreadingHTTPServer(("127.0.0.1", 0), FakeApi)
    threading.Thread(target=api.serve_forever, daemon=True).start()
    server = WebServer(0, api.server_address[1], root=tmp_path).start()
    yield server.url
    server.stop()
    api.shutdown()
    api.server_close()


def test_files_deep_links_and_cache_headers(web: str) -> None:
    asset = httpx.get(f"{web}/_app/immutable/app.abc123.js")
    assert asset.text == "console.log(1)"
    assert asset.headers["cache-control"] == IMMUTABLE
    assert asset.headers["content-type"] == "text/javascript"
    for path in ("/", "/albums/123", "/share/KEY?x=1", "/../secret.txt", "/%2e%2e/secret.txt"):
        r = httpx.get(web + path)
        assert (r.status_code, r.text) == (200, "<html>shell</html>"), path
        assert r.headers["cache-control"] == NO_CACHE


def test_api_calls_are_forwarded_with_body_and_token(web: str) -> None:
    r = httpx.post(
        f"{web}/api/assets/media-urls?x=1",
        json={"assetIds": ["a"]},
        headers={"Authorization": "Bearer t0k"},
    )
    sent = r.json()
    assert sent["method"] == "POST" and sent["path"] == "/api/assets/media-urls?x=1"
    assert json.loads(sent["body"]) == {"assetIds": ["a"]}
    assert sent["authorization"] == "Bearer t0k"
    assert sent["host"].startswith("127.0.0.1:") and web.split("//")[1] != sent["host"]
    assert httpx.delete(f"{web}/api/teapot").status_code == 418


def test_redirects_pass_through_unfollowed(web: str) -> None:
    r = httpx.get(f"{web}/api/redirect", follow_redirects=False)
    assert r.status_code == 302
    assert r.headers["location"] == "http://s3.example/object?X-Amz-Signature=abc"


def test_other_methods_on_the_app_are_refused(web: str) -> None:
    assert httpx.post(f"{web}/albums").status_code == 405
