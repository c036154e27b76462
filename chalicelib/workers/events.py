"""Parsing what arrives on a stage queue: S3 events (raw, or inside an SNS envelope) and
stage-to-stage messages. At-least-once: callers must be idempotent."""

from __future__ import annotations

import json
from dataclasses import dataclass
from urllib.parse import unquote_plus


@dataclass(frozen=True)
class S3Object:
    bucket: str
    key: str
    size: int | None
    etag: str | None


def s3_objects(body: str) -> list[S3Object]:
    """The created objects named in one SQS message body. ``s3:TestEvent`` yields nothing."""
    message = json.loads(body)
    if isinstance(message, dict) and message.get("Type") == "Notification" and "Message" in message:
        message = json.loads(message["Message"])  # SNS envelope (raw delivery off)
    if not isinstance(message, dict) or message.get("Event") == "s3:TestEvent":
        return []
    found = []
    for record in message.get("Records", []):
        if not str(record.get("eventName", "")).startswith("ObjectCreated"):
            continue
        s3 = record["s3"]
        found.append(
            S3Object(
                bucket=s3["bucket"]["name"],
                key=unquote_plus(s3["object"]["key"]),  # S3 URL-encodes keys in events
                size=s3["object"].get("size"),
                etag=s3["object"].get("eTag"),
            )
        )
    return found
