"""S3 adapter: presigned URLs scoped to one key, short-lived, with integrity headers."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any

from chalicelib.storage import windowed

MAX_PRESIGN_SECONDS = 15 * 60
# Originals carry this tag: the bucket's lifecycle moves tagged objects to Intelligent-Tiering
# (keys can't tell originals from derivatives by prefix). URL-encoded, as S3 wants it.
ORIGINAL_TAGGING = "skyroll%3Akind=original"
DOWNLOAD_CHUNK = 1 << 20  # bytes per write while streaming an object to a file


def presign_put(
    s3: Any,
    bucket: str,
    key: str,
    *,
    content_type: str,
    content_length: int,
    checksum_sha256_b64: str,
    expires_in: int = MAX_PRESIGN_SECONDS,
) -> tuple[str, dict[str, str]]:
    """A PUT URL for exactly one object. S3 refuses the upload if the body's SHA-256,
    Content-Type or length differ from what was signed. Returns (url, headers to send)."""
    if not 0 < expires_in <= MAX_PRESIGN_SECONDS:
        raise ValueError("presigned URLs live at most 15 minutes")
    url = s3.generate_presigned_url(
        "put_object",
        Params={
            "Bucket": bucket,
            "Key": key,
            "ContentType": content_type,
            "ContentLength": content_length,
            "ChecksumSHA256": checksum_sha256_b64,
            "ChecksumAlgorithm": "SHA256",
            "Tagging": ORIGINAL_TAGGING,
        },
        ExpiresIn=expires_in,
        HttpMethod="PUT",
    )
    headers = {
        "Content-Type": content_type,
        "x-amz-checksum-sha256": checksum_sha256_b64,
        "x-amz-sdk-checksum-algorithm": "SHA256",
        "x-amz-tagging": ORIGINAL_TAGGING,
    }
    return url, headers


def attachment(filename: str) -> str:
    """A Content-Disposition that downloads under ``filename``. A header value: no quote or
    backslash to end it early, no control character (CR/LF would split it); rows stored
    before the API refused these still exist."""
    safe = "".join(ch for ch in filename if ch.isprintable() and ch not in '"\\')
    return f'attachment; filename="{safe}"'


def presign_get(
    s3: Any,
    bucket: str,
    key: str,
    *,
    filename: str | None = None,
    content_type: str | None = None,
    expires_in: int = 300,
    cache_control: str | None = None,
) -> str:
    params: dict[str, Any] = {"Bucket": bucket, "Key": key}
    if filename:
        params["ResponseContentDisposition"] = attachment(filename)
    if content_type:
        params["ResponseContentType"] = content_type
    if cache_control:
        params["ResponseCacheControl"] = cache_control
    return str(s3.generate_presigned_url("get_object", Params=params, ExpiresIn=expires_in))


class FetchedObject:
    """One GET's answer: the object's head fields (``ContentLength``, ``ContentType``, its
    checksum) at hand before any of its body is read, so a caller can refuse the object
    without downloading it; the body is then streamed once (``write_to``) or closed."""

    def __init__(self, response: Mapping[str, Any]) -> None:
        self.head = {k: v for k, v in response.items() if k != "Body"}
        self._body = response["Body"]

    @property
    def size(self) -> int:
        return int(self.head["ContentLength"])

    def write_to(self, fileobj: Any) -> None:
        """Streams the body into ``fileobj``. With the checksum asked for (``ObjectStore.get``
        does), a body that is not the stored object's raises ``FlexibleChecksumError`` as its
        end is read."""
        for chunk in self._body.iter_chunks(DOWNLOAD_CHUNK):
            fileobj.write(chunk)

    def close(self) -> None:
        self._body.close()

    def __enter__(self) -> FetchedObject:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class ObjectStore:
    """The one bucket, behind a small port: presigning, multipart, reads and deletes."""

    def __init__(self, s3: Any, bucket: str, credentials: Callable[[], Any] | None = None) -> None:
        self.s3 = s3
        self.bucket = bucket
        # The client's credentials (botocore ``Credentials``), for URLs signed at a chosen
        # instant (storage/windowed.py): botocore's client does not hand them out.
        self.credentials = credentials

    # --- presigned --------------------------------------------------------------------
    def presign_put(
        self, key: str, *, content_type: str, size: int, checksum_b64: str, expires_in: int
    ) -> tuple[str, dict[str, str]]:
        return presign_put(
            self.s3,
            self.bucket,
            key,
            content_type=content_type,
            content_length=size,
            checksum_sha256_b64=checksum_b64,
            expires_in=expires_in,
        )

    def presign_get(self, key: str, **kwargs: Any) -> str:
        return presign_get(self.s3, self.bucket, key, **kwargs)

    def presign_get_at(
        self, key: str, *, at: datetime, expires_in: int, params: Mapping[str, str]
    ) -> str:
        """A GET URL signed at ``at``, the same all window long (storage/windowed.py)."""
        if self.credentials is None:
            raise RuntimeError("this store was built without the client's credentials")
        return windowed.presign_get_at(
            self.s3,
            self.bucket,
            key,
            credentials=self.credentials(),
            at=at,
            expires_in=expires_in,
            params=params,
        )

    # --- multipart ------------------------------------------------------------------
    def create_multipart(self, key: str, content_type: str) -> str:
        response = self.s3.create_multipart_upload(
            Bucket=self.bucket,
            Key=key,
            ContentType=content_type,
            ChecksumAlgorithm="SHA256",
            Tagging=ORIGINAL_TAGGING,
        )
        return str(response["UploadId"])

    def presign_part(
        self,
        key: str,
        upload_id: str,
        part_number: int,
        size: int,
        checksum_b64: str,
        expires_in: int,
    ) -> tuple[str, dict[str, str]]:
        if not 0 < expires_in <= MAX_PRESIGN_SECONDS:
            raise ValueError("presigned URLs live at most 15 minutes")
        url = self.s3.generate_presigned_url(
            "upload_part",
            Params={
                "Bucket": self.bucket,
                "Key": key,
                "UploadId": upload_id,
                "PartNumber": part_number,
                "ContentLength": size,
                "ChecksumSHA256": checksum_b64,
                "ChecksumAlgorithm": "SHA256",
            },
            ExpiresIn=expires_in,
            HttpMethod="PUT",
        )
        return str(url), {
            "x-amz-checksum-sha256": checksum_b64,
            "x-amz-sdk-checksum-algorithm": "SHA256",
        }

    def list_parts(self, key: str, upload_id: str) -> list[dict[str, Any]]:
        parts: list[dict[str, Any]] = []
        marker = 0
        while True:
            page = self.s3.list_parts(
                Bucket=self.bucket, Key=key, UploadId=upload_id, PartNumberMarker=marker
            )
            parts.extend(page.get("Parts", []))
            if not page.get("IsTruncated"):
                return parts
            marker = int(page["NextPartNumberMarker"])

    def complete_multipart(self, key: str, upload_id: str, parts: list[dict[str, Any]]) -> None:
        self.s3.complete_multipart_upload(
            Bucket=self.bucket,
            Key=key,
            UploadId=upload_id,
            MultipartUpload={
                "Parts": [
                    {k: p[k] for k in ("PartNumber", "ETag", "ChecksumSHA256") if p.get(k)}
                    for p in parts
                ]
            },
        )

    def abort_multipart(self, key: str, upload_id: str) -> None:
        from botocore.exceptions import ClientError

        try:
            self.s3.abort_multipart_upload(Bucket=self.bucket, Key=key, UploadId=upload_id)
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") != "NoSuchUpload":
                raise

    # --- objects --------------------------------------------------------------------
    def head(self, key: str) -> dict[str, Any] | None:
        from botocore.exceptions import ClientError

        try:
            return dict(self.s3.head_object(Bucket=self.bucket, Key=key, ChecksumMode="ENABLED"))
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") in ("404", "NoSuchKey", "NotFound"):
                return None
            raise

    def existing(self, keys: list[str], workers: int = 8) -> set[str]:
        """Which of these keys hold an object: HEADs in parallel (a bulk check may ask about
        hundreds of pending uploads, one round trip each)."""
        if not keys:
            return set()
        from concurrent.futures import ThreadPoolExecutor

        with ThreadPoolExecutor(min(workers, len(keys))) as pool:
            found = pool.map(lambda key: self.head(key) is not None, keys)
            return {key for key, there in zip(keys, found, strict=True) if there}

    def download(self, key: str, fileobj: Any) -> None:
        """Streams the object into ``fileobj`` with one GET. boto3's ``download_fileobj``
        HEADs the object first and starts a thread pool for every call, to fetch ranges of
        large objects in parallel; a stage reads each original once, front to back, so the
        extra request and the threads were pure cost. The object's checksum is still
        checked as the body is read (a mismatch raises ``FlexibleChecksumError``)."""
        body = self.s3.get_object(Bucket=self.bucket, Key=key, ChecksumMode="ENABLED")["Body"]
        for chunk in body.iter_chunks(DOWNLOAD_CHUNK):
            fileobj.write(chunk)

    def get(self, key: str) -> FetchedObject | None:
        """The object with one GET, None when there is no such key: a HEAD's answer (size,
        type, checksum) and the body behind it, for a caller that checks the one before
        reading the other (ingest checks the size it was announced). Close it, or use it
        as a context manager."""
        from botocore.exceptions import ClientError

        try:
            response = self.s3.get_object(Bucket=self.bucket, Key=key, ChecksumMode="ENABLED")
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") in ("NoSuchKey", "404", "NotFound"):
                return None
            raise
        return FetchedObject(response)

    def upload_file(self, key: str, path: str, content_type: str) -> None:
        """Streams a local file up (multipart above boto3's threshold): for outputs larger
        than a Lambda's memory, such as encoded videos."""
        self.s3.upload_file(path, self.bucket, key, ExtraArgs={"ContentType": content_type})

    def open(self, key: str) -> Any:
        """The object's streaming body, or None if it does not exist."""
        from botocore.exceptions import ClientError

        try:
            return self.s3.get_object(Bucket=self.bucket, Key=key)["Body"]
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") in ("NoSuchKey", "404", "NotFound"):
                return None
            raise

    def put(self, key: str, body: bytes, content_type: str) -> None:
        self.s3.put_object(Bucket=self.bucket, Key=key, Body=body, ContentType=content_type)

    def delete(self, key: str) -> None:
        self.s3.delete_object(Bucket=self.bucket, Key=key)

    def delete_prefix(self, prefix: str) -> int:
        """Deletes every object under ``prefix`` (an asset's folder); returns how many."""
        deleted = 0
        paginator = self.s3.get_paginator("list_objects_v2")
        for page in paginator.paginate(Bucket=self.bucket, Prefix=prefix):
            keys = [{"Key": o["Key"]} for o in page.get("Contents", [])]
            if keys:
                self.s3.delete_objects(Bucket=self.bucket, Delete={"Objects": keys, "Quiet": True})
                deleted += len(keys)
        return deleted

    def keys(self, prefix: str) -> list[str]:
        paginator = self.s3.get_paginator("list_objects_v2")
        return [
            o["Key"]
            for page in paginator.paginate(Bucket=self.bucket, Prefix=prefix)
            for o in page.get("Contents", [])
        ]

    def objects(self, prefix: str) -> list[dict[str, Any]]:
        """Every object under ``prefix`` as S3 lists it (Key, Size, ETag, LastModified)."""
        paginator = self.s3.get_paginator("list_objects_v2")
        return [
            dict(o)
            for page in paginator.paginate(Bucket=self.bucket, Prefix=prefix)
            for o in page.get("Contents", [])
        ]

    def for_bucket(self, bucket: str | None) -> ObjectStore:
        """The same client on another bucket (an external library's, read only); this store
        for None (an asset whose original is in Skyroll's bucket)."""
        return ObjectStore(self.s3, bucket, self.credentials) if bucket else self

    def list_page(self, prefix: str, token: str | None, max_keys: int) -> dict[str, Any]:
        """One page of a listing: ``{"objects": [...], "next_token": str | None}``."""
        kwargs: dict[str, Any] = {"Bucket": self.bucket, "Prefix": prefix, "MaxKeys": max_keys}
        if token:
            kwargs["ContinuationToken"] = token
        page = self.s3.list_objects_v2(**kwargs)
        return {
            "objects": [dict(o) for o in page.get("Contents", [])],
            "next_token": page.get("NextContinuationToken") if page.get("IsTruncated") else None,
        }
