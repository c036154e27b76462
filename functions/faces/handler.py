"""faces Lambda: see chalicelib/workers/faces.py. The whole SQS batch goes to one
``handle_batch`` call (each asset on its own, the hand-offs sent together)."""

from chalicelib.workers import faces
from chalicelib.workers.lambda_adapter import batch_handler

handler = batch_handler(faces.handle_batch)
