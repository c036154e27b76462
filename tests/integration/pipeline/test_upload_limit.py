"""Uploads larger than the stages can hold in Lambda's /tmp are refused when the ticket is
asked for (413, before any byte is sent), with the limit infra derives from /tmp."""

from __future__ import annotations

import sys
from pathlib import Path

from chalicelib.container import Container

sys.path.insert(0, str(Path(__file__).resolve().parents[3] / "infra"))

from skyroll_cdk.pipeline import max_upload_bytes  # noqa: E402

from tests.support.harness import Harness  # noqa: E402

BASE = {
    "filename": "film.mp4",
    "checksum": "A" * 43 + "=",
    "contentType": "video/mp4",
    "fileCreatedAt": "2020-01-01T00:00:00Z",
    "fileModifiedAt": "2020-01-01T00:00:00Z",
}


def test_a_file_over_the_deployed_limit_gets_a_clear_413(
    harness: Harness,
    aws_container: Container,
):
    # Given the limit a deployed stack gets (SKYROLL_MAX_UPLOAD_BYTES from infra)
    limit = max_upload_bytes()
    aws_container.settings.max_upload_bytes = limit
    token = harness.user("filmmaker@example.com")
    # When a file one byte over it asks for a ticket, then 413 says the limit
    over = harness.call("POST", "/api/assets/uploads", {**BASE, "size": limit + 1}, token=token)
    assert over.status_code == 413, over.body
    assert over.json["error"] == "Payload Too Large"
    assert over.json["message"] == (
        f"File is larger than the 7.5 GiB ({limit} bytes) this server can process"
    )
    # And nothing was recorded for it
    assert harness.call("GET", "/api/assets", token=token).json["items"] == []
    # While a file of exactly the limit gets its (multipart) ticket
    at = harness.call("POST", "/api/assets/uploads", {**BASE, "size": limit}, token=token)
    assert at.status_code == 201, at.body
    assert at.json["method"] == "MULTIPART"
