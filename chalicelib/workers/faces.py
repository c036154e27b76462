"""Faces stage: detect faces on the preview, store box, landmarks and identity vector,
recognise people, and write a crop thumbnail (``derived/{user}/{asset}/faces/{faceId}.jpeg``)
for each face that is a person's picture.

Idempotent: face ids are derived from the asset id and the face's rank, so a re-run
overwrites the same rows and objects and keeps the people the faces were given.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from functools import partial
from typing import TYPE_CHECKING, Any
from uuid import NAMESPACE_URL, UUID, uuid5

from chalicelib.ml import face_crops
from chalicelib.storage import keys
from chalicelib.workers import inline, previews, stage
from chalicelib.workers.context import FacesContext

if TYPE_CHECKING:
    from PIL.Image import Image

    from chalicelib.ml.ports import Detection, Face

STAGE = "faces"


def handle(body: str, container: FacesContext) -> None:
    if (reason := off_reason(container)) is not None:
        stage.skip(body, container, STAGE, reason)
    else:
        stage.run(body, container, STAGE, work)


def off_reason(c: FacesContext) -> str | None:
    """Why the stage does nothing now (server settings), or None: its assets are then
    recorded ``skipped``, and turning it on offers to re-run the assets missing it."""
    ml = c.system_config.get().machine_learning
    if not ml.enabled:
        return "machine learning is turned off"
    if not ml.facial_recognition.enabled:
        return "facial recognition is turned off"
    return None


def handle_batch(bodies: list[str], container: FacesContext) -> list[Exception | None]:
    """The Lambda's whole SQS batch: each asset on its own (the models take one image at a
    time), its preview fetched while the assets before it are worked on; then smart_search
    embeds the same decoded previews here (``workers.inline``), and what it did not finish
    is handed to its queue, ten messages a call."""
    if (reason := off_reason(container)) is not None:
        return stage.skip_each(bodies, container, STAGE, reason)
    decoded: dict[UUID, Image] = {}
    with previews.prefetched(container, bodies):
        return stage.run_each(
            bodies,
            container,
            STAGE,
            partial(work, decoded=decoded),
            inline=partial(inline.run_followers, container, STAGE, decoded),
        )


def work(asset: dict[str, Any], c: FacesContext, decoded: dict[UUID, Image] | None = None) -> None:
    """Faces of one asset; ``decoded`` keeps the picture they were read from, for the
    inline stages. (Turned off in the server settings, the handlers skip before this.)"""
    data = previews.fetch(c, asset["id"])
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
    c: FacesContext, asset: dict[str, Any], data: bytes, image: Image, faces: dict[UUID, Face]
) -> None:
    """The crop thumbnail of each face that is a person's picture (Immich keeps one per
    person, not per face: most faces join a person and never show on their own), PUT
    before its row names it. A face that ``image`` (a reduced decode) shows smaller than the
    thumbnail is cropped from a full-size decode of the preview ``data``."""
    if not faces:
        return
    source, scale = image, 1.0
    if any(face_crops.thumbnail_needs_pixels(face) for face in faces.values()):
        stored_width = previews.preview_width(data)
        if stored_width > image.width:
            source, _ = previews.decode(data)
            scale = source.width / image.width
    crop_keys = {
        face_id: keys.derivative_key(asset["owner_id"], asset["id"], f"faces/{face_id}.jpeg")
        for face_id in faces
    }
    put_all(
        c, [(crop_keys[f], face_crops.crop_jpeg(source, face, scale)) for f, face in faces.items()]
    )
    c.face_repo.set_thumbnails(crop_keys)


def put_all(c: FacesContext, crops: list[tuple[str, bytes]]) -> None:
    """The crop JPEGs, ``io_threads`` PUTs in flight (a group photo has many faces)."""
    threads = min(c.settings.io_threads, len(crops))
    if threads <= 1:
        for key, data in crops:
            c.store.put(key, data, "image/jpeg")
        return
    with ThreadPoolExecutor(max_workers=threads) as pool:
        for done in [pool.submit(c.store.put, key, data, "image/jpeg") for key, data in crops]:
            done.result()  # the first failure raises: the record is retried


def find_faces(c: FacesContext, data: bytes) -> tuple[Image, list[Face]]:
    """The faces of a preview, and the decode of it their coordinates refer to.

    The detector sees 640 px, so it gets the preview decoded at 1/2 scale (the JPEG decoder
    scales for free); most photos have no face and stop there. Faces that this decode would
    show smaller than the identity model's aligned crop get the full-size decode instead
    (the crop thumbnail, made for few faces, decodes again if it needs to: ``write_crops``).
    ``face_min_size`` is in preview pixels either way.
    """
    from chalicelib.ml.faces import DETECT_SIZE

    analyzer = c.face_analyzer
    min_score = c.system_config.get().machine_learning.facial_recognition.min_score
    image, factor = previews.decode(data, DETECT_SIZE)
    found = analyzer.detect(image, min_size=c.settings.face_min_size / factor, min_score=min_score)
    if factor > 1 and any(needs_detail(d) for d in found):
        image, _ = previews.decode(data)
        # An odd side was rounded up by the decoder: a box may end a pixel past the picture.
        found = [d.scaled(factor).within(image.width, image.height) for d in found]
    return image, analyzer.describe(image, found)


def needs_detail(detection: Detection) -> bool:
    """Whether a larger decode would give this face's identity crop (SFace's aligned
    112 px) more pixels than this one has."""
    from chalicelib.ml.align import magnification

    return magnification(detection.landmarks) > 1


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
