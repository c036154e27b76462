"""Faces stage: detect faces on the preview, store box, landmarks and identity vector,
recognise people, and write a crop thumbnail (``derived/{user}/{asset}/faces/{faceId}.jpeg``)
for each face that is a person's picture.

Idempotent: face ids are derived from the asset id and the face's rank, so a re-run
overwrites the same rows and objects and keeps the people the faces were given.
"""

from __future__ import annotations

import io
import math
import threading
from concurrent.futures import ThreadPoolExecutor
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any
from uuid import NAMESPACE_URL, UUID, uuid5

from chalicelib.storage import keys
from chalicelib.workers import inline, previews, stage

if TYPE_CHECKING:
    from PIL.Image import Image

    from chalicelib.ml.ports import Detection, Face

STAGE = "faces"
CROP_SIZE = 250
# The crop shows some head and shoulders around the detector's tight box (Immich pads too).
CROP_PADDING = 0.35


_LOADED: dict[tuple[str, float, float, int], Any] = {}
_LOCK = threading.Lock()


def load_face_analyzer(models_dir: Path, min_score: float, min_size: float, threads: int) -> Any:
    """One analyzer per process and configuration (see smart_search.load_encoder)."""
    from chalicelib.ml.faces import FaceThresholds
    from chalicelib.ml.factory import face_analyzer

    key = (str(models_dir), min_score, min_size, threads)
    with _LOCK:
        if key not in _LOADED:
            analyzer = face_analyzer(models_dir, threads=threads)
            analyzer.thresholds = FaceThresholds(min_score=min_score, min_size=min_size)  # type: ignore[attr-defined]
            _LOADED[key] = analyzer
        return _LOADED[key]


def handle(body: str, container: Any) -> None:
    stage.run(body, container, STAGE, work)


def handle_batch(bodies: list[str], container: Any) -> list[Exception | None]:
    """The Lambda's whole SQS batch: each asset on its own (the models take one image at a
    time), its preview fetched while the assets before it are worked on; then smart_search
    embeds the same decoded previews here (``workers.inline``), and what it did not finish
    is handed to its queue, ten messages a call."""
    decoded: dict[UUID, Image] = {}
    with previews.prefetched(container, bodies):
        return stage.run_each(
            bodies,
            container,
            STAGE,
            partial(work, decoded=decoded),
            inline=partial(inline.run_followers, container, STAGE, decoded),
        )


def work(asset: dict[str, Any], c: Any, decoded: dict[UUID, Image] | None = None) -> None:
    """Faces of one asset; ``decoded`` keeps the picture they were read from, for the
    inline stages."""
    data = fetch_preview(c, asset["id"])
    image, faces = find_faces(c, data)
    if decoded is not None:
        decoded[asset["id"]] = image
    model_id = c.face_analyzer.model_id
    found = {face_uuid(asset["id"], model_id, rank): face for rank, face in enumerate(faces)}
    rows = [face_row(face_id, face, image, model_id) for face_id, face in found.items()]
    for key in c.face_repo.replace_faces(asset["id"], asset["owner_id"], rows):
        c.store.delete(key)
    if not found:
        return
    c.people_recognizer.recognize(asset["owner_id"], list(found))
    pictures = c.face_repo.feature_faces(list(found))
    write_crops(c, asset, data, image, {f: found[f] for f in found if f in pictures})


def write_crops(
    c: Any, asset: dict[str, Any], data: bytes, image: Image, faces: dict[UUID, Face]
) -> None:
    """The crop thumbnail of each face that is a person's picture (Immich keeps one per
    person, not per face: most faces join a person and never show on their own), PUT
    before its row names it. A face that ``image`` (a reduced decode) shows smaller than the
    thumbnail is cropped from a full-size decode of the preview ``data``."""
    if not faces:
        return
    source, scale = image, 1.0
    if any(thumbnail_needs_pixels(face) for face in faces.values()):
        stored_width = preview_width(data)
        if stored_width > image.width:
            source, _ = decode_preview(data)
            scale = source.width / image.width
    crop_keys = {
        face_id: keys.derivative_key(asset["owner_id"], asset["id"], f"faces/{face_id}.jpeg")
        for face_id in faces
    }
    put_all(c, [(crop_keys[f], crop_jpeg(source, face, scale)) for f, face in faces.items()])
    c.face_repo.set_thumbnails(crop_keys)


def thumbnail_needs_pixels(face: Face) -> bool:
    return max(face.width, face.height) * (1 + 2 * CROP_PADDING) < CROP_SIZE


def preview_width(data: bytes) -> int:
    """The stored preview's width, from its header (no decode)."""
    from PIL import Image as PilImage

    with PilImage.open(io.BytesIO(data)) as header:
        return int(header.width)


def put_all(c: Any, crops: list[tuple[str, bytes]]) -> None:
    """The crop JPEGs, ``io_threads`` PUTs in flight (a group photo has many faces)."""
    threads = min(c.settings.io_threads, len(crops))
    if threads <= 1:
        for key, data in crops:
            c.store.put(key, data, "image/jpeg")
        return
    with ThreadPoolExecutor(max_workers=threads) as pool:
        for done in [pool.submit(c.store.put, key, data, "image/jpeg") for key, data in crops]:
            done.result()  # the first failure raises: the record is retried


def find_faces(c: Any, data: bytes) -> tuple[Image, list[Face]]:
    """The faces of a preview, and the decode of it their coordinates refer to.

    The detector sees 640 px, so it gets the preview decoded at 1/2 scale (the JPEG decoder
    scales for free); most photos have no face and stop there. Faces that this decode would
    show smaller than the identity model's aligned crop get the full-size decode instead
    (the crop thumbnail, made for few faces, decodes again if it needs to: ``write_crops``).
    ``face_min_size`` is in preview pixels either way.
    """
    from chalicelib.ml.faces import DETECT_SIZE

    analyzer = c.face_analyzer
    image, factor = decode_preview(data, DETECT_SIZE)
    found = analyzer.detect(image, min_size=c.settings.face_min_size / factor)
    if factor > 1 and any(needs_detail(d) for d in found):
        image, _ = decode_preview(data)
        # An odd side was rounded up by the decoder: a box may end a pixel past the picture.
        found = [d.scaled(factor).within(image.width, image.height) for d in found]
    return image, analyzer.describe(image, found)


def needs_detail(detection: Detection) -> bool:
    """Whether a larger decode would give this face's identity crop (SFace's aligned
    112 px) more pixels than this one has."""
    from chalicelib.ml.align import magnification

    return magnification(detection.landmarks) > 1


def load_preview(c: Any, asset_id: UUID, min_side: int = 640) -> Image:
    """The preview the thumbnail stage made, decoded as small as the model allows (short
    side >= ``min_side``)."""
    from chalicelib.media.errors import MediaError
    from chalicelib.ml.imaging import open_for_models

    data = fetch_preview(c, asset_id)
    try:
        return open_for_models(data, min_side=min_side)
    except OSError as exc:
        raise MediaError(f"preview cannot be decoded: {exc}") from exc


def decode_preview(data: bytes, long_side: float = math.inf) -> tuple[Image, float]:
    """``imaging.open_scaled``, a file that does not decode being the file's fault."""
    from chalicelib.media.errors import MediaError
    from chalicelib.ml.imaging import open_scaled

    try:
        return open_scaled(data, long_side)
    except OSError as exc:
        raise MediaError(f"preview cannot be decoded: {exc}") from exc


def fetch_preview(c: Any, asset_id: UUID) -> bytes:
    """The bytes of the preview the thumbnail stage made (prefetched for the batch when
    the stage asked for it: ``previews.prefetched``)."""
    return previews.fetch(c, asset_id)


def face_uuid(asset_id: UUID, model_id: str, rank: int) -> UUID:
    return uuid5(NAMESPACE_URL, f"skyroll:face:{asset_id}:{model_id}:{rank}")


def face_row(face_id: UUID, face: Face, image: Image, model_id: str) -> dict[str, Any]:
    return {
        "id": face_id,
        "image_width": image.width,
        "image_height": image.height,
        "box": face.box,
        "landmarks": [v for point in face.landmarks for v in point],
        "score": face.score,
        "model_id": model_id,
        "embedding": face.embedding,
    }


def crop_box(face: Face, width: int, height: int, scale: float = 1.0) -> tuple[int, int, int, int]:
    """A square around the face (its box times ``scale``: the picture may be a larger decode
    than the one the face was found in), padded, moved (not shrunk) to stay inside the
    picture when it can."""
    x1, y1, x2, y2 = (v * scale for v in face.box)
    side = max(1, round(min(max(x2 - x1, y2 - y1) * (1 + 2 * CROP_PADDING), width, height)))
    cx, cy = (x1 + x2) / 2, (y1 + y2) / 2
    left = round(min(max(cx - side / 2, 0), width - side))
    top = round(min(max(cy - side / 2, 0), height - side))
    return left, top, left + side, top + side  # rounded once: exactly square


def crop_jpeg(image: Image, face: Face, scale: float = 1.0) -> bytes:
    """The face's padded square, at most ``CROP_SIZE`` px, as a JPEG. One resize of only the
    box, box-reduced by an integer factor first (``REDUCING_GAP``): a third of the time of
    crop + ``thumbnail`` on a 1440 px preview, within JPEG noise of it."""
    from PIL import Image as PilImage

    from chalicelib.ml.imaging import REDUCING_GAP

    box = crop_box(face, image.width, image.height, scale)
    width, height = box[2] - box[0], box[3] - box[1]
    scale = min(1.0, CROP_SIZE / max(width, height))
    size = (max(1, round(width * scale)), max(1, round(height * scale)))
    crop = image.resize(size, PilImage.Resampling.LANCZOS, box=box, reducing_gap=REDUCING_GAP)
    out = io.BytesIO()
    crop.save(out, "JPEG", quality=85)
    return out.getvalue()
