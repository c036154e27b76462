"""Bulk jobs Lambda: runs one batch of a bulk job and queues the next."""

from chalicelib.workers import bulk_jobs
from chalicelib.workers.lambda_adapter import make_handler

handler = make_handler(bulk_jobs.handle)
