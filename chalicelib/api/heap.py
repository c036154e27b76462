"""What imports created, kept out of the garbage collector's full passes.

A full (generation 2) pass walks every object the collector tracks. In the API's process
nearly all of them live for the process: the modules, classes and functions imports
created, the container and its pool. A list route that builds a page of 1,000 assets
promotes enough short-lived objects that a full pass runs every twenty-odd calls, and on
~90,000 tracked objects it took 35-55 ms of that one call: it was the whole tail of the
biggest timeline bucket (bench_browse, docs/benchmarks.md). ``gc.freeze()`` moves every
tracked object into the permanent generation, which passes skip.

The API imports lazily (a cold start loads only what the route needs), so the long-lived
objects arrive with the first request of each kind: after any request that grew
``sys.modules`` the heap is frozen again. A young collection first clears that request's
own cyclic garbage; what survives it and dies later is freed by reference counting as
before, and only a cycle among frozen objects would stay, a bounded few from the handful
of requests that import something.
"""

from __future__ import annotations

import gc
import sys
from collections.abc import Callable
from typing import Any

_modules_at_freeze = 0


def freeze_new_imports() -> bool:
    """Freezes the heap when modules were imported since the last freeze; True if it did."""
    global _modules_at_freeze
    if len(sys.modules) == _modules_at_freeze:
        return False
    gc.collect(1)
    gc.freeze()
    _modules_at_freeze = len(sys.modules)
    return True


def long_lived(event: Any, get_response: Callable[[Any], Any]) -> Any:
    """HTTP middleware: answer, then freeze what the request imported (see above)."""
    response = get_response(event)
    freeze_new_imports()
    return response
