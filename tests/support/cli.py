"""The `skyroll` command under test: how it is called, and reading what it printed.

Against the real API, ``skyroll_cli`` runs the command with its httpx requests handed to
chalice's in-process test client (``api_transport``): the real routes, no server.
"""

from __future__ import annotations

import io
import json
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

import httpx
import pytest
from PIL import Image
from typer.testing import CliRunner, Result

from chalicelib.cli.api import RetryPolicy, Transports
from chalicelib.cli.main import Runtime, app
from tests.support.fake_server import FakeSkyroll

if TYPE_CHECKING:  # the unit tests' fake server needs none of the harness's imports
    from tests.support.harness import Harness

Cli = Callable[..., Result]
# Any host: the transport hands the path to the test client.
SERVER = "http://skyroll.test"


def api_transport(h: Harness) -> httpx.MockTransport:
    """httpx requests answered by the harness's chalice test client (the real app)."""

    def forward(request: httpx.Request) -> httpx.Response:
        r = h.client.http.request(
            request.method,
            request.url.raw_path.decode(),
            headers=dict(request.headers),
            body=request.content,
        )
        return httpx.Response(r.status_code, headers=r.headers, content=r.body)

    return httpx.MockTransport(forward)


def skyroll_cli(h: Harness, config_dir: Path, monkeypatch: pytest.MonkeyPatch) -> Cli:
    """``skyroll`` against the harness's API, its login kept in ``config_dir``; retries do
    not sleep. Call it as ``run(*args, input=None)``."""
    monkeypatch.setenv("SKYROLL_CONFIG_DIR", str(config_dir))
    runtime = Runtime(
        Transports(api=api_transport(h), retry=RetryPolicy(sleep=lambda _: None)),
        progress=False,
    )

    def run(*args: str, input: str | None = None) -> Result:
        return CliRunner().invoke(app, list(args), obj=runtime, input=input)

    return run


def login(skyroll: Cli, email: str, password: str) -> None:
    result = skyroll("login", "--server", SERVER, "--email", email, "--password", password)
    assert result.exit_code == 0, result.output


def out_json(result: Result) -> dict:
    return json.loads(result.stdout)


def jpeg(path: Path, seed: int, size: tuple[int, int] = (64, 48)) -> bytes:
    img = Image.new("RGB", size, (seed * 40 % 256, seed * 90 % 256, seed * 13 % 256))
    buf = io.BytesIO()
    img.save(buf, "JPEG", quality=90)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(buf.getvalue())
    return buf.getvalue()


def results_by_name(result) -> dict[str, dict]:  # noqa: ANN001 - typer Result
    return {Path(r["path"]).name: r for r in out_json(result)["results"]}


def stored(fake: FakeSkyroll, asset_id: str) -> bytes:
    asset = fake.assets[asset_id]
    return fake.objects[fake.key_for(asset_id, asset["originalFileName"])]
