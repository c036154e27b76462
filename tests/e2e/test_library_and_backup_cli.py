"""`skyroll library` and `skyroll admin backup` against the real local stack over HTTP: the
second moto bucket `make dev` creates is registered as an external library, approved,
scanned and processed in place; a database export is taken, listed and downloaded."""

from __future__ import annotations

import base64
import hashlib
import json
import time
from pathlib import Path

import boto3
import httpx
import pytest
from typer.testing import CliRunner, Result

from chalicelib.cli.api import Transports
from chalicelib.cli.main import Runtime, app
from tests.support import timeouts
from tests.support.samples import photo
from tests.support.stack import ADMIN_EMAIL, ADMIN_PASSWORD, running_stack

pytestmark = [pytest.mark.e2e, pytest.mark.slow]


def run(*args: str | Path) -> Result:
    transport = httpx.HTTPTransport()
    runtime = Runtime(Transports(api=transport, storage=transport), progress=False)
    return CliRunner(env={"COLUMNS": "250"}).invoke(app, [str(a) for a in args], obj=runtime)


def ok(*args: str | Path) -> Result:
    result = run(*args)
    assert result.exit_code == 0, (args, result.output)
    return result


def test_library_scan_and_backup_through_the_cli(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("SKYROLL_CONFIG_DIR", str(tmp_path / "config"))
    with running_stack() as stack:
        ok("login", "--server", stack.url, "--email", ADMIN_EMAIL, "--password", ADMIN_PASSWORD)
        # Given photos in the stack's second bucket (a user's own)
        s3 = boto3.client(
            "s3",
            region_name="us-east-1",
            endpoint_url=f"http://127.0.0.1:{stack.ports['moto']}",
            aws_access_key_id="testing",
            aws_secret_access_key="testing",
        )
        files = {f"pics/{n}.jpg": photo(seed=60 + n) for n in range(3)}
        for key, data in files.items():
            s3.put_object(Bucket="skyroll-library", Key=key, Body=data)

        # When it is registered, approved and scanned
        lib = json.loads(
            ok(
                "library",
                "add",
                "Pics",
                "--bucket",
                "skyroll-library",
                "--prefix",
                "pics/",
                "--json",
            ).stdout
        )
        assert lib["isApproved"] is False
        refused = run("library", "scan", lib["id"])
        assert refused.exit_code == 1 and "approval" in refused.output
        assert "approved" in ok("library", "approve", lib["id"]).stdout
        assert "started" in ok("library", "scan", lib["id"]).stdout

        # Then its photos become ready assets, read where they are
        deadline = time.monotonic() + timeouts.pipeline()
        while True:
            items = json.loads(ok("assets", "list", "--json").stdout)["items"]
            ours = [a for a in items if a.get("libraryId") == lib["id"]]
            if len(ours) == 3 and all(a["status"] == "ready" for a in ours):
                break
            assert time.monotonic() < deadline, ours
            time.sleep(1)
        expected = {base64.b64encode(hashlib.sha256(d).digest()).decode() for d in files.values()}
        assert {a["checksum"] for a in ours} == expected
        listed = json.loads(ok("library", "list", "--json").stdout)
        assert [(x["id"], x["isScanning"]) for x in listed] == [(lib["id"], False)]
        assert sorted(
            o["Key"] for o in s3.list_objects_v2(Bucket="skyroll-library")["Contents"]
        ) == sorted(files)

        # And a database export is taken, listed and downloaded (pg_dump custom format)
        made = json.loads(ok("admin", "backup", "create", "--json").stdout)
        name = made["backup"]["name"]
        assert name in ok("admin", "backup", "list").stdout
        dump = tmp_path / "skyroll.dump"
        ok("admin", "backup", "download", name, "-o", dump)
        assert dump.read_bytes()[:5] == b"PGDMP" and dump.stat().st_size == made["backup"]["size"]
