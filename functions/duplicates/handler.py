"""duplicates Lambda: see chalicelib/workers/duplicates.py. The whole SQS batch goes to one
``handle_batch`` call (the previews fetched together, the stage rows written together)."""

from chalicelib.workers import duplicates
from chalicelib.workers.lambda_adapter import batch_handler

handler = batch_handler(duplicates.handle_batch)
