"""Every route, generated from the route table: no credentials → 401, admin routes as a
normal user → 403, a body that breaks the DTO → 400 naming the field."""

from __future__ import annotations

import json
import re
import uuid

import pytest

import app  # noqa: F401 - fills ROUTES
from chalicelib.api.http import ROUTES
from chalicelib.settings import REPO_ROOT
from tests.support.api import Api


def _path(template: str) -> str:
    return re.sub(r"{\w+}", str(uuid.uuid4()), template)


PROTECTED = [r for r in ROUTES if r.auth != "public"]
ADMIN = [r for r in ROUTES if r.auth == "admin"]
WITH_BODY = [r for r in ROUTES if r.body is not None]


def test_the_route_table_is_not_empty() -> None:
    assert len(PROTECTED) >= 10 and len(ADMIN) >= 7


@pytest.mark.parametrize("spec", PROTECTED, ids=lambda r: f"{r.method} {r.path}")
def test_without_credentials_is_401(api: Api, spec) -> None:
    r = api.call(spec.method, _path(spec.path), {})
    assert r.status_code == 401, r.body
    assert r.json["error"] == "Unauthorized" and r.json["statusCode"] == 401


@pytest.mark.parametrize("spec", PROTECTED, ids=lambda r: f"{r.method} {r.path}")
def test_garbage_credentials_are_401(api: Api, spec) -> None:
    assert api.call(spec.method, _path(spec.path), {}, token="forged").status_code == 401
    assert api.call(spec.method, _path(spec.path), {}, api_key="sky_forged").status_code == 401


@pytest.mark.parametrize("spec", ADMIN, ids=lambda r: f"{r.method} {r.path}")
def test_admin_routes_as_a_normal_user_are_403(api: Api, user_token: str, spec) -> None:
    r = api.call(spec.method, _path(spec.path), {}, token=user_token)
    assert r.status_code == 403
    assert r.json == {"statusCode": 403, "error": "Forbidden", "message": "Admin access required"}


@pytest.mark.parametrize("spec", WITH_BODY, ids=lambda r: f"{r.method} {r.path}")
def test_bad_bodies_are_400_naming_the_field(api: Api, admin_token: str, spec) -> None:
    schema = spec.body.model_json_schema(by_alias=True)
    wrong = {name: {"not": "valid"} for name in schema.get("properties", {})}
    r = api.call(
        spec.method, _path(spec.path), wrong, token=None if spec.auth == "public" else admin_token
    )
    assert r.status_code == 400, r.body
    fields = {d["field"] for d in r.json["details"]}
    # A nested DTO names the field inside it (ffmpeg.crf): its first part is a property.
    assert fields and {f.split(".")[0] for f in fields} <= set(schema["properties"]), fields
    assert r.json["message"].startswith("Invalid request: ")


def test_invalid_json_is_400(api: Api) -> None:
    r = api.call("POST", "/api/auth/login", "{not json")
    assert r.status_code == 400 and r.json["message"] == "Request body is not valid JSON"


def test_missing_field_is_named(api: Api) -> None:
    r = api.call("POST", "/api/auth/login", {"email": "a@b.c"})
    assert r.status_code == 400
    assert r.json["details"] == [{"field": "password", "message": "Field required"}]


def test_unknown_field_is_refused(api: Api) -> None:
    r = api.call("POST", "/api/auth/login", {"email": "a@b.c", "password": "x", "isAdmin": True})
    assert r.status_code == 400 and r.json["details"][0]["field"] == "isAdmin"


def test_public_routes(api: Api) -> None:
    assert api.call("GET", "/api/server/ping").json == {"res": "pong"}
    v = api.call("GET", "/api/server/version").json
    assert v["version"] == f"{v['major']}.{v['minor']}.{v['patch']}"
    # The document the route table makes, as docs/openapi.json has it.
    doc = api.call("GET", "/api/openapi.json")
    assert doc.headers["Content-Type"] == "application/json"
    assert doc.json == json.loads((REPO_ROOT / "docs" / "openapi.json").read_text())
