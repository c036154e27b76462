"""Creates Skyroll's bucket, uploads topic, queues and DLQs in LocalStack from the pipeline
declaration, by calling the same bootstrap the local stack uses (chalicelib.local.aws).

    SKYROLL_AWS_ENDPOINT_URL=http://127.0.0.1:4566 python localstack/bootstrap.py
(run from the repo root with the project venv; the compose init hook runs it too).
"""

from __future__ import annotations

import boto3

from chalicelib.local.aws import bootstrap
from chalicelib.settings import Settings

# LocalStack accepts any credentials; boto3 still insists on having some.
_CREDENTIALS = {"aws_access_key_id": "test", "aws_secret_access_key": "test"}


def clients(settings: Settings) -> tuple[object, object, object]:
    def client(service: str) -> object:
        return boto3.client(
            service,
            region_name=settings.aws_region,
            endpoint_url=settings.aws_endpoint_url,
            **_CREDENTIALS,
        )

    return client("s3"), client("sqs"), client("sns")


def main() -> None:
    settings = Settings()
    if not settings.aws_endpoint_url:
        raise SystemExit("set SKYROLL_AWS_ENDPOINT_URL to the LocalStack endpoint")
    s3, sqs, sns = clients(settings)
    resources = bootstrap(settings, s3, sqs, sns)
    print(f"Skyroll resources ready in LocalStack: {resources}")


if __name__ == "__main__":
    main()
