"""Database backups: a pg_dump export (custom format) to ``backups/`` in the media bucket,
kept ``backup_retention_days`` (pruned after each export; the bucket's lifecycle rule on the
prefix is the net), listed and downloaded by admins, restored by pg_restore
(docs/deploy.md). The export needs pg_dump: in AWS it runs in the backup function's image,
which EventBridge starts nightly; an admin's request starts that function, or, with none
configured (the local stack), runs here."""

from __future__ import annotations

import json
import re
import tempfile
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from chalicelib import errors
from chalicelib.db.dump import PgTools
from chalicelib.observability import logger
from chalicelib.schemas.backups import BackupListResponse, BackupResponse, BackupRunResponse
from chalicelib.settings import Settings
from chalicelib.storage.s3 import ObjectStore

PREFIX = "backups/"
_NAME = re.compile(r"skyroll-(\d{8}T\d{6}Z)\.dump")
_STAMP = "%Y%m%dT%H%M%SZ"


def backup_name(at: datetime) -> str:
    return f"skyroll-{at.astimezone(UTC).strftime(_STAMP)}.dump"


def created_at(name: str) -> datetime | None:
    match = _NAME.fullmatch(name)
    if not match:
        return None
    return datetime.strptime(match.group(1), _STAMP).replace(tzinfo=UTC)


class BackupService:
    def __init__(
        self,
        settings: Settings,
        store: ObjectStore,
        tools: PgTools,
        dsn: Callable[[], str],
        lambda_client: Callable[[], Any],
    ) -> None:
        self.settings = settings
        self.store = store
        self.tools = tools
        self._dsn = dsn
        self._lambda = lambda_client

    def request(self) -> BackupRunResponse:
        """An admin's "back up now": in the backup function when one is configured."""
        function = self.settings.backup_function
        if not function:
            return self.create()
        self._lambda().invoke(
            FunctionName=function,
            InvocationType="Event",
            Payload=json.dumps({"action": "backup"}).encode(),
        )
        logger.info("backup started in the backup function", extra={"function": function})
        return BackupRunResponse(started=True)

    def create(self, now: datetime | None = None) -> BackupRunResponse:
        """Dumps the database, uploads it, then prunes backups past the retention."""
        now = now or datetime.now(UTC)
        name = backup_name(now)
        with tempfile.TemporaryDirectory(prefix="skyroll-backup-") as folder:
            path = Path(folder) / name
            self.tools.dump(self._dsn(), path)
            size = path.stat().st_size
            self.store.upload_file(PREFIX + name, str(path), "application/octet-stream")
        pruned = self.prune(now)
        logger.info("backup written", extra={"backup": name, "bytes": size, "pruned": pruned})
        return BackupRunResponse(
            backup=BackupResponse(name=name, size=size, created_at=now.replace(microsecond=0)),
            pruned=pruned,
        )

    def list(self) -> BackupListResponse:
        found = []
        for obj in self.store.objects(PREFIX):
            name = obj["Key"][len(PREFIX) :]
            at = created_at(name)
            if at is not None:
                found.append(BackupResponse(name=name, size=obj["Size"], created_at=at))
        found.sort(key=lambda b: b.created_at, reverse=True)
        return BackupListResponse(backups=found, retention_days=self.settings.backup_retention_days)

    def prune(self, now: datetime) -> int:
        cutoff = now - timedelta(days=self.settings.backup_retention_days)
        old = [b for b in self.list().backups if b.created_at < cutoff]
        for backup in old:
            self.store.delete(PREFIX + backup.name)
        return len(old)

    def download_url(self, name: str) -> str:
        """A 5-minute presigned GET of one backup."""
        if created_at(name) is None or self.store.head(PREFIX + name) is None:
            raise errors.NotFound(f"No backup named {name!r}")
        return self.store.presign_get(PREFIX + name, expires_in=300)

    def restore(self, name: str, dsn: str | None = None) -> dict[str, str]:
        """Restores a backup over the database (``--clean``: what the dump holds is dropped
        and recreated, in one transaction). For the operator (the backup function's
        ``{"action": "restore", "name": ...}``), never an API route."""
        if created_at(name) is None or self.store.head(PREFIX + name) is None:
            raise errors.NotFound(f"No backup named {name!r}")
        with tempfile.TemporaryDirectory(prefix="skyroll-restore-") as folder:
            path = Path(folder) / name
            with path.open("wb") as out:
                self.store.download(PREFIX + name, out)
            self.tools.restore(dsn or self._dsn(), path, clean=True)
        logger.info("backup restored", extra={"backup": name})
        return {"restored": name}
