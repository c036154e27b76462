"""Hosts one Lambda handler the way the Python runtime does, for the artifact tests.

Run in a clean interpreter (``python3.12 -I -S lambda_host.py CONFIG``): no site-packages,
no current directory, no user site; ``sys.path`` gets exactly the function's code directory
and its layers (or its image's site-packages), in the runtime's order. Standard library
only: whatever else the handler imports must come from the artifact.

CONFIG is a JSON file: {"paths": [...], "handler": "module.function", "function_name",
"memory_mb", "timeout_seconds", "region"}. The host imports the handler (the cold start),
reports {"ready": true, "import_ms", "import_cpu_ms"} or {"ready": false, "error"}, then
answers one JSON line per event it reads on stdin with {"result"} or {"error", "type"}.
The protocol runs on the original stdout; the handler's own prints and logs go to stderr.
"""

from __future__ import annotations

import importlib
import json
import os
import sys
import time
import traceback
import uuid


class Context:
    """The LambdaContext attributes handlers and Powertools read."""

    def __init__(self, config: dict, started: float) -> None:
        self.function_name = config["function_name"]
        self.function_version = "$LATEST"
        self.memory_limit_in_mb = int(config["memory_mb"])
        self.aws_request_id = str(uuid.uuid4())
        region = config["region"]
        self.invoked_function_arn = (
            f"arn:aws:lambda:{region}:123456789012:function:{self.function_name}"
        )
        self.log_group_name = f"/aws/lambda/{self.function_name}"
        self.log_stream_name = f"artifact/[$LATEST]{self.aws_request_id.replace('-', '')}"
        self._deadline = started + int(config["timeout_seconds"])

    def get_remaining_time_in_millis(self) -> int:
        return max(0, int((self._deadline - time.monotonic()) * 1000))


def _answer(channel, payload: dict) -> None:  # type: ignore[no-untyped-def]
    channel.write(json.dumps(payload, default=str) + "\n")
    channel.flush()


def main() -> None:
    with open(sys.argv[1]) as f:
        config = json.load(f)
    channel = os.fdopen(os.dup(1), "w")
    os.dup2(2, 1)  # the handler's stdout (Powertools' JSON logs) joins stderr
    sys.stdout = sys.stderr
    sys.path[:0] = config["paths"]
    # Lambda's code directories are read-only: Python cannot cache the bytecode it compiles
    # there, so every cold start compiles whatever shipped without it. Same here.
    sys.dont_write_bytecode = True
    module_name, _, attribute = config["handler"].rpartition(".")
    wall, cpu = time.perf_counter(), time.process_time()
    try:
        handler = getattr(importlib.import_module(module_name), attribute)
    except BaseException as exc:  # the cold start failed: that is the finding
        _answer(channel, {"ready": False, "error": "".join(traceback.format_exception(exc))})
        return
    _answer(
        channel,
        {
            "ready": True,
            "import_ms": (time.perf_counter() - wall) * 1000,
            "import_cpu_ms": (time.process_time() - cpu) * 1000,
            "modules": sorted(sys.modules),
        },
    )
    for line in sys.stdin:
        event = json.loads(line)
        try:
            result = handler(event, Context(config, time.monotonic()))
            _answer(channel, {"result": result})
        except Exception as exc:
            traceback.print_exc()
            _answer(channel, {"error": str(exc), "type": type(exc).__name__})


if __name__ == "__main__":
    main()
