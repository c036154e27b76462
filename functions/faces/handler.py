"""faces Lambda: see chalicelib/workers/faces.py."""

from chalicelib.workers import faces
from chalicelib.workers.lambda_adapter import make_handler

handler = make_handler(faces.handle)
