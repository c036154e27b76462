"""Transcode Lambda (container image): a web-playable encoded.mp4 for a new video."""

from chalicelib.workers import transcode
from chalicelib.workers.lambda_adapter import make_handler

handler = make_handler(transcode.handle)
