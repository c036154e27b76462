"""A new user's checkout, anywhere: the repository cloned into a fresh 0700 directory under
the home directory (as root: under /root, which the embedded PostgreSQL's unprivileged
server user cannot enter) brings PostgreSQL + pgvector up, and no directory outside the
checkout changes mode on the way."""

from __future__ import annotations

import json
import os
import shutil
import socket
import stat
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.slow

START = """
import json, sys
import chalicelib, psycopg
from pathlib import Path
from chalicelib.local.pgserver import LocalPostgres

pg = LocalPostgres(Path(".skyroll/pg"), int(sys.argv[1]))
pg.start()
try:
    with psycopg.connect(pg.dsn, autocommit=True) as conn:
        conn.execute("CREATE EXTENSION IF NOT EXISTS vector")
        version = conn.execute("SELECT extversion FROM pg_extension WHERE extname='vector'")
        found = version.fetchone()[0]
        user = conn.execute("SELECT current_setting('data_directory')").fetchone()[0]
finally:
    pg.stop()
print(json.dumps({"code": chalicelib.__file__, "vector": found, "data": user}))
"""


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _modes(paths: list[Path]) -> dict[str, int]:
    return {str(p): stat.S_IMODE(p.stat().st_mode) for p in paths if p.exists()}


def test_a_clone_in_a_private_directory_brings_postgres_up():
    home = Path.home()
    parent = Path(tempfile.mkdtemp(prefix="skyroll-fresh-", dir=home))  # mode 0700
    try:
        assert stat.S_IMODE(parent.stat().st_mode) == 0o700
        clone = parent / "skyroll"
        subprocess.run(
            ["git", "clone", "--quiet", "--no-hardlinks", str(REPO_ROOT), str(clone)], check=True
        )
        outside = [parent, *parent.parents, Path(tempfile.gettempdir())]
        before = _modes(outside)
        # The clone's code with this venv's packages (a fresh venv would take minutes).
        done = subprocess.run(
            [sys.executable, "-c", START, str(_free_port())],
            cwd=clone,
            env={**os.environ, "PYTHONPATH": str(clone)},
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
        )
        assert done.returncode == 0, done.stderr[-3000:]
        result = json.loads(done.stdout.strip().splitlines()[-1])
        assert result["code"].startswith(str(clone))
        assert tuple(int(p) for p in result["vector"].split(".")) >= (0, 8, 0)
        # Nothing outside the checkout changed mode (the old code opened up /root).
        assert _modes(outside) == before
        runtime = clone / ".skyroll" / "pg" / "runtime"
        if os.geteuid() == 0:
            # The server user cannot enter the home: its files live in a private runtime.
            assert runtime.exists() and result["data"].startswith(runtime.read_text())
            assert stat.S_IMODE(Path(runtime.read_text()).stat().st_mode) == 0o700
    finally:
        runtime_file = parent / "skyroll" / ".skyroll" / "pg" / "runtime"
        if runtime_file.exists():
            shutil.rmtree(runtime_file.read_text(), ignore_errors=True)
        shutil.rmtree(parent, ignore_errors=True)
