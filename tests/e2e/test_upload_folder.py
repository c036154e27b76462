"""End to end: the `skyroll` command uploads a mixed folder to the stack `make dev`
starts; then rows, metadata, duplicates, failure reasons, S3 keys and checksums are checked."""

from __future__ import annotations

import base64
import hashlib
import io
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import boto3
import numpy as np
import pillow_heif
import psycopg
import pytest
from PIL import Image

from tests.support import timeouts
from tests.support.samples import camera_exif, make_clip
from tests.support.stack import ADMIN_EMAIL, ADMIN_PASSWORD, running_stack

pytestmark = [pytest.mark.e2e, pytest.mark.slow]
MIB = 1024 * 1024
SKYROLL = str(Path(sys.executable).parent / "skyroll")


def sha(data: bytes) -> str:
    return base64.b64encode(hashlib.sha256(data).digest()).decode()


def noise(seed: int, w: int, h: int) -> Image.Image:
    pixels = np.random.default_rng(seed).integers(0, 255, (h, w, 3), dtype=np.uint8)
    return Image.fromarray(pixels)


def save(image: Image.Image, path: Path, fmt: str, **kw: object) -> bytes:
    buf = io.BytesIO()
    image.save(buf, fmt, **kw)
    path.write_bytes(buf.getvalue())
    return buf.getvalue()


def make_folder(root: Path) -> dict[str, bytes]:
    root.mkdir()
    files = {
        "paris.jpg": save(noise(1, 320, 240), root / "paris.jpg", "JPEG", exif=camera_exif()),
        "plain.png": save(noise(2, 64, 64), root / "plain.png", "PNG"),
        "big.jpg": save(noise(3, 3200, 2000), root / "big.jpg", "JPEG", quality=100),
        "corrupt.jpg": b"\xff\xd8\xff\xe0" + bytes(range(256)) * 4,
        "empty.jpg": b"",
    }
    (root / "corrupt.jpg").write_bytes(files["corrupt.jpg"])
    (root / "empty.jpg").write_bytes(b"")
    heif = pillow_heif.from_pillow(noise(4, 96, 64))
    buf = io.BytesIO()
    heif.save(buf, quality=80)
    files["phone.heic"] = buf.getvalue()
    (root / "phone.heic").write_bytes(files["phone.heic"])
    files["clip.mp4"] = make_clip(root / "clip.mp4", seconds=1).read_bytes()
    sub = root / "again"
    sub.mkdir()
    (sub / "paris-copy.jpg").write_bytes(files["paris.jpg"])  # the same JPEG, another name
    assert len(files["big.jpg"]) > 6 * MIB
    return files


def skyroll(env: dict[str, str], *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [SKYROLL, *args], env=env, capture_output=True, text=True, timeout=300, check=False
    )


def test_cli_uploads_a_mixed_folder_end_to_end(tmp_path: Path) -> None:
    files = make_folder(tmp_path / "photos")
    env_extra = {
        "SKYROLL_MULTIPART_THRESHOLD_BYTES": str(6 * MIB),
        "SKYROLL_MULTIPART_PART_SIZE_BYTES": str(5 * MIB),
    }
    with running_stack(env_extra) as stack:
        env = {**os.environ, "SKYROLL_CONFIG_DIR": str(tmp_path / "cfg"), "COLUMNS": "200"}
        login = skyroll(
            env,
            "login",
            "--server",
            stack.url,
            "--email",
            ADMIN_EMAIL,
            "--password",
            ADMIN_PASSWORD,
        )
        assert login.returncode == 0, login.stdout + login.stderr
        up = skyroll(env, "upload", str(tmp_path / "photos"), "--recursive", "--json")
        report = json.loads(up.stdout)
        by_name = {Path(r["path"]).name: r["status"] for r in report["results"]}
        # Uploading is fine for every file; two of them fail later, in ingest.
        assert by_name["paris.jpg"] != by_name["paris-copy.jpg"]
        assert {by_name["paris.jpg"], by_name["paris-copy.jpg"]} == {"uploaded", "duplicate"}
        deadline = time.monotonic() + timeouts.pipeline()
        while True:
            listed = json.loads(skyroll(env, "assets", "list", "--json").stdout)["items"]
            settled = all(a["status"] in ("ready", "failed") for a in listed)
            if settled or time.monotonic() > deadline:
                break
            time.sleep(1)
        assets = {a["originalFileName"]: a for a in listed}
        dsn, endpoint = stack.env["SKYROLL_DATABASE_URL"], stack.env["SKYROLL_AWS_ENDPOINT_URL"]
        s3 = boto3.client(
            "s3",
            endpoint_url=endpoint,
            region_name="us-east-1",
            aws_access_key_id="testing",
            aws_secret_access_key="testing",
        )
        keys = [o["Key"] for o in s3.list_objects_v2(Bucket="skyroll-media").get("Contents", [])]
        with psycopg.connect(dsn) as conn:
            rows = conn.execute("SELECT original_file_name, status FROM assets").fetchall()

    # One asset per distinct file: the copy was stored once.
    assert sorted(assets) == sorted(
        [
            "paris.jpg" if by_name["paris.jpg"] == "uploaded" else "paris-copy.jpg",
            "plain.png",
            "big.jpg",
            "corrupt.jpg",
            "empty.jpg",
            "phone.heic",
            "clip.mp4",
        ]
    )
    assert len(rows) == 7
    paris = assets.get("paris.jpg") or assets["paris-copy.jpg"]
    assert paris["status"] == "ready" and paris["checksum"] == sha(files["paris.jpg"])
    e = paris["exifInfo"]
    assert (e["make"], e["model"], e["iso"], e["exposureTime"]) == (
        "Canon",
        "Canon EOS R5",
        400,
        "1/250",
    )
    assert abs(e["latitude"] - 48.858200) < 1e-4 and abs(e["longitude"] - 2.294500) < 1e-4
    assert e["dateTimeOriginal"].startswith("2023-07-14T16:30:05")
    assert assets["plain.png"]["originalMimeType"] == "image/png"
    assert assets["phone.heic"]["status"] == "ready"
    assert assets["phone.heic"]["originalMimeType"] in ("image/heic", "image/heif")
    clip = assets["clip.mp4"]
    assert (clip["status"], clip["type"], clip["exifInfo"]["videoCodec"]) == (
        "ready",
        "VIDEO",
        "h264",
    )
    big = assets["big.jpg"]
    assert big["status"] == "ready" and big["checksum"] == sha(files["big.jpg"])
    assert assets["empty.jpg"]["status"] == "failed"
    assert "empty" in assets["empty.jpg"]["failureReason"]
    assert assets["corrupt.jpg"]["status"] == "failed" and assets["corrupt.jpg"]["failureReason"]
    # Every original under users/{owner}/{asset}/original.{ext}; thumbnails for the ready ones.
    for name, asset in assets.items():
        prefix = f"users/{asset['ownerId']}/{asset['id']}/"
        derived = f"derived/{asset['ownerId']}/{asset['id']}/"
        ext = Path(name).suffix.lstrip(".").lower()
        assert prefix + f"original.{ext}" in keys, name
        if asset["status"] == "ready":
            assert derived + "thumbnail.webp" in keys and derived + "preview.jpeg" in keys, name
    originals = [k for k in keys if "/original." in k]
    assert len(originals) == 7
