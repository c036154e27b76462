"""The API over HTTP on this machine: chalice's local server, with what API Gateway answers
itself (a path no route declares) in the API's one error shape, as the deployed gateway
responses do (infra/skyroll_cdk/api.py). ``make dev`` runs it:
``python -m chalicelib.local.api_server --port 8000``.
"""

from __future__ import annotations

import argparse
import json
from typing import Any

from chalice.app import Chalice
from chalice.config import Config
from chalice.local import (
    ChaliceRequestHandler,
    CustomLocalChalice,
    ForbiddenError,
    LocalChalice,
    LocalDevServer,
    LocalGatewayException,
)

NOT_FOUND = {"statusCode": 404, "error": "Not Found", "message": "Not found"}


class JsonErrorHandler(ChaliceRequestHandler):
    """Chalice's handler, but an unknown path is a JSON 404, not the gateway's own 403
    ("Missing Authentication Token", or with an Authorization header a message that echoes
    that header back)."""

    def _send_error_response(self, error: LocalGatewayException) -> None:
        if isinstance(error, ForbiddenError) and error.headers.get("x-amzn-ErrorType") == (
            "UnauthorizedException"
        ):
            body = json.dumps(NOT_FOUND).encode()
            headers: Any = {"Content-Type": "application/json"}
            self._send_http_response(404, headers, body)
            return
        super()._send_error_response(error)


def server(app: Chalice, host: str, port: int, *, threaded_requests: bool = True) -> Any:
    """A LocalDevServer for ``app``. With ``threaded_requests`` (a dedicated process) the
    app's current request is made thread-local, as ``chalice local`` does; tests that share
    the app with chalice's test client send one request at a time and keep the app as is."""
    if threaded_requests and not isinstance(app, LocalChalice):
        CustomLocalChalice.__bases__ = (LocalChalice, app.__class__)
        app.__class__ = CustomLocalChalice
    return LocalDevServer(app, Config.create(), host, port, handler_cls=JsonErrorHandler)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    args = parser.parse_args()
    # The app as `chalice local` loads it: by chalice's loader, from the project directory.
    from chalice.cli.factory import CLIFactory

    from chalicelib.settings import REPO_ROOT

    config = CLIFactory(str(REPO_ROOT)).create_config_obj(chalice_stage_name="local")
    server(config.chalice_app, args.host, args.port).serve_forever()


if __name__ == "__main__":
    main()
