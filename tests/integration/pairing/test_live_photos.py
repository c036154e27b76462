"""Live Photos (a still and a MOV sharing Apple's content identifier) and motion photos (an MP4
inside the JPEG) become one asset with a playable, hidden motion part — in either order, with
repeated events. Samples: tests/fixtures/live/README.md."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from tests.support.harness import Harness
from tests.support.motion_photos import google_motion_photo, samsung_motion_photo
from tests.support.samples import CAMERA_SAMPLES
from tests.support.stages import presigned_key

LIVE = Path(__file__).parents[2] / "fixtures" / "live"
HEIC = CAMERA_SAMPLES / "iphone11pro-irot.heic"
CID = "1745E022-9712-43C7-B024-F308EC6413CB"
STAGES = ("ingest", "thumbnail", "transcode")


def _up(h: Harness, token: str, path: Path, name: str, mime: str) -> str:
    r = h.upload(token, name, path.read_bytes(), content_type=mime)
    return str(r["assetId"])


def _row(h: Harness, asset_id: str) -> dict:
    with h.container.pool.connection() as conn:
        row = conn.execute(
            "SELECT status, visibility, live_photo_cid, live_photo_video_id, trashed_at"
            " FROM assets WHERE id = %s",
            (asset_id,),
        ).fetchone()
    assert row is not None
    return row


def _timeline_ids(h: Harness, token: str) -> list[str]:
    ids: list[str] = []
    for b in h.call("GET", "/api/timeline/buckets", token=token).json:
        assets = h.call(
            "GET", f"/api/timeline/bucket?timeBucket={b['timeBucket']}", token=token
        ).json
        ids += [a["id"] for a in assets]
    return ids


def _deliver_each_event_three_times(h: Harness) -> None:
    c = h.container
    url = c.queues.url("ingest")
    bodies = []
    while batch := c.sqs.receive_message(
        QueueUrl=url, MaxNumberOfMessages=10, WaitTimeSeconds=1
    ).get("Messages", []):
        for m in batch:
            bodies.append(m["Body"])
            c.sqs.delete_message(QueueUrl=url, ReceiptHandle=m["ReceiptHandle"])
    assert bodies
    for _ in range(3):
        for body in bodies:
            c.sqs.send_message(QueueUrl=url, MessageBody=body)


def _assert_linked(h: Harness, token: str, still: str, video: str) -> None:
    s = h.asset(token, still)
    v = h.asset(token, video)
    assert s["livePhotoVideoId"] == video and s["visibility"] == "timeline"
    assert (v["type"], v["visibility"], v["livePhotoVideoId"]) == ("VIDEO", "hidden", None)
    assert (s["status"], v["status"]) == ("ready", "ready")
    assert _row(h, still)["live_photo_cid"] == _row(h, video)["live_photo_cid"] == CID
    # One tile in the timeline (the still, pointing at its motion part); none in lists.
    assert _timeline_ids(h, token) == [still]
    listed = [a["id"] for a in h.call("GET", "/api/assets", token=token).json["items"]]
    assert listed == [still]
    # The motion part plays like any video: a redirect to an MP4/MOV stream of its own.
    r = h.call("GET", f"/api/assets/{video}/playback", token=token)
    assert r.status_code == 302
    key = presigned_key(r.headers["Location"])
    assert f"/{video}/" in key
    assert httpx.get(r.headers["Location"]).content[4:8] == b"ftyp"


def test_still_first_then_its_mov(harness: Harness) -> None:
    token = harness.user("live1@example.com")
    still = _up(harness, token, HEIC, "IMG_0001.HEIC", "image/heic")
    harness.drain(STAGES)
    assert harness.asset(token, still)["livePhotoVideoId"] is None  # not here yet
    video = _up(harness, token, LIVE / "IMG_0001.MOV", "IMG_0001.MOV", "video/quicktime")
    harness.drain(STAGES)
    _assert_linked(harness, token, still, video)


def test_mov_first_then_its_jpeg_still(harness: Harness) -> None:
    token = harness.user("live2@example.com")
    video = _up(harness, token, LIVE / "IMG_0001.MOV", "IMG_0001.MOV", "video/quicktime")
    harness.drain(STAGES)
    # Alone, the MOV is an ordinary video in the timeline.
    assert _timeline_ids(harness, token) == [video]
    still = _up(harness, token, LIVE / "IMG_0001.JPG", "IMG_0001.JPG", "image/jpeg")
    harness.drain(STAGES)
    _assert_linked(harness, token, still, video)


def test_both_at_once_and_every_event_three_times(harness: Harness) -> None:
    token = harness.user("live3@example.com")
    still = _up(harness, token, HEIC, "IMG_0001.HEIC", "image/heic")
    video = _up(harness, token, LIVE / "IMG_0001.MOV", "IMG_0001.MOV", "video/quicktime")
    _deliver_each_event_three_times(harness)
    harness.drain(STAGES)
    _assert_linked(harness, token, still, video)
    with harness.container.pool.connection() as conn:
        assert conn.execute("SELECT count(*) AS n FROM assets").fetchone()["n"] == 2


def test_trashing_the_still_trashes_its_motion_part_and_restore_brings_both(
    harness: Harness,
) -> None:
    token = harness.user("live4@example.com")
    still = _up(harness, token, HEIC, "IMG_0001.HEIC", "image/heic")
    video = _up(harness, token, LIVE / "IMG_0001.MOV", "IMG_0001.MOV", "video/quicktime")
    harness.drain(STAGES)
    r = harness.call("DELETE", "/api/assets", {"ids": [still]}, token=token)
    assert r.status_code == 204
    assert _row(harness, still)["trashed_at"] is not None
    assert _row(harness, video)["trashed_at"] is not None
    assert _timeline_ids(harness, token) == []
    stats = harness.call("GET", "/api/assets/statistics", token=token).json
    assert (stats["trashed"], stats["images"], stats["videos"]) == (1, 0, 0)  # one Live Photo
    r = harness.call("POST", "/api/trash/restore", {"ids": [still]}, token=token)
    assert r.status_code == 200, r.body
    assert r.json == {"count": 1}  # the motion part comes back with its still, uncounted
    assert _row(harness, video)["trashed_at"] is None
    stats = harness.call("GET", "/api/assets/statistics", token=token).json
    assert (stats["trashed"], stats["images"], stats["videos"], stats["total"]) == (0, 1, 0, 1)
    assert stats["usageBytes"] == HEIC.stat().st_size + (LIVE / "IMG_0001.MOV").stat().st_size
    # Deleting for good removes both, objects included.
    r = harness.call("DELETE", "/api/assets", {"ids": [still], "force": True}, token=token)
    assert r.status_code == 204
    with harness.container.pool.connection() as conn:
        assert conn.execute("SELECT count(*) AS n FROM assets").fetchone()["n"] == 0
    assert harness.container.store.keys("users/") == []


def test_another_users_mov_with_the_same_identifier_is_not_linked(harness: Harness) -> None:
    alice = harness.user("live5a@example.com")
    bob = harness.user("live5b@example.com")
    still = _up(harness, alice, HEIC, "IMG_0001.HEIC", "image/heic")
    video = _up(harness, bob, LIVE / "IMG_0001.MOV", "IMG_0001.MOV", "video/quicktime")
    harness.drain(STAGES)
    assert harness.asset(alice, still)["livePhotoVideoId"] is None
    assert harness.asset(bob, video)["visibility"] == "timeline"
    # Alice cannot reach Bob's video through its playback route either.
    assert harness.call("GET", f"/api/assets/{video}/playback", token=alice).status_code == 404


def _motion_photo_case(harness: Harness, email: str, data: bytes) -> None:
    mp4 = (CAMERA_SAMPLES / "android-gps.mp4").read_bytes()
    token = harness.user(email)
    created = harness.upload(token, "PXL_20240101_120000000.MP.jpg", data)
    still = str(created["assetId"])
    _deliver_each_event_three_times(harness)  # repeated events make one motion part
    harness.drain(STAGES)
    s = harness.asset(token, still)
    video = s["livePhotoVideoId"]
    assert video is not None and s["status"] == "ready" and s["type"] == "IMAGE"
    v = harness.asset(token, video)
    assert (v["type"], v["visibility"], v["status"]) == ("VIDEO", "hidden", "ready")
    assert v["originalFileName"] == "PXL_20240101_120000000.MP.mp4"
    # Ingest read the extracted MP4 itself: its length, size and GPS.
    e = v["exifInfo"]
    assert (v["duration"], v["width"], v["height"]) == ("0:00:00.170000", 1920, 1080)
    assert (e["latitude"], e["longitude"]) == (51.4169, -0.0806)
    # The motion part in S3 is exactly the embedded MP4, under users/ like any original.
    with harness.container.pool.connection() as conn:
        key = conn.execute("SELECT storage_key FROM assets WHERE id = %s", (video,)).fetchone()
    stored = harness.container.s3.get_object(
        Bucket=harness.container.settings.bucket, Key=key["storage_key"]
    )["Body"].read()
    assert stored == mp4
    assert _timeline_ids(harness, token) == [still]
    r = harness.call("GET", f"/api/assets/{video}/playback", token=token)
    assert r.status_code == 302
    with harness.container.pool.connection() as conn:
        n = conn.execute("SELECT count(*) AS n FROM assets WHERE type = 'VIDEO'").fetchone()
    assert n["n"] == 1


def test_google_motion_photo_video_is_extracted_and_linked(harness: Harness) -> None:
    jpeg = (CAMERA_SAMPLES / "nikon-coolpix-gps.jpg").read_bytes()
    mp4 = (CAMERA_SAMPLES / "android-gps.mp4").read_bytes()
    _motion_photo_case(harness, "mp1@example.com", google_motion_photo(jpeg, mp4))


def test_samsung_motion_photo_video_is_extracted_and_linked(harness: Harness) -> None:
    jpeg = (CAMERA_SAMPLES / "nikon-coolpix-gps.jpg").read_bytes()
    mp4 = (CAMERA_SAMPLES / "android-gps.mp4").read_bytes()
    _motion_photo_case(harness, "mp2@example.com", samsung_motion_photo(jpeg, mp4))


def test_plain_jpeg_has_no_motion_part(harness: Harness) -> None:
    token = harness.user("mp3@example.com")
    jpeg = (CAMERA_SAMPLES / "nikon-coolpix-gps.jpg").read_bytes()
    still = str(harness.upload(token, "DSCN0010.jpg", jpeg)["assetId"])
    harness.drain(STAGES)
    assert harness.asset(token, still)["livePhotoVideoId"] is None
    with harness.container.pool.connection() as conn:
        assert conn.execute("SELECT count(*) AS n FROM assets").fetchone()["n"] == 1


def test_ingest_parses_a_still_with_exiv2_once_for_its_metadata_and_its_pairing(
    harness: Harness, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The MakerNote's content identifier and the XMP that points at a motion photo's video
    come from the reading describe() made, not a second parse of the file."""
    from chalicelib.media import metadata, tags

    parsed: list[object] = []
    read_tags = tags.read_tags

    def counting(source: object) -> tags.Tags:
        parsed.append(source)
        return read_tags(source)  # type: ignore[arg-type]

    monkeypatch.setattr(tags, "read_tags", counting)
    monkeypatch.setattr(metadata, "read_tags", counting)
    token = harness.user("live-once@example.com")
    video = _up(harness, token, LIVE / "IMG_0001.MOV", "IMG_0001.MOV", "video/quicktime")
    harness.drain(STAGES)
    parsed.clear()
    still = _up(harness, token, LIVE / "IMG_0001.JPG", "IMG_0001.JPG", "image/jpeg")
    harness.drain(("ingest",))
    assert len(parsed) == 1, parsed
    harness.drain(STAGES)
    _assert_linked(harness, token, still, video)
