"""Ingest Lambda: S3 ObjectCreated (via SNS → SQS) → chalicelib.workers.ingest."""

from chalicelib.workers import ingest
from chalicelib.workers.lambda_adapter import make_handler

handler = make_handler(ingest.handle)
