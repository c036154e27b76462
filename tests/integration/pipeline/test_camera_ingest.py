"""Real camera files through upload, ingest and thumbnail: what the asset JSON says about
their time, size and each stage (samples: tests/fixtures/camera/SOURCES.md)."""

from __future__ import annotations

from tests.support.harness import Harness
from tests.support.samples import CAMERA_SAMPLES

SAMPLES = CAMERA_SAMPLES


def ingest(h: Harness, token: str, sample: str, name: str, content_type: str) -> dict:
    created = h.upload(token, name, (SAMPLES / sample).read_bytes(), content_type=content_type)
    h.drain(("ingest", "thumbnail"))
    return h.asset(token, created["assetId"])


def test_iphone_video_lands_at_its_local_time_with_its_offset(harness: Harness) -> None:
    token = harness.user("mov@example.com")
    a = ingest(harness, token, "iphone6-gps.mov", "IMG_0042.MOV", "video/quicktime")
    assert (a["type"], a["status"]) == ("VIDEO", "ready")
    e = a["exifInfo"]
    # Shot at 11:25:40 in Israel (+03:00): the timeline shows 11:25:40, not 08:25:40 UTC.
    assert a["localDateTime"].startswith("2019-07-24T11:25:40")
    assert e["dateTimeOriginal"].startswith("2019-07-24T08:25:40")
    assert (e["timeZone"], e["timeZoneSource"], e["dateSource"]) == ("+03:00", "tag", "quicktime")
    assert (e["make"], e["model"]) == ("Apple", "iPhone 6")
    assert (e["latitude"], e["longitude"]) == (32.0929, 34.862)
    # Displayed portrait (rotation 90), stored landscape.
    assert (a["width"], a["height"], e["exifImageWidth"], e["exifImageHeight"]) == (
        320,
        568,
        568,
        320,
    )


def test_photo_without_a_date_says_it_uses_the_file_time(harness: Harness) -> None:
    token = harness.user("nodate@example.com")
    a = ingest(harness, token, "portrait_6.jpg", "holiday.jpg", "image/jpeg")
    e = a["exifInfo"]
    assert (e["dateSource"], e["dateTimeOriginal"], e["timeZone"]) == ("file time", None, None)
    assert a["localDateTime"].startswith("2020-05-01T10:00:00")  # the client's fileCreatedAt
    # Orientation 6: shown portrait, EXIF size is the stored landscape one.
    assert (a["width"], a["height"], e["exifImageWidth"], e["exifImageHeight"]) == (
        450,
        600,
        600,
        450,
    )


def test_date_in_the_file_name_is_used_and_said(harness: Harness) -> None:
    token = harness.user("named@example.com")
    a = ingest(harness, token, "portrait_6.jpg", "IMG_20190724_112540.jpg", "image/jpeg")
    assert a["exifInfo"]["dateSource"] == "filename"
    assert a["localDateTime"].startswith("2019-07-24T11:25:40")


def test_gps_time_zone_fills_a_missing_offset(harness: Harness) -> None:
    token = harness.user("gps@example.com")
    a = ingest(harness, token, "nikon-coolpix-gps.jpg", "DSCN0010.jpg", "image/jpeg")
    e = a["exifInfo"]
    assert (e["timeZone"], e["timeZoneSource"]) == ("+02:00", "gps")
    assert a["localDateTime"].startswith("2008-10-22T16:28:39")
    assert e["dateTimeOriginal"].startswith("2008-10-22T14:28:39")
    assert (e["city"], e["country"]) != (None, None)


def test_raw_without_pixels_keeps_its_metadata_and_fails_once(harness: Harness) -> None:
    token = harness.user("raw@example.com")
    a = ingest(harness, token, "exiftool-CanonRaw.cr3", "IMG_0001.CR3", "image/x-canon-cr3")
    reason = (
        "the CR3 file is cut off (its pixel data is missing) and has no usable embedded preview"
    )
    assert (a["status"], a["failureReason"]) == ("failed", reason)
    e = a["exifInfo"]
    assert (e["make"], e["model"], e["dateSource"]) == ("Canon", "Canon EOS M50", "exif")
    assert a["localDateTime"].startswith("2018-02-21T12:08:56")
    stages = {s["stage"]: s for s in a["stages"]}
    assert (stages["thumbnail"]["status"], stages["thumbnail"]["error"]) == ("failed", reason)
    attempts = stages["thumbnail"]["attempts"]
    # A permanent failure: the message is finished, nothing comes back for another try.
    assert harness.drain(("ingest", "thumbnail")) == 0
    again = {s["stage"]: s for s in harness.asset(token, a["id"])["stages"]}
    assert again["thumbnail"]["attempts"] == attempts


def test_corrupt_rw2_fails_at_ingest_with_a_reason(harness: Harness) -> None:
    token = harness.user("rw2@example.com")
    a = ingest(harness, token, "corrupt-issue419.rw2", "P1000419.RW2", "image/x-panasonic-rw2")
    assert a["status"] == "failed"
    assert a["failureReason"] == (
        "the RW2 file is corrupt or truncated and cannot be read"
        " (Unsupported file format or not RAW file)"
    )
    stages = {s["stage"]: s for s in a["stages"]}
    assert stages["ingest"]["status"] == "failed"


def test_another_user_sees_no_stages(harness: Harness) -> None:
    owner = harness.user("owner@example.com")
    other = harness.user("other@example.com")
    a = ingest(harness, owner, "Canon_40D.jpg", "IMG_4040.jpg", "image/jpeg")
    r = harness.call("GET", f"/api/assets/{a['id']}", token=other)
    assert r.status_code in (403, 404)
    assert "stages" not in (r.json or {})


def test_a_stage_that_will_be_retried_shows_why_on_the_asset(harness: Harness) -> None:
    token = harness.user("retry@example.com")
    data = (SAMPLES / "Canon_40D.jpg").read_bytes()
    created = harness.upload(token, "IMG_4040.jpg", data, content_type="image/jpeg")
    harness.drain(("ingest",))
    a = harness.asset(token, created["assetId"])
    # The original vanishes between ingest and thumbnail: not the file's fault, so the
    # message goes back to the queue, and the asset says so instead of a bare "processing".
    harness.container.store.delete(f"users/{a['ownerId']}/{a['id']}/original.jpg")
    harness.drain(("thumbnail",), rounds=1)
    a = harness.asset(token, created["assetId"])
    thumb = {s["stage"]: s for s in a["stages"]}["thumbnail"]
    assert a["status"] == "processing" and a["failureReason"] is None
    assert thumb["status"] == "running"
    assert thumb["error"].startswith("will retry after ")
    assert thumb["attempts"] == 1  # started once
