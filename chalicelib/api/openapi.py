"""OpenAPI 3.1 from a route table (``http.ROUTES`` once ``api.routes`` is imported) and the
pydantic DTOs.

``python -m chalicelib.api.routes`` prints it; ``make openapi`` writes docs/openapi.json,
and a test fails when the checked-in file and the code drift apart.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from typing import Any

from pydantic import BaseModel
from pydantic.json_schema import models_json_schema

from chalicelib import __version__
from chalicelib.api.http import RouteSpec
from chalicelib.schemas.base import ErrorResponse

_PARAM = re.compile(r"{(\w+)}")
_STATUS_TEXT = {200: "OK", 201: "Created", 204: "No Content", 302: "Found"}


def _ref(model: type[BaseModel]) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{model.__name__}"}


# The shared-link visitor routes are public at the HTTP layer and authenticate by these
# headers (api/shared_links.py: ``visitor``), which keep the secrets out of URLs.
VISITOR_PREFIX = "/api/shared-links/me"
VISITOR_HEADERS = {
    "x-shared-link-key": "the link's key (the last part of its URL)",
    "x-shared-link-password": "the link's password, when it has one",
    "x-shared-link-token": "a visitor token from GET /api/shared-links/me, instead of both",
}


def _operation(spec: RouteSpec) -> dict[str, Any]:
    op: dict[str, Any] = {
        "summary": spec.summary,
        "tags": [spec.tag],
        "operationId": f"{spec.method.lower()}_{spec.path}".replace("/", "_"),
    }
    params = [
        {"name": name, "in": "path", "required": True, "schema": {"type": "string"}}
        for name in _PARAM.findall(spec.path)
    ]
    if spec.query is not None:
        schema = spec.query.model_json_schema(by_alias=True)
        required = set(schema.get("required", []))
        for name, prop in schema.get("properties", {}).items():
            params.append(
                {"name": name, "in": "query", "required": name in required, "schema": prop}
            )
    if spec.path.startswith(VISITOR_PREFIX):
        params.extend(
            {"name": name, "in": "header", "required": False, "description": text}
            | {"schema": {"type": "string", "maxLength": 1024}}
            for name, text in VISITOR_HEADERS.items()
        )
    if params:
        op["parameters"] = params
    if spec.body is not None:
        op["requestBody"] = {
            "required": True,
            "content": {"application/json": {"schema": _ref(spec.body)}},
        }
    ok: dict[str, Any] = {"description": _STATUS_TEXT.get(spec.status, "OK")}
    if spec.response is not None:
        body: dict[str, Any] = _ref(spec.response)
        if spec.many:
            body = {"type": "array", "items": body}
        ok["content"] = {"application/json": {"schema": body}}
    responses: dict[str, Any] = {str(spec.status): ok}
    error = {"content": {"application/json": {"schema": _ref(ErrorResponse)}}}
    if spec.body is not None or spec.query is not None:
        responses["400"] = {"description": "invalid input; details name the fields", **error}
    if spec.auth != "public":
        op["security"] = [{"bearer": []}, {"apiKey": []}]
        responses["401"] = {"description": "missing or invalid credentials", **error}
    if params and params[0]["in"] == "path":
        # A path that names a row: no such row (or one the caller may not see) is a 404.
        responses["404"] = {"description": "not found, or not visible to the caller", **error}
    if spec.auth == "admin":
        responses["403"] = {"description": "not an admin", **error}
    if spec.auth != "public":
        responses["503"] = {"description": "the database is unavailable; retry", **error}
    for code, text in spec.responses.items():
        responses[str(code)] = {"description": text, **({} if code == 302 else error)}
    for code, (text, model) in spec.other_bodies.items():
        responses[str(code)] = {
            "description": text,
            "content": {"application/json": {"schema": _ref(model)}},
        }
    op["responses"] = dict(sorted(responses.items()))
    return op


def build_spec(routes: Sequence[RouteSpec]) -> dict[str, Any]:
    models: set[type[BaseModel]] = {ErrorResponse}
    paths: dict[str, dict[str, Any]] = {}
    for spec in routes:
        models.update(m for m in (spec.body, spec.response) if m is not None)
        models.update(model for _, model in spec.other_bodies.values())
        paths.setdefault(spec.path, {})[spec.method.lower()] = _operation(spec)
    ordered = sorted(models, key=lambda m: m.__name__)
    _, schemas = models_json_schema(
        [
            (m, "serialization" if m.__name__.endswith("Response") else "validation")
            for m in ordered
        ],
        by_alias=True,
        ref_template="#/components/schemas/{model}",
    )
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Skyroll",
            "version": __version__,
            "description": "A serverless photo and video library.",
        },
        "paths": dict(sorted(paths.items())),
        "components": {
            "schemas": dict(sorted(schemas.get("$defs", {}).items())),
            "securitySchemes": {
                "bearer": {"type": "http", "scheme": "bearer"},
                "apiKey": {"type": "apiKey", "in": "header", "name": "x-api-key"},
            },
        },
    }


def render(routes: Sequence[RouteSpec]) -> str:
    return json.dumps(build_spec(routes), indent=2, sort_keys=False) + "\n"
