"""Property-based fuzzing of every operation in docs/openapi.json with schemathesis, over
HTTP against the real app (PostgreSQL + moto behind it), authenticated as a real user (an
admin on admin routes): no 5xx, every response conforms to its documented schema, every
status code is documented.

Bounded and derandomized (hypothesis derives its examples from each test's name), so a run
is the same on every machine and CI cannot flake on a new example.
"""

from __future__ import annotations

from typing import Any

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
)

from chalicelib.settings import REPO_ROOT
from tests.support import timeouts
from tests.support.live import Live

SCHEMA = schemathesis.openapi.from_path(str(REPO_ROOT / "docs" / "openapi.json"))
# Methods no route has are probed too (each must be the JSON 405). TRACE and QUERY never
# reach the app locally: Python's http.server under chalice's local server answers them
# itself with an HTML 501, and API Gateway has no such methods.
SCHEMA.config.phases.coverage.unexpected_methods = {
    "get",
    "put",
    "post",
    "delete",
    "options",
    "patch",
}
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]
USER = "fuzz@example.com"
# Operations that end the caller's own session: they get a throwaway one.
SESSION_ENDING = {("POST", "/api/auth/logout")}


@pytest.fixture(scope="module")
def fuzz(live: Live) -> Live:
    """A real user (and the first admin) with sessions on the live API."""
    admin = live.session("admin@example.com")
    r = httpx.post(
        f"{live.url}/api/admin/users",
        json={"email": USER, "password": "fuzz-password-1", "name": "Fuzz"},
        headers={"Authorization": f"Bearer {admin}"},
    )
    assert r.status_code == 201, r.text
    live.tokens.update(user=live.session(USER), admin=admin)
    return live


def _token(live: Live, case: Any) -> str:
    method, path = case.method.upper(), case.path
    if (method, path) in SESSION_ENDING:
        return live.session(USER)
    if path.startswith(("/api/admin/", "/api/jobs")) or path == "/api/server/statistics":
        return live.tokens["admin"]
    return live.tokens["user"]


@SCHEMA.parametrize()
@settings(
    max_examples=5,
    derandomize=True,
    deadline=None,
    database=None,
    suppress_health_check=list(HealthCheck),
)
def test_operation(case: Any, fuzz: Live) -> None:
    headers = {"Authorization": f"Bearer {_token(fuzz, case)}"}
    # Not schemathesis's 10 s: a first smart search loads its models, slowly on a busy machine.
    response = case.call(
        base_url=fuzz.url, headers=headers, allow_redirects=False, timeout=timeouts.request()
    )
    case.validate_response(response, checks=CHECKS, headers=headers)
