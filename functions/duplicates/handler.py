"""duplicates Lambda: see chalicelib/workers/duplicates.py."""

from chalicelib.workers import duplicates
from chalicelib.workers.lambda_adapter import make_handler

handler = make_handler(duplicates.handle)
