"""Backup naming, retention and requests; the keys a library scan takes; the restore command
line. No I/O: fakes of the store, the client tools and the Lambda client."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from chalicelib import errors
from chalicelib.cli.backups import restore_command
from chalicelib.db.dump import libpq_env
from chalicelib.services.backups import BackupService, backup_name, created_at
from chalicelib.services.libraries import media_kind, placeholder_checksum
from chalicelib.settings import Settings

T0 = datetime(2026, 12, 1, 3, 20, tzinfo=UTC)


class Store:
    """The ObjectStore methods backups use, over a dict."""

    def __init__(self) -> None:
        self.stored: dict[str, bytes] = {}

    def upload_file(self, key: str, path: str, content_type: str) -> None:
        self.stored[key] = Path(path).read_bytes()

    def objects(self, prefix: str) -> list[dict[str, Any]]:
        return [
            {"Key": k, "Size": len(v)}
            for k, v in sorted(self.stored.items())
            if k.startswith(prefix)
        ]

    def delete(self, key: str) -> None:
        del self.stored[key]

    def head(self, key: str) -> dict[str, Any] | None:
        return {"ContentLength": len(self.stored[key])} if key in self.stored else None

    def presign_get(self, key: str, **kwargs: Any) -> str:
        return f"https://signed/{key}"


class FakeTools:
    def __init__(self) -> None:
        self.dumped: list[str] = []

    def dump(self, dsn: str, target: Path) -> None:
        self.dumped.append(dsn)
        target.write_bytes(b"PGDMP" + dsn.encode())


class FakeLambda:
    def __init__(self) -> None:
        self.calls: list[dict[str, Any]] = []

    def invoke(self, **kwargs: Any) -> None:
        self.calls.append(kwargs)


def service(settings: Settings, store: Any, lam: FakeLambda | None = None) -> BackupService:
    return BackupService(settings, store, FakeTools(), lambda: "postgresql://db/x", lambda: lam)  # type: ignore[arg-type]


def test_names_carry_the_utc_time_and_only_ours_parse() -> None:
    assert backup_name(T0) == "skyroll-20261201T032000Z.dump"
    assert created_at("skyroll-20261201T032000Z.dump") == T0
    for other in ("skyroll-2026.dump", "../skyroll-20261201T032000Z.dump", "x.dump"):
        assert created_at(other) is None


def test_exports_past_the_retention_are_pruned_after_each_backup() -> None:
    store = Store()
    backups = service(Settings(backup_retention_days=14), store)
    first = backups.create(T0)
    assert first.backup is not None and first.backup.size == len(b"PGDMPpostgresql://db/x")
    assert store.stored[f"backups/{first.backup.name}"].startswith(b"PGDMP")
    backups.create(T0 + timedelta(days=10))
    third = backups.create(T0 + timedelta(days=20))
    assert third.pruned == 1  # the first is 20 days old, the second 10
    listed = backups.list()
    assert [b.created_at for b in listed.backups] == [
        T0 + timedelta(days=20),
        T0 + timedelta(days=10),
    ]
    assert listed.retention_days == 14


def test_a_request_starts_the_backup_function_when_there_is_one() -> None:
    lam = FakeLambda()
    store = Store()
    result = service(Settings(backup_function="skyroll-prod-backup"), store, lam).request()
    assert result.started is True and result.backup is None and store.stored == {}
    (call,) = lam.calls
    assert call["FunctionName"] == "skyroll-prod-backup" and call["InvocationType"] == "Event"
    assert json.loads(call["Payload"]) == {"action": "backup"}


def test_unknown_backups_are_not_found() -> None:
    backups = service(Settings(), Store())
    for name in ("skyroll-20200101T000000Z.dump", "../../etc/passwd"):
        with pytest.raises(errors.NotFound):
            backups.download_url(name)


def test_the_password_goes_in_libpq_environment_not_the_command_line(tmp_path: Path) -> None:
    env = libpq_env("postgresql://app:s3cret@db.example:5433/skyroll")
    assert (env["PGHOST"], env["PGPORT"], env["PGUSER"], env["PGPASSWORD"], env["PGDATABASE"]) == (
        "db.example",
        "5433",
        "app",
        "s3cret",
        "skyroll",
    )
    fake_bin = tmp_path / "bin"
    fake_bin.mkdir()
    (fake_bin / "pg_restore").write_text("")
    args, env = restore_command(
        tmp_path / "x.dump", "postgresql://app:s3cret@db.example/skyroll", fake_bin, clean=True
    )
    assert "s3cret" not in " ".join(args) and env["PGPASSWORD"] == "s3cret"
    assert args[-3:] == ["--dbname", "skyroll", str(tmp_path / "x.dump")]
    assert "--clean" in args and "--single-transaction" in args
    with pytest.raises(FileNotFoundError):
        restore_command(tmp_path / "x.dump", "postgresql://h/db", tmp_path / "nowhere", clean=False)


def test_a_scan_takes_photo_and_video_keys_by_extension() -> None:
    assert media_kind("2019/Trip/IMG_0001.JPG") == ("IMAGE", "image/jpeg")
    assert media_kind("a/b.jpeg") == ("IMAGE", "image/jpeg")
    assert media_kind("clip.MOV") == ("VIDEO", "video/quicktime")
    assert media_kind("raw/DSC1.nef") == ("IMAGE", "image/x-nikon-nef")
    for other in ("notes.txt", "folder/", "noext", "a.jpg/b"):
        assert media_kind(other) is None
    # Until ingest hashes the bytes, the checksum names the object's version
    assert placeholder_checksum("b", "k", "e1") != placeholder_checksum("b", "k", "e2")
