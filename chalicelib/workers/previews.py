"""The preview JPEG an ML stage reads, fetched for a whole SQS batch at once.

A Lambda is billed for its wall time, and each S3 request is a round trip (tens of ms in
AWS) while the CPU waits. ``prefetched`` starts the GETs of every preview of a batch on
``io_threads`` threads (one query finds their keys) while the stage works through the
assets; ``fetch`` takes an asset's bytes from there, or makes the one request itself when
nothing was prefetched (one record, ``io_threads=1``) or the prefetch failed: a missing
object or a dropped connection then fails the way it always did.
"""

from __future__ import annotations

import io
import math
from collections.abc import Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from contextvars import ContextVar
from typing import TYPE_CHECKING, Any
from uuid import UUID

from chalicelib import messaging
from chalicelib.observability import logger
from chalicelib.workers.context import MediaContext

if TYPE_CHECKING:
    from PIL.Image import Image

_PREFETCHED: ContextVar[dict[UUID, tuple[str, Future[bytes]]] | None] = ContextVar(
    "prefetched_previews", default=None
)


@contextmanager
def prefetched(c: MediaContext, bodies: Sequence[str]) -> Iterator[None]:
    """Within the block, ``fetch`` answers from GETs started for every preview of the
    batch's messages."""
    threads = c.settings.io_threads
    messages = _messages(bodies)
    ids = list({m.asset_id: None for m in messages})
    if threads <= 1 or len(ids) <= 1:
        yield
        return
    try:
        # Not for assets the stage has done: a redelivery, or the net after an inline run
        # (workers.inline), is skipped without its GET.
        forced = [m.asset_id for m in messages if m.force]
        keys = c.media_repo.preview_keys(ids, messages[0].stage, forced)
    except Exception:  # the database: the stage meets it again, record by record
        logger.warning("preview prefetch skipped", exc_info=True)
        keys = {}
    if not keys:
        yield
        return
    store = c.store  # built here: threads creating boto3's client at once can race
    with ThreadPoolExecutor(max_workers=min(threads, len(keys))) as pool:
        futures = {a: (key, pool.submit(_read, store, key)) for a, key in keys.items()}
        token = _PREFETCHED.set(futures)
        try:
            yield
        finally:
            _PREFETCHED.reset(token)
            for _, future in futures.values():
                future.cancel()


def fetch(c: MediaContext, asset_id: UUID) -> bytes:
    """The bytes of the preview the thumbnail stage made."""
    from chalicelib.media.errors import MediaError

    prefetched = (_PREFETCHED.get() or {}).pop(asset_id, None)
    if prefetched is not None:
        key, future = prefetched
        try:
            return future.result()
        except Exception:  # the request below fails the way it should, or succeeds
            logger.debug("prefetch failed; fetching again", exc_info=True)
    else:
        preview = c.media_repo.files(asset_id).get("preview")
        if preview is None:
            raise MediaError("no preview to analyse")
        key = preview["storage_key"]
    return _read(c.store, key)


def _read(store: Any, key: str) -> bytes:
    # One GET (download_fileobj adds a HEAD and a thread pool: 3x the client CPU for a
    # preview-sized object).
    body = store.open(key)
    if body is None:  # not the file's fault: retried, then dead-lettered
        raise FileNotFoundError(f"preview object {key} is missing")
    return bytes(body.read())  # a dropped connection is an OSError: retried


def _messages(bodies: Sequence[str]) -> list[messaging.StageMessage]:
    messages = []
    for body in bodies:
        try:
            messages.append(messaging.parse(body))
        except Exception:  # noqa: S112 - run_batch gives a malformed body its own outcome
            continue
    return messages


def load(c: MediaContext, asset_id: UUID, min_side: int = 640) -> Image:
    """The preview the thumbnail stage made, decoded as small as the model allows (short
    side >= ``min_side``)."""
    from chalicelib.media.errors import MediaError
    from chalicelib.ml.imaging import open_for_models

    data = fetch(c, asset_id)
    try:
        return open_for_models(data, min_side=min_side)
    except OSError as exc:
        raise MediaError(f"preview cannot be decoded: {exc}") from exc


def decode(data: bytes, long_side: float = math.inf) -> tuple[Image, float]:
    """``imaging.open_scaled``, a file that does not decode being the file's fault."""
    from chalicelib.media.errors import MediaError
    from chalicelib.ml.imaging import open_scaled

    try:
        return open_scaled(data, long_side)
    except OSError as exc:
        raise MediaError(f"preview cannot be decoded: {exc}") from exc


def preview_width(data: bytes) -> int:
    """The stored preview's width, from its header (no decode)."""
    from PIL import Image as PilImage

    with PilImage.open(io.BytesIO(data)) as header:
        return int(header.width)
