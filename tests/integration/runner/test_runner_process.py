"""``python -m chalicelib.local.runner`` (what ``make dev`` launches) runs and stops on SIGTERM."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from chalicelib.local.aws import bootstrap
from chalicelib.local.moto_server import MotoServer
from chalicelib.pipeline import STAGES
from chalicelib.settings import REPO_ROOT, Settings
from tests.support import timeouts
from tests.support.aws import Aws


def _log_lines(path: Path) -> list[dict[str, object]]:
    lines = []
    for line in path.read_text().splitlines():
        if line.startswith("{"):
            lines.append(json.loads(line))
    return lines


def test_runner_process_polls_every_declared_stage_and_exits_on_sigterm(
    aws: Aws, aws_settings: Settings, moto_server: MotoServer, tmp_path: Path
) -> None:
    bootstrap(aws_settings, aws.s3, aws.sqs, aws.sns)
    env = {
        **os.environ,
        "SKYROLL_AWS_ENDPOINT_URL": moto_server.endpoint_url,
        "SKYROLL_QUEUE_PREFIX": aws_settings.queue_prefix,
        "SKYROLL_BUCKET": aws_settings.bucket,
        "SKYROLL_UPLOADS_TOPIC": aws_settings.uploads_topic,
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "SKYROLL_LOCAL_WORKERS": "2",
    }
    log = tmp_path / "workers.log"
    with log.open("wb") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "chalicelib.local.runner"],
            cwd=REPO_ROOT,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
        try:
            deadline = time.monotonic() + timeouts.stack_start()
            while not any(
                r.get("message") == "event-source runner started" for r in _log_lines(log)
            ):
                assert proc.poll() is None, log.read_text()
                assert time.monotonic() < deadline, log.read_text()
                time.sleep(0.1)
            proc.send_signal(signal.SIGTERM)
            code = proc.wait(timeout=30)
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait()

    records = _log_lines(log)
    started = next(r for r in records if r.get("message") == "event-source runner started")
    assert started["stages"] == [stage.name for stage in STAGES]
    # Two workers each, but never more than a stage's reserved concurrency.
    assert started["workers"] == {
        stage.name: min(2, stage.reserved_concurrency or 2) for stage in STAGES
    }
    assert any(r.get("message") == "event-source runner stopped" for r in records)
    assert code == 0
