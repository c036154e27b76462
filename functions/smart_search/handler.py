"""smart_search Lambda: see chalicelib/workers/smart_search.py. The whole SQS batch goes to
one ``handle_batch`` call (one model call for every preview in it)."""

from chalicelib.workers import smart_search
from chalicelib.workers.lambda_adapter import batch_handler

handler = batch_handler(smart_search.handle_batch)
