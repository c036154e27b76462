from __future__ import annotations

import json
import stat
from pathlib import Path

from tests.support.cli import Cli
from tests.support.fake_server import API, FakeSkyroll


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_login_stores_the_token_in_a_file_only_the_owner_can_read(
    cli: Cli, fake: FakeSkyroll, config_dir: Path
) -> None:
    result = cli("login", "--server", API + "/", "--email", fake.email, "--password", fake.password)

    assert result.exit_code == 0, result.output
    path = config_dir / "config.json"
    assert mode(path) == 0o600
    assert mode(config_dir) == 0o700
    saved = json.loads(path.read_text())
    assert saved["server"] == API
    assert saved["access_token"] in fake.tokens
    assert saved["user_id"] == fake.user_id
    assert "password" not in path.read_text() and fake.password not in path.read_text()


def test_login_keeps_0600_when_an_old_file_was_world_readable(
    cli: Cli, fake: FakeSkyroll, config_dir: Path
) -> None:
    config_dir.mkdir()
    old = config_dir / "config.json"
    old.write_text("{}")
    old.chmod(0o644)

    cli("login", "--server", API, "--email", fake.email, "--password", fake.password)

    assert mode(old) == 0o600


def test_login_prompts_for_the_password_when_none_is_given(
    fake: FakeSkyroll, config_dir: Path
) -> None:
    from typer.testing import CliRunner

    from chalicelib.cli.api import Transports
    from chalicelib.cli.main import Runtime, app

    result = CliRunner().invoke(
        app,
        ["login", "--server", API, "--email", fake.email],
        input=fake.password + "\n",
        obj=Runtime(Transports(api=fake.transport)),
    )

    assert result.exit_code == 0, result.output
    assert json.loads((config_dir / "config.json").read_text())["access_token"] in fake.tokens


def test_wrong_password_prints_the_server_message_and_stores_nothing(
    cli: Cli, fake: FakeSkyroll, config_dir: Path
) -> None:
    result = cli("login", "--server", API, "--email", fake.email, "--password", "nope")

    assert result.exit_code == 1
    assert "Incorrect email or password" in result.stderr
    assert not (config_dir / "config.json").exists()


def test_login_with_an_api_key_checks_it_and_stores_it(
    cli: Cli, fake: FakeSkyroll, config_dir: Path
) -> None:
    result = cli("login", "--server", API, "--email", fake.email, "--api-key", "key-123")

    assert result.exit_code == 0, result.output
    saved = json.loads((config_dir / "config.json").read_text())
    assert saved["api_key"] == "key-123" and "access_token" not in saved
    assert fake.count("GET", "/api/users/me") == 1
    assert cli("whoami", "--json").stdout.count(fake.user_id) == 1

    bad = cli("login", "--server", API, "--email", fake.email, "--api-key", "wrong")
    assert bad.exit_code == 1 and "401" in bad.stderr


def test_logout_ends_the_session_and_forgets_the_token(
    logged_in: Cli, fake: FakeSkyroll, config_dir: Path
) -> None:
    assert len(fake.tokens) == 1

    result = logged_in("logout")

    assert result.exit_code == 0, result.output
    assert fake.tokens == set()
    saved = json.loads((config_dir / "config.json").read_text())
    assert saved == {"server": API, "email": fake.email}
    after = logged_in("assets", "list")
    assert after.exit_code == 1 and "Not logged in" in after.stderr


def test_commands_need_a_login(cli: Cli) -> None:
    result = cli("upload", ".")
    assert result.exit_code == 1
    assert "skyroll login" in result.stderr
