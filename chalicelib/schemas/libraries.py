"""DTOs: external libraries (Immich's ``/api/libraries``), here an S3 bucket and prefix."""

from __future__ import annotations

import re
from datetime import datetime
from uuid import UUID

from pydantic import Field, field_validator

from chalicelib.schemas.base import Dto, ResponseDto

# S3's rules for bucket names (general purpose buckets).
_BUCKET = re.compile(r"(?!xn--)(?!sthree-)[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]")


def _bucket(value: str) -> str:
    if not _BUCKET.fullmatch(value) or ".." in value or value.endswith("-s3alias"):
        raise ValueError("not an S3 bucket name (3-63 of a-z, 0-9, '.', '-')")
    return value


def _prefix(value: str) -> str:
    if value.startswith("/") or "\\" in value:
        raise ValueError("an S3 key prefix: no leading '/', no '\\'")
    return value


class CreateLibraryRequest(Dto):
    name: str = Field(min_length=1, max_length=200)
    bucket: str
    # Only objects under this key prefix are the library ("" = the whole bucket).
    prefix: str = Field(default="", max_length=1024)

    @field_validator("bucket")
    @classmethod
    def _check_bucket(cls, value: str) -> str:
        return _bucket(value)

    @field_validator("prefix")
    @classmethod
    def _check_prefix(cls, value: str) -> str:
        return _prefix(value)


class UpdateLibraryRequest(Dto):
    name: str | None = Field(default=None, min_length=1, max_length=200)
    # A new bucket or prefix needs an admin's approval again.
    bucket: str | None = None
    prefix: str | None = Field(default=None, max_length=1024)

    @field_validator("bucket")
    @classmethod
    def _check_bucket(cls, value: str | None) -> str | None:
        return None if value is None else _bucket(value)

    @field_validator("prefix")
    @classmethod
    def _check_prefix(cls, value: str | None) -> str | None:
        return None if value is None else _prefix(value)


class LibraryResponse(ResponseDto):
    id: UUID
    owner_id: UUID
    name: str
    bucket: str
    prefix: str
    # An admin approves a library before Skyroll reads the bucket.
    is_approved: bool
    approved_at: datetime | None
    # A scan in progress (its pages so far), and when the last one ended.
    is_scanning: bool
    scan_pages: int
    scan_started_at: datetime | None
    scan_finished_at: datetime | None
    scan_error: str | None
    created_at: datetime
    updated_at: datetime


class LibraryScanResponse(ResponseDto):
    scan_id: UUID
    # True: a scan was in progress; it goes on from its last saved page.
    resumed: bool


class LibraryStatsResponse(ResponseDto):
    photos: int
    videos: int
    # Objects a scan no longer found (their assets are in the trash, marked offline).
    offline: int
    total: int
    usage: int
