"""The web client on its own port, as CloudFront serves it in AWS: the built single-page app
(``web/build``) with ``/api/*`` forwarded to the API, so the browser sees one origin and
sends its Bearer token to the same place it loaded the page from.

Paths that are not files answer ``index.html`` (the app routes them); hashed assets under
``_app/immutable/`` are cached for a year, ``index.html`` never. The proxy passes redirects
through untouched (the thumbnail routes answer 302s to presigned S3 URLs).
"""

from __future__ import annotations

import http.client
import mimetypes
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import unquote, urlsplit

from chalicelib.settings import REPO_ROOT

BUILD_DIR = REPO_ROOT / "web" / "build"
IMMUTABLE = "public, max-age=31536000, immutable"
NO_CACHE = "no-cache"
# Not forwarded either way (RFC 9110 §7.6.1), plus Host, which must name the API.
HOP_BY_HOP = frozenset(
    {
        "connection",
        "keep-alive",
        "proxy-authenticate",
        "proxy-authorization",
        "te",
        "trailer",
        "transfer-encoding",
        "upgrade",
        "host",
    }
)
CHUNK = 64 * 1024


def _handler(root: Path, api_port: int) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: object) -> None:  # noqa: A002
            pass  # the API logs requests; static files are not worth a line each

        def do_GET(self) -> None:  # noqa: N802 - http.server's naming
            self._dispatch()

        def do_HEAD(self) -> None:  # noqa: N802
            self._dispatch()

        def do_POST(self) -> None:  # noqa: N802
            self._dispatch()

        def do_PUT(self) -> None:  # noqa: N802
            self._dispatch()

        def do_PATCH(self) -> None:  # noqa: N802
            self._dispatch()

        def do_DELETE(self) -> None:  # noqa: N802
            self._dispatch()

        def _dispatch(self) -> None:
            path = urlsplit(self.path).path
            if path == "/api" or path.startswith("/api/"):
                self._proxy()
            elif self.command in ("GET", "HEAD"):
                self._static(path)
            else:
                self.send_error(405)

        # --- /api/* → the API ------------------------------------------------------
        def _proxy(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else None
            headers = {k: v for k, v in self.headers.items() if k.lower() not in HOP_BY_HOP}
            conn = http.client.HTTPConnection("127.0.0.1", api_port, timeout=120)
            try:
                conn.request(self.command, self.path, body=body, headers=headers)
                upstream = conn.getresponse()
                payload = upstream.read()
            except OSError as exc:
                self.send_error(502, f"The API is not answering: {exc}")
                return
            finally:
                conn.close()
            self.send_response(upstream.status, upstream.reason)
            for name, value in upstream.getheaders():
                if name.lower() not in HOP_BY_HOP and name.lower() != "content-length":
                    self.send_header(name, value)
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(payload)

        # --- the app ---------------------------------------------------------------
        def _static(self, path: str) -> None:
            file = (root / unquote(path).lstrip("/")).resolve()
            inside = file == root or root in file.parents
            if not inside or not file.is_file():
                # A deep link (/photos/…, /share/…): the app's shell routes it.
                file = root / "index.html"
            immutable = "/_app/immutable/" in path
            self.send_response(200)
            ctype = mimetypes.guess_type(file.name)[0] or "application/octet-stream"
            self.send_header("Content-Type", ctype)
            self.send_header("Content-Length", str(file.stat().st_size))
            self.send_header("Cache-Control", IMMUTABLE if immutable else NO_CACHE)
            self.end_headers()
            if self.command == "HEAD":
                return
            with file.open("rb") as f:
                while chunk := f.read(CHUNK):
                    self.wfile.write(chunk)

    return Handler


class WebServer:
    """Serves ``root`` on 127.0.0.1:``port`` in a background thread."""

    def __init__(self, port: int, api_port: int, root: Path = BUILD_DIR) -> None:
        self.root = root.resolve()
        self.httpd = ThreadingHTTPServer(("127.0.0.1", port), _handler(self.root, api_port))
        self.httpd.daemon_threads = True
        self.thread = threading.Thread(target=self.httpd.serve_forever, name="web", daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.httpd.server_address[1]}"

    def start(self) -> WebServer:
        self.thread.start()
        return self

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
