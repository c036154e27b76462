"""The `skyroll` command under test: how it is called, and reading what it printed."""

from __future__ import annotations

import io
import json
from collections.abc import Callable
from pathlib import Path

from PIL import Image
from typer.testing import Result

from tests.support.fake_server import FakeSkyroll

Cli = Callable[..., Result]


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
