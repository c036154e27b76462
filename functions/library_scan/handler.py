"""Library scan Lambda: lists one page of an external library per message."""

from chalicelib.workers import library_scan
from chalicelib.workers.lambda_adapter import make_handler

handler = make_handler(library_scan.handle)
