"""``skyroll admin config get|set|history`` against the real API (real PostgreSQL, moto)."""

from __future__ import annotations

import json

from tests.support.bulk_jobs import run_jobs
from tests.support.cli import login
from tests.support.harness import Harness
from tests.support.samples import jpeg, quadrants


def test_set_changes_a_setting_and_requeues_what_it_leaves_out_of_date(
    harness: Harness,
    skyroll,
) -> None:
    token = harness.user("cfg@example.com")
    harness.upload(token, "a.jpg", jpeg(quadrants(100, 80)))
    harness.drain(("ingest", "thumbnail"))
    login(skyroll, "admin@example.com", "admin-password-1")

    result = skyroll("admin", "config", "get", "image.thumbnail")
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout) == {"format": "webp", "size": 250, "quality": 80}

    result = skyroll(
        "admin", "config", "set", "image.thumbnail.size=200", "trash.days=14", input="y\n"
    )
    assert result.exit_code == 0, result.output
    assert "Saved 2 setting(s)." in result.stdout
    assert "thumbnail and preview settings changed: re-run thumbnail for every asset?" in (
        result.stdout
    )
    assert "Started re-queuing thumbnail for every asset: job " in result.stdout
    assert run_jobs(harness) == 1  # the bulk job's one page sends the asset
    assert harness.runner.run_once("thumbnail", wait_seconds=0).size == 1
    got = json.loads(skyroll("admin", "config", "get", "trash").stdout)
    assert got == {"days": 14}
    defaults = json.loads(skyroll("admin", "config", "get", "trash", "--defaults").stdout)
    assert defaults == {"days": 30}

    result = skyroll("admin", "config", "set", "ffmpeg.crf=30", "--no-requeue")
    assert result.exit_code == 0 and "re-queuing" not in result.stdout
    assert run_jobs(harness) == 0

    history = skyroll("admin", "config", "history")
    assert history.exit_code == 0, history.output
    lines = history.stdout.splitlines()
    assert "admin@example.com" in lines[0] and lines[1].strip() == "ffmpeg.crf: 23 -> 30"
    assert "    image.thumbnail.size: 250 -> 200" in lines
    assert "    trash.days: 30 -> 14" in lines


def test_bad_assignments_and_values_are_clear_errors(harness: Harness, skyroll) -> None:
    harness.user("plain@example.com")
    login(skyroll, "admin@example.com", "admin-password-1")
    result = skyroll("admin", "config", "set", "image.thumbnail.sise=3")
    assert result.exit_code == 2 and "no setting 'image.thumbnail.sise'" in result.output
    result = skyroll("admin", "config", "set", "image=3")
    assert result.exit_code == 2 and "is a group" in result.output
    result = skyroll("admin", "config", "set", "ffmpeg.crf=99")
    assert result.exit_code == 1 and "ffmpeg.crf" in result.output

    login(skyroll, "plain@example.com", "password-123")
    result = skyroll("admin", "config", "get")
    assert result.exit_code == 1 and "Admin access required" in result.output
