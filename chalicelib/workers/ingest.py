"""Ingest: a new original in S3 becomes a described asset, or a failed one with a reason.

At-least-once: S3 and SQS may deliver an event more than once (moto even emits two for a
multipart completion); the atomic claim makes every extra delivery a no-op. Media problems
(corrupt, empty, unsupported, too large) fail the asset and finish the message; anything
else (database, S3) raises so the message is retried and, in the end, dead-lettered.
"""

from __future__ import annotations

import hashlib
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol
from uuid import UUID

from chalicelib import messaging, pipeline
from chalicelib.observability import logger, metrics
from chalicelib.storage import keys
from chalicelib.workers.context import IngestContext
from chalicelib.workers.events import S3Object, s3_objects
from chalicelib.workers.ingest_metadata import describe
from chalicelib.workers.originals import source_store
from chalicelib.workers.pairing import PairingContext, pair, read_pairing
from chalicelib.workers.sidecar import SidecarContext, apply_stored_sidecar, on_sidecar_object

if TYPE_CHECKING:
    from chalicelib.repositories.libraries import LibraryRepository
    from chalicelib.storage.s3 import FetchedObject

STAGE = "ingest"


class Context(IngestContext, PairingContext, SidecarContext, Protocol):
    """Ingest claims external libraries' assets, pairs Live Photos and stacks, and applies
    XMP sidecars."""


class Rejected(Exception):
    """The object is not the upload that was announced; it is removed, the asset fails."""


def handle(body: str, container: Context) -> None:
    if '"assetId"' in body:  # an external library's asset, queued by its scan
        ingest_library_asset(messaging.parse(body).asset_id, container)
        return
    for obj in s3_objects(body):
        if not on_sidecar_object(obj, container):  # an .xmp sidecar next to an original
            ingest_object(obj, container)


def ingest_library_asset(asset_id: UUID, c: Context) -> None:
    """An object in a library's own bucket: read in place, hashed, described. A missing or
    broken object fails the asset and nothing else: Skyroll never deletes it."""
    lease = pipeline.get_stage(STAGE).visibility_timeout_seconds
    asset = c.library_repo.claim_for_ingest(asset_id, lease)
    if asset is None:
        return  # a duplicate delivery, or the asset is gone
    logger.append_keys(asset_id=str(asset_id))
    try:
        fetched = source_store(c.store, asset).get(asset["storage_key"])
        if fetched is None:
            c.pipeline_repo.fail(asset_id, STAGE, "The object is no longer in the library")
            return
        with fetched:
            _describe_and_hand_off(asset, c, fetched, library=c.library_repo)
    except BaseException as exc:
        c.pipeline_repo.release(asset_id)
        from chalicelib.workers.stage import note_retry

        note_retry(c, STAGE, asset_id, exc)
        raise
    finally:
        logger.remove_keys(["asset_id"])


def ingest_object(obj: S3Object, c: Context) -> None:
    if keys.parse_original(obj.key) is None:
        return  # not an original (the notification filter should not even send these)
    if obj.bucket != c.settings.bucket:
        logger.warning("event for another bucket", extra={"bucket": obj.bucket})
        return
    repo = c.pipeline_repo
    lease = pipeline.get_stage(STAGE).visibility_timeout_seconds
    asset = repo.claim_for_ingest(obj.key, lease)
    if asset is None:
        _unclaimed(obj, c)
        return
    logger.append_keys(asset_id=str(asset["id"]))
    try:
        _ingest(asset, c)
    except Rejected as exc:
        c.store.delete(asset["storage_key"])
        repo.fail(asset["id"], STAGE, str(exc))
        metrics.add_metric(name="IngestRejected", unit="Count", value=1)
    except BaseException as exc:
        repo.release(asset["id"])  # let the retried message claim it again
        from chalicelib.workers.stage import note_retry

        note_retry(c, STAGE, asset["id"], exc)
        raise
    finally:
        logger.remove_keys(["asset_id"])


def _unclaimed(obj: S3Object, c: Context) -> None:
    status = c.pipeline_repo.status_of_key(obj.key)
    if status is None:
        # Nobody announced this upload: report it for the cleanup job, never keep it silently.
        c.pipeline_repo.record_orphan(obj.key, obj.size)
        logger.warning("object without an upload record", extra={"key": obj.key})
    else:
        logger.info("duplicate event ignored", extra={"key": obj.key, "status": status})


def _ingest(asset: dict[str, Any], c: Context) -> None:
    from botocore.exceptions import FlexibleChecksumError

    # One GET: its answer carries the size before any byte of the body is read, and a
    # missing object fails it, so the checks below need no HEAD of their own.
    fetched = c.store.get(asset["storage_key"])
    if fetched is None:
        raise Rejected("The uploaded object is missing from storage")
    with fetched:
        if fetched.size != asset["file_size"]:
            raise Rejected(
                f"Size mismatch: the upload announced {asset['file_size']} bytes,"
                f" storage holds {fetched.size}"
            )
        try:
            _describe_and_hand_off(asset, c, fetched, library=None)
        except FlexibleChecksumError as exc:  # S3 itself disagrees with the stored checksum
            raise Rejected(
                "Checksum mismatch: the stored bytes are not the announced file"
            ) from exc


def _describe_and_hand_off(
    asset: dict[str, Any],
    c: Context,
    fetched: FetchedObject,
    *,
    library: LibraryRepository | None,
) -> None:
    """Downloads the fetched object's body (hashing), checks or records the SHA-256, reads
    the metadata, queues the following stages. An upload's bytes must be what was
    announced; a library's are whatever the object holds, and their hash is recorded."""
    from chalicelib.media.errors import MediaError

    key = asset["storage_key"]
    with tempfile.TemporaryDirectory(prefix="skyroll-ingest-") as tmp:
        path = Path(tmp) / f"original.{key.rsplit('.', 1)[-1]}"
        digest = _download(fetched, path)
        if library is not None:
            library.set_content(asset["id"], digest, fetched.size)
            asset = {**asset, "checksum": digest, "file_size": fetched.size}
        elif digest != bytes(asset["checksum"]):
            raise Rejected("Checksum mismatch: the stored bytes are not the announced file")
        try:
            facts, exif, tags = describe(path, asset, c.settings)
        except MediaError as exc:
            c.pipeline_repo.fail(asset["id"], STAGE, exc.reason)
            metrics.add_metric(name="IngestFailed", unit="Count", value=1)
            logger.info("ingest failed", extra={"reason": exc.reason, "code": exc.code})
            return
        found = read_pairing(path, facts, tags, Path(tmp))
        following = messaging.next_stages(STAGE, facts["type"])
        c.pipeline_repo.save_ingest(asset["id"], facts, exif, following)
        for stage in following:
            c.stage_queue.send(stage, [asset["id"]])
        if library is None:  # an upload's sidecar; a library's objects have none of ours
            # After the save: a sidecar whose own event came before it is found here.
            apply_stored_sidecar(
                {**asset, "latitude": exif["latitude"], "longitude": exif["longitude"]}, c
            )
        # After the save: the other half, ingested at the same moment, then sees this one.
        pair(asset, facts, found, c)
    metrics.add_metric(name="AssetIngested", unit="Count", value=1)


def _download(fetched: FetchedObject, path: Path) -> bytes:
    """Streams the object to /tmp, hashing on the way (multipart objects have no whole-object
    SHA-256 in S3, so we always compute it ourselves)."""
    sha = hashlib.sha256()

    class _Hashing:
        def __init__(self, f: Any) -> None:
            self._f = f

        def write(self, data: bytes) -> int:
            sha.update(data)
            return int(self._f.write(data))

    with path.open("wb") as f:
        fetched.write_to(_Hashing(f))
    return sha.digest()
