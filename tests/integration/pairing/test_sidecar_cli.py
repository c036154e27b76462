"""``skyroll upload`` sends the XMP sidecar it finds next to a photo with that photo, and
never uploads an ``.xmp`` as an asset: the real API (chalice test client behind an httpx
transport), real moto S3 and PostgreSQL, the real ingest."""

from __future__ import annotations

import json
from pathlib import Path

from tests.support.cli import login
from tests.support.harness import Harness
from tests.support.samples import CAMERA_SAMPLES


def test_upload_sends_each_photos_sidecar_and_no_xmp_asset(
    harness: Harness, skyroll, tmp_path: Path
) -> None:
    harness.user("cli-xmp@example.com")
    folder = tmp_path / "shoot"
    folder.mkdir()
    photo = (CAMERA_SAMPLES / "Canon_40D.jpg").read_bytes()
    (folder / "IMG_1.jpg").write_bytes(photo)
    (folder / "IMG_1.jpg.xmp").write_bytes((CAMERA_SAMPLES / "exiftool-XMP.xmp").read_bytes())
    (folder / "IMG_2.jpg").write_bytes(photo + b"\0")  # other bytes, same EXIF
    (folder / "IMG_2.xmp").write_bytes((CAMERA_SAMPLES / "immich-2010.xmp").read_bytes())
    (folder / "IMG_3.xmp").write_bytes(b"<x/>")  # no photo of that name

    login(skyroll, "cli-xmp@example.com", "password-123")
    result = skyroll("upload", str(folder), "--json")
    assert result.exit_code == 0, result.output
    rows = {Path(r["path"]).name: r for r in json.loads(result.stdout)["results"]}
    assert {n: (r["status"], r["reason"]) for n, r in rows.items()} == {
        "IMG_1.jpg": ("uploaded", None),
        "IMG_2.jpg": ("uploaded", None),
        "IMG_3.xmp": ("skipped", "XMP sidecar without its photo"),
    }
    harness.drain()
    token = harness.login("cli-xmp@example.com", "password-123")
    one = harness.asset(token, rows["IMG_1.jpg"]["assetId"])
    two = harness.asset(token, rows["IMG_2.jpg"]["assetId"])
    assert one["sidecar"]["status"] == two["sidecar"]["status"] == "applied"
    assert one["localDateTime"] == "2005-06-09T20:09:27Z" and one["exifInfo"]["rating"] == 1
    assert two["localDateTime"] == "2010-09-27T14:35:33Z"
    assert harness.call("GET", "/api/assets/statistics", token=token).json["total"] == 2
