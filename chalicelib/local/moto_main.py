"""``python -m chalicelib.local.moto_main -H HOST -p PORT``: moto's server, with two fixes.

The clock. moto (5.2.5) answers "is this message visible?" by building two ``datetime``
objects per message, and every ``SendMessage`` — each S3 event fanned out through SNS is
one — asks it of every message in the queue (``Queue.attributes`` counts visible, delayed
and in-flight messages). While the workers lag behind a bulk upload that is O(backlog)
datetime work per upload, under moto's one GIL, and it showed as the largest cost of a
presigned PUT (bench/bench_upload.py). The clock below returns the same number,
milliseconds since the epoch, from ``time.time()``. The work per message stays, at a
fraction of the price.

Keep-alive. werkzeug's development server answers every request with ``Connection: close``
(and then waits up to 10 ms for stray request bytes to discard), so every boto3 request
opened a TCP connection and a server thread: S3, SQS and SNS in AWS keep connections
alive, and the SDK reuses them. ``KeepAliveHandler`` serves moto's WSGI app over
HTTP/1.1 with persistent connections: it reads each request's body whole before calling
the app (so nothing of it can be left on the socket in front of the next request line) and
sends each response with its exact ``Content-Length``. moto's own request handler stays
underneath (it keeps the spelling of underscored S3 metadata headers).

The dispatch. moto finds the service of every request by host name (from the request's
signature when the host is 127.0.0.1): each lookup lists moto's package directory on disk
and tries the URL patterns of every backend in turn, under one lock for all requests. A
profile of the pipeline's requests put a third of moto's CPU there. ``CachedDispatcher``
remembers each host's answer (a pure function of the host name: the patterns are fixed
when moto is imported).

Only the stand-in changes: nothing here runs in AWS or LocalStack.
"""

from __future__ import annotations

import argparse
import datetime
import io
import os
import signal
import sys
import time
from collections.abc import Iterable
from types import FrameType
from typing import Any

from moto.moto_server.werkzeug_app import DomainDispatcherApplication, MotoRequestHandler

# Idle keep-alive connections hold a server thread: end them after this long. A long poll
# (SQS WaitTimeSeconds ≤ 20) waits in the app, not on the socket, so it is not cut short.
IDLE_SECONDS = 120
_NO_BODY_STATUSES = frozenset({204, 304})


def fast_unix_time_millis(dt: datetime.datetime | None = None) -> float:
    """moto's ``unix_time_millis``: ``dt`` is naive UTC; None means now."""
    if dt is None:
        return time.time() * 1000.0
    epoch = datetime.datetime(1970, 1, 1)
    return (dt - epoch) / datetime.timedelta(milliseconds=1)


def patch_sqs_clock() -> None:
    from moto.sqs import models

    models.unix_time_millis = fast_unix_time_millis


class CachedDispatcher(DomainDispatcherApplication):
    """moto's dispatcher, with each host's backend looked up once (the lookup runs under
    the dispatcher's lock, so the cache needs none of its own)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._backend_of: dict[str | None, Any] = {}

    def get_backend_for_host(self, host: str | None) -> Any:
        try:
            return self._backend_of[host]
        except KeyError:
            backend = self._backend_of[host] = super().get_backend_for_host(host)
            return backend


class KeepAliveHandler(MotoRequestHandler):
    """One request at a time per connection, the connection kept between them."""

    protocol_version = "HTTP/1.1"
    timeout = IDLE_SECONDS
    # Headers and body leave in two writes: with Nagle's algorithm on, the second waits for
    # the client's delayed ACK (40 ms) on a connection that stays open.
    disable_nagle_algorithm = True

    def run_wsgi(self) -> None:
        if self.headers.get("Expect", "").lower().strip(" \t") == "100-continue":
            self.wfile.write(b"HTTP/1.1 100 Continue\r\n\r\n")
            self.wfile.flush()
        environ = self.environ = self.make_environ()
        try:
            environ["wsgi.input"] = io.BytesIO(self._read_body(environ))
        except (OSError, ValueError):
            self.close_connection = True
            self.send_error(400, "unreadable request body")
            return
        started: dict[str, Any] = {}

        def start_response(
            status: str, headers: list[tuple[str, str]], exc_info: Any = None
        ) -> Any:
            started.update(status=status, headers=headers)
            return lambda data: started.setdefault("written", []).append(data)

        try:
            body = self._collect(self.server.app(environ, start_response))
        except Exception:
            self.close_connection = True
            self.log_error("moto's app raised:\n%s", _traceback())
            self.send_error(500)
            return
        body = b"".join(started.get("written", [])) + body
        self._respond(started["status"], started["headers"], body)

    def _read_body(self, environ: dict[str, Any]) -> bytes:
        if environ.get("wsgi.input_terminated"):
            # Chunked: werkzeug's reader stops at the last chunk but not past any trailer
            # fields, so this connection ends after the response.
            self.close_connection = True
            return bytes(environ["wsgi.input"].read())
        length = int(environ.get("CONTENT_LENGTH") or 0)
        if length < 0:
            raise ValueError("negative Content-Length")
        data = self.rfile.read(length) if length else b""
        if len(data) != length:
            raise OSError("the client closed the connection inside the body")
        return data

    @staticmethod
    def _collect(result: Iterable[bytes]) -> bytes:
        try:
            return b"".join(result)
        finally:
            close = getattr(result, "close", None)
            if close is not None:
                close()

    def _respond(self, status: str, headers: list[tuple[str, str]], body: bytes) -> None:
        code_text, _, reason = status.partition(" ")
        code = int(code_text)
        head = self.command == "HEAD"
        bodiless = head or code in _NO_BODY_STATUSES or 100 <= code < 200
        self.send_response(code, reason)
        for key, value in headers:
            lower = key.lower()
            if lower in ("connection", "transfer-encoding", "keep-alive"):
                continue  # the connection's framing is ours to decide
            if lower == "content-length" and not head:
                continue  # replaced by the length of what is really sent
            self.send_header(key, value)
        if not bodiless:
            self.send_header("Content-Length", str(len(body)))
        if self.close_connection:
            self.send_header("Connection", "close")
        self.end_headers()
        if not bodiless:
            self.wfile.write(body)
        self.wfile.flush()


def _traceback() -> str:
    import traceback

    return traceback.format_exc()


def _exit(signum: int, frame: FrameType | None) -> None:
    sys.exit(0)


def main(argv: list[str] | None = None) -> None:
    """moto's ``moto_server`` command (host, port), served by ``KeepAliveHandler``."""
    from moto.moto_server.werkzeug_app import create_backend_app
    from werkzeug.serving import run_simple

    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("-H", "--host", default="127.0.0.1")
    parser.add_argument("-p", "--port", type=int, default=int(os.environ.get("MOTO_PORT", 5000)))
    args = parser.parse_args(argv)
    os.environ.setdefault("MOTO_PORT", str(args.port))  # moto builds its own URLs from it
    patch_sqs_clock()
    signal.signal(signal.SIGINT, _exit)
    signal.signal(signal.SIGTERM, _exit)
    app = CachedDispatcher(create_backend_app)
    run_simple(args.host, args.port, app, threaded=True, request_handler=KeepAliveHandler)


if __name__ == "__main__":
    main()
