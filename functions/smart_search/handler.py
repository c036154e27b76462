"""smart_search Lambda: see chalicelib/workers/smart_search.py."""

from chalicelib.workers import smart_search
from chalicelib.workers.lambda_adapter import make_handler

handler = make_handler(smart_search.handle)
