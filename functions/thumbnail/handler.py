"""Thumbnail Lambda: preview JPEG, thumbnail WebP and thumbhash for a new asset."""

from chalicelib.workers import thumbnail
from chalicelib.workers.lambda_adapter import make_handler

handler = make_handler(thumbnail.handle)
