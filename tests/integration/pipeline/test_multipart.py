"""Multipart uploads: part URLs signed per part, resume after an interruption, completion
checks, abort."""

from __future__ import annotations

import httpx

from tests.support.harness import Harness
from tests.support.samples import big_photo, sha

MiB = 1024 * 1024


def parts_of(data: bytes, part_size: int) -> list[bytes]:
    return [data[i : i + part_size] for i in range(0, len(data), part_size)]


def test_interrupted_upload_resumes_without_resending_finished_parts(harness: Harness) -> None:
    token = harness.user("alice@example.com")
    data = big_photo()
    start = harness.start_upload(token, "big.jpg", data)
    assert start.status_code == 201, start.body
    up = start.json
    assert (up["method"], up["partSize"], up["partCount"]) == ("MULTIPART", 5 * MiB, 3)
    chunks = parts_of(data, up["partSize"])
    uid = up["uploadId"]
    urls = harness.call(
        "POST",
        f"/api/assets/uploads/{uid}/parts",
        {"parts": [{"partNumber": n, "checksum": sha(c)} for n, c in enumerate(chunks, 1)]},
        token=token,
    )
    assert urls.status_code == 200, urls.body
    signed = urls.json["parts"]
    assert [p["partNumber"] for p in signed] == [1, 2, 3]
    assert signed[0]["headers"]["x-amz-checksum-sha256"] == sha(chunks[0])
    # First session: two parts, then the connection "drops".
    for part in signed[:2]:
        r = httpx.put(part["url"], content=chunks[part["partNumber"] - 1], headers=part["headers"])
        assert r.status_code == 200, r.text
    early = harness.call("POST", f"/api/assets/uploads/{uid}/complete", {}, token=token)
    assert early.status_code == 400 and "[3]" in early.json["message"]
    # Second session: ask S3 what it has, send only the rest.
    have = harness.call("GET", f"/api/assets/uploads/{uid}/parts", token=token).json["parts"]
    assert [(p["partNumber"], p["size"]) for p in have] == [(1, 5 * MiB), (2, 5 * MiB)]
    missing = [p for p in signed if p["partNumber"] not in {h["partNumber"] for h in have}]
    assert [p["partNumber"] for p in missing] == [3]
    r = httpx.put(missing[0]["url"], content=chunks[2], headers=missing[0]["headers"])
    assert r.status_code == 200
    done = harness.call("POST", f"/api/assets/uploads/{uid}/complete", {}, token=token)
    assert done.status_code == 200 and done.json["assetId"] == up["assetId"]
    again = harness.call("POST", f"/api/assets/uploads/{uid}/complete", {}, token=token)
    assert again.status_code == 409
    harness.drain()
    asset = harness.asset(token, up["assetId"])
    assert asset["status"] == "ready", asset["failureReason"]
    assert asset["checksum"] == sha(data) and asset["exifInfo"]["fileSizeInByte"] == len(data)
    key = harness.container.store.keys(f"users/{asset['ownerId']}/{asset['id']}/original")[0]
    tags = harness.container.s3.get_object_tagging(
        Bucket=harness.container.settings.bucket, Key=key
    )["TagSet"]
    assert tags == [{"Key": "skyroll:kind", "Value": "original"}]


def test_part_requests_are_checked(harness: Harness) -> None:
    token = harness.user("alice@example.com")
    up = harness.start_upload(token, "big.jpg", big_photo()).json
    uid = up["uploadId"]
    beyond = harness.call(
        "POST",
        f"/api/assets/uploads/{uid}/parts",
        {"parts": [{"partNumber": 4, "checksum": sha(b"x")}]},
        token=token,
    )
    assert beyond.status_code == 400 and "beyond" in beyond.json["message"]
    too_many = harness.call(
        "POST",
        f"/api/assets/uploads/{uid}/parts",
        {"parts": [{"partNumber": 1, "checksum": sha(b"x")}] * 101},
        token=token,
    )
    assert too_many.status_code == 400 and too_many.json["details"][0]["field"] == "parts"
    bob = harness.user("bob@example.com")
    for method, path in (
        ("GET", f"/api/assets/uploads/{uid}/parts"),
        ("POST", f"/api/assets/uploads/{uid}/complete"),
        ("DELETE", f"/api/assets/uploads/{uid}"),
    ):
        assert (
            harness.call(method, path, {} if method == "POST" else None, token=bob).status_code
            == 404
        )


def test_abort_removes_the_pending_asset(harness: Harness) -> None:
    token = harness.user("alice@example.com")
    up = harness.start_upload(token, "big.jpg", big_photo()).json
    assert (
        harness.call("DELETE", f"/api/assets/uploads/{up['uploadId']}", token=token).status_code
        == 204
    )
    assert harness.call("GET", f"/api/assets/{up['assetId']}", token=token).status_code == 404
    c = harness.container
    assert c.s3.list_multipart_uploads(Bucket=c.settings.bucket).get("Uploads", []) == []
