"""DTOs: database backups (admin)."""

from __future__ import annotations

from datetime import datetime

from chalicelib.schemas.base import ResponseDto


class BackupResponse(ResponseDto):
    # The file name under the bucket's backups/ prefix: skyroll-<UTC time>.dump.
    name: str
    size: int
    created_at: datetime


class BackupRunResponse(ResponseDto):
    # True: handed to the backup function (a deployment), whose logs have the result;
    # ``backup`` is then null. False: it ran inside this call.
    started: bool = False
    backup: BackupResponse | None = None
    # Backups older than the retention period removed by this run.
    pruned: int = 0


class BackupListResponse(ResponseDto):
    backups: list[BackupResponse]
    retention_days: int
