"""``skyroll library list`` and ``skyroll admin backup list`` against the real API: one line
per row, or a sentence saying there are none."""

from __future__ import annotations

import json
import uuid

from tests.support.cli import login
from tests.support.harness import Harness


def test_library_list_prints_a_line_per_library_or_says_none(harness: Harness, skyroll) -> None:
    harness.user("lister@example.com")
    login(skyroll, "lister@example.com", "password-123")
    assert skyroll("library", "list").stdout == "No libraries.\n"

    bucket = f"own-{uuid.uuid4().hex[:10]}"
    added = skyroll("library", "add", "Old photos", "--bucket", bucket, "--json")
    assert added.exit_code == 0, added.output
    lib_id = json.loads(added.stdout)["id"]
    listed = skyroll("library", "list")
    assert listed.exit_code == 0, listed.output
    # Words, not lines: rich folds a line at the terminal's width (80 without one).
    assert listed.stdout.split() == [
        lib_id,
        "Old",
        "photos",
        f"s3://{bucket}/",
        "(awaiting",
        "approval)",
    ]


def test_backup_list_prints_a_line_per_export_or_says_none(harness: Harness, skyroll) -> None:
    c = harness.container
    login(skyroll, "admin@example.com", "admin-password-1")
    assert skyroll("admin", "backup", "list").stdout == "No backups yet.\n"

    for stamp, body in (("20261201T032000Z", b"PGDMP1"), ("20261202T032000Z", b"PGDMP22")):
        key = f"backups/skyroll-{stamp}.dump"
        c.s3.put_object(Bucket=c.settings.bucket, Key=key, Body=body)
    listed = skyroll("admin", "backup", "list")
    assert listed.exit_code == 0, listed.output
    assert listed.stdout.splitlines() == [
        "skyroll-20261202T032000Z.dump             7  2026-12-02T03:20:00Z",
        "skyroll-20261201T032000Z.dump             6  2026-12-01T03:20:00Z",
    ]
