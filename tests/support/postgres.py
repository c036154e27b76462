"""The test database's names and a free port for the servers the tests start."""

from __future__ import annotations

import socket

# Migrated once per worker; each test gets a copy (tests/conftest.py).
TEMPLATE_DB = "skyroll_template"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])
