"""Uploads through presigned PUTs, then ingest: metadata, failures, duplicates, retries."""

from __future__ import annotations

import io

import httpx
from PIL import Image

from tests.support.harness import Harness, b64sha
from tests.support.samples import camera_exif, make_clip, photo


def keys_in(h: Harness) -> list[str]:
    """Every object of the library: originals (users/) and what the stages made (derived/)."""
    return sorted(h.container.store.keys("users/") + h.container.store.keys("derived/"))


def originals(h: Harness) -> list[str]:
    return [k for k in keys_in(h) if "/original." in k]


def test_jpeg_with_exif_and_gps_is_described(harness: Harness) -> None:
    token = harness.user("alice@example.com")
    data = photo(exif=camera_exif(orientation=6))
    created = harness.upload(token, "IMG_0001.JPG", data)
    assert harness.asset(token, created["assetId"])["status"] == "pending"
    harness.drain()
    a = harness.asset(token, created["assetId"])
    assert (a["status"], a["type"], a["originalMimeType"]) == ("ready", "IMAGE", "image/jpeg")
    assert a["checksum"] == b64sha(data) and a["originalFileName"] == "IMG_0001.JPG"
    e = a["exifInfo"]
    assert (e["make"], e["model"], e["lensModel"]) == ("Canon", "Canon EOS R5", "RF50mm F1.8 STM")
    assert (e["fNumber"], e["exposureTime"], e["iso"], e["focalLength"]) == (
        2.8,
        "1/250",
        400,
        50.0,
    )
    assert e["orientation"] == 6
    # Orientation 6 turns the 64x48 sensor image upright as 48x64: the asset is shown 48x64,
    # while EXIF's size stays the stored one (Immich's meaning of exifImageWidth/Height).
    assert (e["exifImageWidth"], e["exifImageHeight"]) == (64, 48)
    assert (a["width"], a["height"]) == (48, 64)
    assert abs(e["latitude"] - (48 + 51 / 60 + 29.52 / 3600)) < 1e-6
    assert abs(e["longitude"] - (2 + 17 / 60 + 40.2 / 3600)) < 1e-6
    assert e["dateTimeOriginal"] == "2023-07-14T16:30:05.250000Z"  # 18:30:05.25 at +02:00
    assert e["timeZone"] == "+02:00" and a["localDateTime"].startswith("2023-07-14T18:30:05")
    assert (e["dateSource"], e["timeZoneSource"]) == ("exif", "tag")
    stages = {st["stage"]: st for st in a["stages"]}
    assert (stages["ingest"]["status"], stages["thumbnail"]["status"]) == ("done", "done")
    assert stages["thumbnail"]["error"] is None and stages["thumbnail"]["attempts"] == 1
    assert stages["ingest"]["attempts"] == 1
    assert e["description"] == "Pont Neuf at dusk" and e["fileSizeInByte"] == len(data)
    prefix = f"users/{a['ownerId']}/{a['id']}/"
    derived = f"derived/{a['ownerId']}/{a['id']}/"
    assert keys_in(harness) == sorted(
        [prefix + "original.jpg", derived + "preview.jpeg", derived + "thumbnail.webp"]
    )
    assert a["thumbhash"]
    # Only the original is tagged for the Intelligent-Tiering lifecycle rule.
    tags = harness.container.s3.get_object_tagging(
        Bucket=harness.container.settings.bucket, Key=prefix + "original.jpg"
    )["TagSet"]
    assert tags == [{"Key": "skyroll:kind", "Value": "original"}]
    derived = harness.container.s3.get_object_tagging(
        Bucket=harness.container.settings.bucket, Key=derived + "preview.jpeg"
    )["TagSet"]
    assert derived == []


def test_png_named_jpg_is_a_png_and_text_named_jpg_fails(harness: Harness) -> None:
    token = harness.user("alice@example.com")
    png = io.BytesIO()
    Image.new("RGB", (10, 10), "red").save(png, "PNG")
    as_png = harness.upload(token, "really-a-png.jpg", png.getvalue())
    text = harness.upload(token, "notes.jpg", b"hello, this is not a photo\n" * 10)
    harness.drain()
    p = harness.asset(token, as_png["assetId"])
    assert (p["status"], p["originalMimeType"]) == ("ready", "image/png")
    t = harness.asset(token, text["assetId"])
    assert t["status"] == "failed" and "text" in t["failureReason"].lower()
    # A failure never deletes the original.
    assert any(k.endswith(f"{text['assetId']}/original.jpg") for k in keys_in(harness))


def test_corrupt_truncated_and_empty_files_fail_with_reasons(harness: Harness) -> None:
    token = harness.user("alice@example.com")
    good = photo(seed=3, size=(200, 150))
    truncated = harness.upload(token, "cut.jpg", good[: len(good) // 3])
    empty = harness.upload(token, "empty.jpg", b"")
    garbage = harness.upload(token, "garbage.jpg", b"\xff\xd8\xff\xe0" + bytes(range(256)) * 8)
    fine = harness.upload(token, "fine.jpg", good)
    harness.drain()
    reasons = {
        n: harness.asset(token, x["assetId"])
        for n, x in (("cut", truncated), ("empty", empty), ("garbage", garbage), ("fine", fine))
    }
    assert reasons["fine"]["status"] == "ready"  # the rest of the batch is unaffected
    for name in ("cut", "empty", "garbage"):
        assert reasons[name]["status"] == "failed", name
        assert reasons[name]["failureReason"], name
    assert "empty" in reasons["empty"]["failureReason"]


def test_wrong_bytes_are_rejected_and_removed(harness: Harness) -> None:
    token = harness.user("alice@example.com")
    announced = photo(seed=4)
    other = photo(seed=5)
    assert len(other) == len(announced) or True
    r = harness.upload(
        token, "swap.jpg", announced, body=other[: len(announced)].ljust(len(announced), b"\0")
    )
    harness.drain()
    a = harness.asset(token, r["assetId"])
    assert a["status"] == "failed" and a["failureReason"].startswith("Checksum mismatch")
    assert keys_in(harness) == []  # the impostor object is gone
    # The checksum is free again: the real bytes can now be uploaded.
    again = harness.upload(token, "swap.jpg", announced)
    assert again["status"] == "created"


def test_same_bytes_twice_are_stored_once(harness: Harness) -> None:
    token = harness.user("alice@example.com")
    data = photo(seed=6)
    first = harness.upload(token, "a.jpg", data)
    harness.drain()
    second = harness.start_upload(token, "copy-of-a.jpg", data)
    assert second.status_code == 200
    assert second.json == {
        "status": "duplicate",
        "assetId": first["assetId"],
        "uploadId": None,
        "method": None,
        "url": None,
        "headers": None,
        "partSize": None,
        "partCount": None,
        "expiresAt": None,
    }
    check = harness.call(
        "POST",
        "/api/assets/bulk-upload-check",
        {
            "assets": [
                {"id": "x", "checksum": b64sha(data)},
                {"id": "y", "checksum": b64sha(b"new")},
            ]
        },
        token=token,
    )
    assert check.json["results"] == [
        {
            "id": "x",
            "action": "reject",
            "reason": "duplicate",
            "assetId": first["assetId"],
            "isTrashed": False,
        },
        {"id": "y", "action": "accept", "reason": None, "assetId": None, "isTrashed": None},
    ]
    harness.drain()
    assert len(originals(harness)) == 1
    # Another user uploading the same bytes gets their own asset.
    bob = harness.user("bob@example.com")
    assert harness.upload(bob, "a.jpg", data)["status"] == "created"


def test_every_event_delivered_three_times_gives_the_same_end_state(harness: Harness) -> None:
    token = harness.user("alice@example.com")
    ids = [harness.upload(token, f"p{i}.jpg", photo(seed=10 + i))["assetId"] for i in range(3)]
    c = harness.container
    url = c.queues.url("ingest")
    # Capture each event, then deliver it twice more.
    messages = []
    while batch := c.sqs.receive_message(
        QueueUrl=url, MaxNumberOfMessages=10, WaitTimeSeconds=1
    ).get("Messages", []):
        messages += batch
        for m in batch:
            c.sqs.delete_message(QueueUrl=url, ReceiptHandle=m["ReceiptHandle"])
    bodies = [m["Body"] for m in messages]
    for _ in range(3):
        for body in bodies:
            c.sqs.send_message(QueueUrl=url, MessageBody=body)
    harness.drain()
    with c.pool.connection() as conn:
        rows = conn.execute("SELECT status, count(*) AS n FROM assets GROUP BY status").fetchall()
        stages = conn.execute(
            "SELECT stage, status FROM asset_stages WHERE stage IN ('ingest', 'thumbnail')"
        ).fetchall()
        exif = conn.execute("SELECT count(*) AS n FROM asset_exif").fetchone()["n"]
    assert rows == [{"status": "ready", "n": 3}]
    assert sorted((s["stage"], s["status"]) for s in stages) == (
        [("ingest", "done")] * 3 + [("thumbnail", "done")] * 3
    )
    with c.pool.connection() as conn:
        files = conn.execute("SELECT count(*) AS n FROM asset_files").fetchone()["n"]
    assert exif == 3 and files == 6 and len(keys_in(harness)) == 9 and len(ids) == 3


def test_an_object_nobody_announced_is_reported_not_kept_silently(harness: Harness) -> None:
    c = harness.container
    key = (
        "users/00000000-0000-0000-0000-000000000001/"
        "00000000-0000-0000-0000-000000000002/original.jpg"
    )
    c.s3.put_object(Bucket=c.settings.bucket, Key=key, Body=b"stray")
    harness.drain()
    assert [o["storage_key"] for o in c.pipeline_repo.orphans()] == [key]


def test_video_metadata(harness: Harness, tmp_path) -> None:
    token = harness.user("alice@example.com")
    clip = make_clip(tmp_path / "clip.mp4", seconds=2)
    r = harness.upload(token, "clip.mp4", clip.read_bytes(), content_type="video/mp4")
    harness.drain()
    a = harness.asset(token, r["assetId"])
    assert (a["status"], a["type"]) == ("ready", "VIDEO")
    assert a["duration"].startswith("0:00:02")
    e = a["exifInfo"]
    assert (e["videoCodec"], e["audioCodec"], e["exifImageWidth"], e["exifImageHeight"]) == (
        "h264",
        "aac",
        320,
        240,
    )
    assert e["fps"] == 25
    # No creation time in the file: the client's file time, not "now".
    assert a["localDateTime"].startswith("2020-05-01T10:00:00")


def test_size_mismatch_is_rejected(harness: Harness) -> None:
    token = harness.user("alice@example.com")
    data = photo(seed=7)
    r = harness.start_upload(token, "short.jpg", data)
    # moto does not enforce the signed length; a client that sends fewer bytes is caught here.
    httpx.put(r.json["url"], content=data[:-10], headers=r.json["headers"])
    harness.drain()
    a = harness.asset(token, r.json["assetId"])
    assert a["status"] == "failed" and a["failureReason"].startswith("Size mismatch")


def test_an_announced_upload_whose_bytes_never_arrived_is_resumed_not_a_duplicate(
    harness: Harness,
) -> None:
    token = harness.user("alice@example.com")
    data = photo(seed=12)
    first = harness.start_upload(token, "lost.jpg", data).json  # the client dies here
    check = harness.call(
        "POST",
        "/api/assets/bulk-upload-check",
        {"assets": [{"id": "lost", "checksum": b64sha(data)}]},
        token=token,
    )
    assert check.json["results"][0]["action"] == "accept"
    assert check.json["results"][0]["assetId"] == first["assetId"]
    again = harness.start_upload(token, "lost.jpg", data)
    assert again.status_code == 201
    assert (again.json["assetId"], again.json["uploadId"]) == (first["assetId"], first["uploadId"])
    put = httpx.put(again.json["url"], content=data, headers=again.json["headers"])
    assert put.status_code == 200
    harness.drain()
    assert harness.asset(token, first["assetId"])["status"] == "ready"
    assert len(originals(harness)) == 1


def test_writing_derivatives_raises_no_upload_event(harness: Harness) -> None:
    """Only originals live under users/, the notification's prefix: the thumbnail stage's
    two files do not wake ingest again."""
    token = harness.user("alice@example.com")
    harness.upload(token, "a.jpg", photo(seed=77))
    assert harness.drain(("ingest",)) >= 1
    assert harness.runner.run_once("thumbnail", wait_seconds=0).size == 1
    assert len(harness.container.store.keys("derived/")) == 2
    assert harness.runner.run_once("ingest", wait_seconds=0).size == 0
