"""Archive stage: builds one part of a zip download from S3 originals into S3, streamed.

Memory stays bounded whatever the sizes: originals are read in 1 MiB chunks and the zip
leaves through an S3 multipart upload as soon as a part buffer fills (``S3Sink``). Python's
zipfile writes to an unseekable stream with data descriptors (sizes and CRC after the data),
and zip64 entries where a file needs them. Entries are stored, not deflated: photos and
videos are already compressed.

Idempotent: a part already ``done`` is skipped; a retry rebuilds the part under the same key.
"""

from __future__ import annotations

import math
import zipfile
from datetime import datetime
from typing import Any

from chalicelib.messaging import ArchiveMessage
from chalicelib.observability import logger, metrics
from chalicelib.workers.context import ArchiveContext

STAGE = "archive"
READ_CHUNK = 1024 * 1024
MIN_PART = 8 * 1024 * 1024  # S3 wants ≥ 5 MiB for every part but the last
MAX_PARTS = 10_000
ZIP64_AT = 0x7FFF_FFFF  # entries this big need zip64 headers written up front


class S3Sink:
    """A write-only, unseekable file object whose bytes become one S3 object: a plain PUT
    when small, else a multipart upload of ``part_size`` pieces."""

    def __init__(self, s3: Any, bucket: str, key: str, part_size: int = MIN_PART) -> None:
        self._s3, self._bucket, self._key = s3, bucket, key
        self._part_size = part_size
        self._buffer = bytearray()
        self._written = 0
        self._upload_id: str | None = None
        self._parts: list[dict[str, Any]] = []

    def write(self, data: bytes) -> int:
        self._buffer += data
        self._written += len(data)
        while len(self._buffer) >= self._part_size:
            self._upload(bytes(self._buffer[: self._part_size]))
            del self._buffer[: self._part_size]
        return len(data)

    def tell(self) -> int:
        return self._written

    def flush(self) -> None:
        """Bytes wait for a full part; zipfile calls this often."""

    def finish(self) -> int:
        """Uploads what is left and completes the object; returns its size."""
        if self._upload_id is None:
            self._s3.put_object(
                Bucket=self._bucket,
                Key=self._key,
                Body=bytes(self._buffer),
                ContentType="application/zip",
            )
        else:
            if self._buffer:
                self._upload(bytes(self._buffer))
            self._s3.complete_multipart_upload(
                Bucket=self._bucket,
                Key=self._key,
                UploadId=self._upload_id,
                MultipartUpload={"Parts": self._parts},
            )
        self._buffer.clear()
        return self._written

    def abort(self) -> None:
        if self._upload_id is not None:
            self._s3.abort_multipart_upload(
                Bucket=self._bucket, Key=self._key, UploadId=self._upload_id
            )
            self._upload_id = None

    def _upload(self, body: bytes) -> None:
        if self._upload_id is None:
            self._upload_id = self._s3.create_multipart_upload(
                Bucket=self._bucket, Key=self._key, ContentType="application/zip"
            )["UploadId"]
        number = len(self._parts) + 1
        etag = self._s3.upload_part(
            Bucket=self._bucket,
            Key=self._key,
            UploadId=self._upload_id,
            PartNumber=number,
            Body=body,
        )["ETag"]
        self._parts.append({"PartNumber": number, "ETag": etag})


def part_size_for(planned: int) -> int:
    """The smallest multipart piece that keeps the zip within S3's 10,000 parts."""
    needed = math.ceil(planned * 1.01 / (MAX_PARTS - 10)) if planned else 0
    return max(MIN_PART, math.ceil(needed / READ_CHUNK) * READ_CHUNK)


def entry_name(filename: str, taken: set[str]) -> str:
    """Unique names inside one zip: "IMG_1.jpg", then "IMG_1 (1).jpg" (as Immich)."""
    stem, dot, ext = filename.rpartition(".")
    if not dot:
        stem, ext = filename, ""
    name, n = filename, 0
    while name.lower() in taken:
        n += 1
        name = f"{stem} ({n}){dot}{ext}"
    taken.add(name.lower())
    return name


def _zip_time(when: datetime | None) -> tuple[int, int, int, int, int, int]:
    if when is None or when.year < 1980:
        return (1980, 1, 1, 0, 0, 0)
    return (when.year, when.month, when.day, when.hour, when.minute, when.second)


def _opener(store: Any, assets: list[dict[str, Any]]) -> Any:
    """Opens an original by key in its own bucket: an external library's asset is read
    from the library's bucket."""
    buckets = {a["storage_key"]: a.get("source_bucket") for a in assets}

    def open_original(key: str) -> Any:
        return store.for_bucket(buckets.get(key)).open(key)

    return open_original


def write_zip(sink: Any, assets: list[dict[str, Any]], open_original: Any) -> int:
    """Writes every original that still exists into a zip on ``sink``; returns how many
    were missing (deleted since the download was asked for)."""
    skipped = 0
    names: set[str] = set()
    with zipfile.ZipFile(sink, "w", compression=zipfile.ZIP_STORED, allowZip64=True) as zf:
        for asset in assets:
            body = open_original(asset["storage_key"])
            if body is None:
                skipped += 1
                continue
            info = zipfile.ZipInfo(
                entry_name(asset["original_file_name"], names),
                date_time=_zip_time(asset.get("taken")),
            )
            info.compress_type = zipfile.ZIP_STORED
            with zf.open(info, "w", force_zip64=asset["file_size"] >= ZIP64_AT) as entry:
                for chunk in body.iter_chunks(READ_CHUNK):
                    entry.write(chunk)
    return skipped


def handle(body: str, container: ArchiveContext) -> None:
    message = ArchiveMessage.model_validate_json(body)
    repo = container.download_repo
    part = repo.part_for_build(message.archive_id, message.part_number)
    if part is None:
        logger.info(
            "download gone; nothing to build", extra={"archive_id": str(message.archive_id)}
        )
        return
    if part["status"] == "done":
        return
    repo.set_part(message.archive_id, message.part_number, "running")
    store = container.store
    sink = S3Sink(store.s3, store.bucket, part["storage_key"], part_size_for(part["planned_size"]))
    try:
        assets = repo.part_assets(part["asset_ids"])
        skipped = write_zip(sink, assets, _opener(store, assets))
        size = sink.finish()
    except Exception as exc:
        sink.abort()
        # Back to queued: SQS retries the message; the error says why in the meantime.
        repo.set_part(
            message.archive_id, message.part_number, "queued", error=f"retrying after: {exc}"[:500]
        )
        raise
    repo.set_part(message.archive_id, message.part_number, "done", byte_size=size, skipped=skipped)
    metrics.add_metric(name="archivePartBuilt", unit="Count", value=1)
    logger.info(
        "archive part built",
        extra={
            "archive_id": str(message.archive_id),
            "part": message.part_number,
            "bytes": size,
            "skipped": skipped,
        },
    )
