"""``python -m chalicelib.local.moto_main -H HOST -p PORT``: moto's server, with one fix.

moto (5.2.5) answers "is this message visible?" by building two ``datetime`` objects per
message, and every ``SendMessage`` — each S3 event fanned out through SNS is one — asks it
of every message in the queue (``Queue.attributes`` counts visible, delayed and in-flight
messages). While the workers lag behind a bulk upload that is O(backlog) datetime work per
upload, under moto's one GIL, and it showed as the largest cost of a presigned PUT
(bench/bench_upload.py). The clock below returns the same number, milliseconds since the
epoch, from ``time.time()``. The work per message stays, at a fraction of the price.

Only the stand-in changes: nothing here runs in AWS or LocalStack.
"""

from __future__ import annotations

import datetime
import time


def fast_unix_time_millis(dt: datetime.datetime | None = None) -> float:
    """moto's ``unix_time_millis``: ``dt`` is naive UTC; None means now."""
    if dt is None:
        return time.time() * 1000.0
    epoch = datetime.datetime(1970, 1, 1)
    return (dt - epoch) / datetime.timedelta(milliseconds=1)


def patch_sqs_clock() -> None:
    from moto.sqs import models

    models.unix_time_millis = fast_unix_time_millis


def main(argv: list[str] | None = None) -> None:
    from moto import server

    patch_sqs_clock()
    server.main(argv)


if __name__ == "__main__":
    main()
