"""The CLI's lists against the real API: one line per row, or a sentence saying there are
none; user data (file, people's and libraries' names) printed as it is, on one line, even
when it looks like rich markup or is longer than a console is wide."""

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
    assert listed.stdout == f"{lib_id}  Old photos  s3://{bucket}/  (awaiting approval)\n"


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


MARKUP = "[bold]x[/bold]"
# A file name has no "/": rich reads "[bold]" alone as markup too (and ":smile:" as an emoji).
FILE_MARKUP = "[bold]x[red] :smile:"
# Longer than any console is wide, with spaces where rich would fold it.
LONG = ("a long name " * 20)[:200]
LONG_FILE = LONG[:196] + ".jpg"


def _one_line_ending(out: str, text: str) -> str:
    """The only line of ``out`` that holds ``text``; it must end with it."""
    (line,) = [line for line in out.splitlines() if text in line]
    assert line.endswith(text), line
    return line


def test_names_print_as_they_are_on_one_line(harness: Harness, skyroll) -> None:
    token = harness.user("names@example.com")
    login(skyroll, "names@example.com", "password-123")
    files = {f"{FILE_MARKUP}.jpg": b"markup-bytes", LONG_FILE: b"long-bytes"}
    ids = {name: harness.upload(token, name, data)["assetId"] for name, data in files.items()}
    c = harness.container
    with c.pool.connection() as conn:  # a person on each photo, as recognition would make
        for name, asset_id in zip((MARKUP, LONG), ids.values(), strict=True):
            owner = conn.execute("SELECT owner_id FROM assets WHERE id = %s", (asset_id,))
            person = conn.execute(
                "INSERT INTO people (owner_id, name) VALUES (%s, %s) RETURNING id",
                (owner.fetchone()["owner_id"], name),
            ).fetchone()["id"]
            conn.execute(
                "INSERT INTO asset_faces (asset_id, owner_id, person_id, image_width,"
                " image_height, x1, y1, x2, y2, landmarks, score, model_id, embedding)"
                " SELECT id, owner_id, %s, 10, 10, 1, 1, 5, 5, array_fill(1::real, ARRAY[10]),"
                " 0.9, 'm', array_fill(0.1::real, ARRAY[128])::halfvec(128)"
                " FROM assets WHERE id = %s",
                (person, asset_id),
            )
    for n, name in enumerate((MARKUP, LONG)):
        added = skyroll("library", "add", name, "--bucket", f"own-bucket-{n}")
        assert added.exit_code == 0, added.output

    assets = skyroll("assets", "list")
    people = skyroll("people", "list")
    libraries = skyroll("library", "list")
    stacked = skyroll("stacks", "create", *ids.values())

    for name, asset_id in ids.items():
        assert _one_line_ending(assets.stdout, name).startswith(asset_id)
        shown = skyroll("assets", "show", asset_id)
        assert _one_line_ending(shown.stdout, name).split()[0] == "originalFileName"
    for name in (MARKUP, LONG):
        assert _one_line_ending(people.stdout, name).endswith(f"1 faces  {name}")
        line = next(x for x in libraries.stdout.splitlines() if name in x)
        assert f"  {name}  s3://own-bucket-" in line and line.endswith("(awaiting approval)")
    assert len(assets.stdout.splitlines()) == len(people.stdout.splitlines()) == 2
    assert len(libraries.stdout.splitlines()) == 2
    assert stacked.exit_code == 0, stacked.output
    assert _one_line_ending(stacked.stdout, f"{FILE_MARKUP}.jpg")
    listed = skyroll("stacks", "show", stacked.stdout.split()[0])
    assert _one_line_ending(listed.stdout, f"{LONG_FILE}  pending")
