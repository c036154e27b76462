"""storage/windowed.py: botocore's presigned GET, signed at the start of a window instead of
now — byte for byte what botocore signs at that instant, and the same URL all window long."""

from __future__ import annotations

from datetime import UTC, datetime
from unittest import mock

import boto3
import botocore.auth
import pytest
from botocore.config import Config

from chalicelib.container import Container
from chalicelib.settings import Settings
from chalicelib.storage.windowed import presign_get_at, window_start

KEY = "derived/u 1/é+a/thumbnail.webp"
PARAMS = {"ResponseContentType": "image/webp", "ResponseCacheControl": "private, max-age=3600"}


def _client(endpoint: str | None, token: str | None):
    """An S3 client and the credentials it was made with."""
    session = boto3.session.Session(
        aws_access_key_id="AKIDEXAMPLE",
        aws_secret_access_key="wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
        aws_session_token=token,
    )
    s3 = session.client(
        "s3",
        region_name="eu-west-1",
        endpoint_url=endpoint,
        config=Config(signature_version="s3v4"),
    )
    return s3, session.get_credentials()


def _botocore_at(s3, at: datetime) -> str:
    with mock.patch.object(botocore.auth, "get_current_datetime", lambda: at):
        return s3.generate_presigned_url(
            "get_object", Params={"Bucket": "bkt", "Key": KEY, **PARAMS}, ExpiresIn=7200
        )


@pytest.mark.parametrize(
    ("endpoint", "token"),
    [(None, None), ("http://127.0.0.1:9999", "session/token+=="), (None, "tok")],
)
def test_same_bytes_as_botocore_signing_at_that_instant(endpoint, token) -> None:
    s3, credentials = _client(endpoint, token)
    at = datetime(2026, 12, 6, 23, 0, tzinfo=UTC)
    expected = _botocore_at(s3, at)
    got = presign_get_at(
        s3, "bkt", KEY, credentials=credentials, at=at, expires_in=7200, params=PARAMS
    )
    assert got == expected
    assert "X-Amz-Date=20261206T230000Z" in expected


def test_the_containers_store_signs_with_its_clients_credentials(monkeypatch) -> None:
    """The composition root hands the store the credentials its S3 client signs with."""
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIDFROMENV")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "secret-from-env")
    monkeypatch.setenv("AWS_SESSION_TOKEN", "token-from-env")
    c = Container(Settings(aws_region="eu-west-1", bucket="bkt", aws_endpoint_url=""))
    at = datetime(2026, 12, 6, 23, 0, tzinfo=UTC)
    expected = _botocore_at(c.s3, at)
    assert c.store.presign_get_at(KEY, at=at, expires_in=7200, params=PARAMS) == expected
    assert "AKIDFROMENV" in expected and "X-Amz-Security-Token=token-from-env" in expected


def test_one_url_per_window() -> None:
    s3, credentials = _client(None, None)

    def url(now: datetime) -> str:
        at = window_start(now, 3600)
        return presign_get_at(
            s3, "bkt", KEY, credentials=credentials, at=at, expires_in=7200, params=PARAMS
        )

    early = url(datetime(2026, 12, 6, 23, 0, 1, tzinfo=UTC))
    late = url(datetime(2026, 12, 6, 23, 59, 59, tzinfo=UTC))
    next_window = url(datetime(2026, 12, 7, 0, 0, 0, tzinfo=UTC))
    assert early == late
    assert next_window != early and "X-Amz-Date=20261207T000000Z" in next_window


def test_window_start_floors_to_the_window() -> None:
    now = datetime(2026, 12, 6, 23, 17, 42, 123, tzinfo=UTC)
    assert window_start(now, 3600) == datetime(2026, 12, 6, 23, 0, tzinfo=UTC)
    assert window_start(now, 60) == datetime(2026, 12, 6, 23, 17, tzinfo=UTC)


# A caller that forgets ``credentials`` while passing the response parameters must fail the
# type check; with ``**params: str`` it passed (the spread dict might have held it).
_CALLERS = """
from datetime import datetime
from typing import Any

from chalicelib.storage.s3 import ObjectStore
from chalicelib.storage.windowed import presign_get_at


def signed(s3: Any, creds: Any, params: dict[str, str], at: datetime) -> str:
    return presign_get_at(s3, "b", "k", credentials=creds, at=at, expires_in=60, params=params)


def forgot_credentials(s3: Any, params: dict[str, str], at: datetime) -> str:
    return presign_get_at(s3, "b", "k", at=at, expires_in=60, params=params)


def spread_params(s3: Any, creds: Any, params: dict[str, str], at: datetime) -> str:
    return presign_get_at(s3, "b", "k", credentials=creds, at=at, expires_in=60, **params)


def store_signed(store: ObjectStore, params: dict[str, str], at: datetime) -> str:
    return store.presign_get_at("k", at=at, expires_in=60, params=params)


def store_spread(store: ObjectStore, params: dict[str, str], at: datetime) -> str:
    return store.presign_get_at("k", at=at, expires_in=60, **params)
"""


@pytest.mark.slow
def test_mypy_rejects_a_call_without_credentials_or_with_spread_params(tmp_path) -> None:
    from mypy import api

    source = tmp_path / "callers.py"
    source.write_text(_CALLERS)
    out, err, status = api.run(
        ["--strict", "--ignore-missing-imports", "--follow-imports=silent"]
        + ["--cache-dir", str(tmp_path / "cache"), "--no-error-summary", str(source)]
    )
    lines = _CALLERS.splitlines()
    flagged = {lines[int(row.split(":")[1]) - 1].strip() for row in out.splitlines()}
    assert status == 1, out + err
    assert flagged == {
        'return presign_get_at(s3, "b", "k", at=at, expires_in=60, params=params)',
        'return presign_get_at(s3, "b", "k", credentials=creds, at=at, expires_in=60, **params)',
        'return store.presign_get_at("k", at=at, expires_in=60, **params)',
    }, out
    assert 'Missing named argument "credentials"' in out
