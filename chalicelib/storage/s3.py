"""S3 adapter: presigned URLs scoped to one key, short-lived, with integrity headers."""

from __future__ import annotations

from typing import Any

MAX_PRESIGN_SECONDS = 15 * 60


def presign_put(s3: Any, bucket: str, key: str, *, content_type: str, content_length: int,
                checksum_sha256_b64: str, expires_in: int = MAX_PRESIGN_SECONDS) -> tuple[str, dict[str, str]]:
    """A PUT URL for exactly one object. S3 refuses the upload if the body's SHA-256,
    Content-Type or length differ from what was signed. Returns (url, headers to send)."""
    if not 0 < expires_in <= MAX_PRESIGN_SECONDS:
        raise ValueError("presigned URLs live at most 15 minutes")
    url = s3.generate_presigned_url(
        "put_object",
        Params={"Bucket": bucket, "Key": key, "ContentType": content_type,
                "ContentLength": content_length, "ChecksumSHA256": checksum_sha256_b64,
                "ChecksumAlgorithm": "SHA256"},
        ExpiresIn=expires_in,
        HttpMethod="PUT",
    )
    headers = {"Content-Type": content_type, "x-amz-checksum-sha256": checksum_sha256_b64,
               "x-amz-sdk-checksum-algorithm": "SHA256"}
    return url, headers


def presign_get(s3: Any, bucket: str, key: str, *, filename: str | None = None,
                content_type: str | None = None, expires_in: int = 300,
                cache_control: str | None = None) -> str:
    params: dict[str, Any] = {"Bucket": bucket, "Key": key}
    if filename:
        safe = filename.replace('"', "").replace("\\", "")
        params["ResponseContentDisposition"] = f'attachment; filename="{safe}"'
    if content_type:
        params["ResponseContentType"] = content_type
    if cache_control:
        params["ResponseCacheControl"] = cache_control
    return str(s3.generate_presigned_url("get_object", Params=params, ExpiresIn=expires_in))
