"""A stored filename cannot split or end early the presigned Content-Disposition header."""

from __future__ import annotations

from urllib.parse import parse_qs, urlparse

import boto3

from chalicelib.storage.s3 import presign_get


def _disposition(filename: str) -> str:
    s3 = boto3.client(
        "s3",
        region_name="us-east-1",
        aws_access_key_id="test",
        aws_secret_access_key="test",
    )
    url = presign_get(s3, "bucket", "key", filename=filename)
    return parse_qs(urlparse(url).query)["response-content-disposition"][0]


def test_control_characters_quotes_and_backslashes_are_dropped() -> None:
    header = _disposition('a\r\nSet-Cookie: x=1\x00\x1b"\\b\u2028.jpg')
    assert header == 'attachment; filename="aSet-Cookie: x=1b.jpg"'


def test_a_plain_name_is_kept() -> None:
    assert _disposition("Beach day (2).jpg") == 'attachment; filename="Beach day (2).jpg"'
