"""Archive Lambda: builds one part of a zip download from S3 originals into S3."""

from chalicelib.workers import archive
from chalicelib.workers.lambda_adapter import make_handler

handler = make_handler(archive.handle)
