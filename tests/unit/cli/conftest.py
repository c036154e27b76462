from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

from chalicelib.cli.api import RetryPolicy, Transports
from chalicelib.cli.main import Runtime, app
from tests.support.cli import Cli
from tests.support.fake_server import API, FakeSkyroll


@pytest.fixture
def config_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = tmp_path / "config"
    monkeypatch.setenv("SKYROLL_CONFIG_DIR", str(path))
    return path


@pytest.fixture
def fake() -> FakeSkyroll:
    return FakeSkyroll()


@pytest.fixture
def sleeps() -> list[float]:
    return []


@pytest.fixture
def cli(fake: FakeSkyroll, sleeps: list[float], config_dir: Path) -> Cli:
    def run(*args: str | Path) -> Result:
        runtime = Runtime(
            Transports(
                api=fake.transport, storage=fake.transport, retry=RetryPolicy(sleep=sleeps.append)
            ),
            progress=False,
        )
        # No COLUMNS: rich's 80 columns without a terminal, which lines must not fold at.
        return CliRunner().invoke(app, [str(a) for a in args], obj=runtime)

    return run


@pytest.fixture
def logged_in(cli: Cli, fake: FakeSkyroll) -> Cli:
    result = cli("login", "--server", API, "--email", fake.email, "--password", fake.password)
    assert result.exit_code == 0, result.output
    return cli
