"""A plain boto3 ``upload_file`` loop, as a user would script it: the baseline of
bench_upload.py, run as its own process so its start-up counts as the CLI's does.

    python bench/boto3_loop.py ENDPOINT BUCKET PREFIX LIST_FILE
"""

from __future__ import annotations

import sys
from typing import Any

import boto3


def upload_all(s3: Any, bucket: str, prefix: str, paths: list[str]) -> None:
    for path in paths:
        name = path.rsplit("/", 1)[-1]
        s3.upload_file(path, bucket, f"{prefix}/{name}", ExtraArgs={"ContentType": "image/jpeg"})


def main(endpoint: str, bucket: str, prefix: str, listing: str) -> None:
    s3 = boto3.client("s3", endpoint_url=endpoint, region_name="us-east-1")
    with open(listing) as f:
        upload_all(s3, bucket, prefix, [line.strip() for line in f if line.strip()])


if __name__ == "__main__":
    main(*sys.argv[1:5])
