"""``make dev-localstack``: the local stack on LocalStack instead of moto.

Starts LocalStack without Docker from its own venv (``make localstack-venv``, Python 3.13)
with S3 signature validation on, so presigned PUTs are checked as AWS checks them
(signature, expiry, Content-Type, SHA-256), then runs ``make dev``'s stack against it
(``SKYROLL_AWS_ENDPOINT_URL``: the stack skips moto when it is set). Ctrl-C stops both.
"""

from __future__ import annotations

import os
import subprocess
import sys

from chalicelib.local.localstack import REPO_ROOT, LocalStackError, installed_python, start


def main() -> int:
    python = installed_python()
    if python is None:
        print("LocalStack is not installed: run `make localstack-venv` (Python 3.13)")
        return 2
    state = REPO_ROOT / ".skyroll" / "localstack-dev"
    configured = os.environ.get("SKYROLL_LOCALSTACK_PORT")
    try:
        stack = start(python, state, int(configured) if configured else None)
    except LocalStackError as e:
        raise SystemExit(str(e)) from None
    endpoint = stack.endpoint
    print(f"LocalStack on {endpoint} (signatures enforced); logs in {state}", flush=True)
    env = {
        **os.environ,
        "SKYROLL_AWS_ENDPOINT_URL": endpoint,
        "AWS_ACCESS_KEY_ID": os.environ.get("AWS_ACCESS_KEY_ID", "test"),
        "AWS_SECRET_ACCESS_KEY": os.environ.get("AWS_SECRET_ACCESS_KEY", "test"),
    }
    try:
        return subprocess.run(
            [sys.executable, "-m", "chalicelib.local.devstack"], env=env, check=False
        ).returncode
    except KeyboardInterrupt:
        return 0
    finally:
        stack.stop()


if __name__ == "__main__":
    sys.exit(main())
