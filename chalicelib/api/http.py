"""The one place HTTP meets the domain: route registration, authentication, DTO parsing,
response serialisation and the mapping of domain errors to JSON error bodies.

Every route is declared with ``route(...)``; the declaration is also the route table the
OpenAPI document is generated from (chalicelib.api.openapi).
"""

from __future__ import annotations

import functools
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal
from uuid import UUID

from chalice import Blueprint, Response
from chalice.app import Request
from pydantic import BaseModel, ValidationError
from pydantic_core import PydanticSerializationError, to_json

from chalicelib import errors
from chalicelib.api.client_address import client_address
from chalicelib.observability import logger
from chalicelib.schemas.base import FieldError

if TYPE_CHECKING:
    from chalicelib.container import Container
    from chalicelib.services.auth import AuthUser

AuthMode = Literal["public", "user", "admin"]


@dataclass(frozen=True)
class RouteSpec:
    method: str
    path: str
    summary: str
    tag: str
    auth: AuthMode
    body: type[BaseModel] | None
    query: type[BaseModel] | None
    response: type[BaseModel] | None
    status: int
    # True when the response is a JSON array of ``response``.
    many: bool = False
    # Extra documented responses without a body of their own: errors (ErrorResponse) and
    # redirects, e.g. {302: "redirect to a presigned GET"}. Never a 2xx: that has a body.
    responses: dict[int, str] = field(default_factory=dict)
    # Successful answers with another body, e.g. {202: ("a bulk job started", BulkJobResponse)}.
    other_bodies: dict[int, tuple[str, type[BaseModel]]] = field(default_factory=dict)


ROUTES: list[RouteSpec] = []
# A route's function: (ctx, *path parameters, body=..., query=...) -> a DTO, a list, None or
# a Response.
Handler = Callable[..., Any]


@dataclass
class RequestContext:
    """What a route handler receives: the container, the caller (``principal``, None on
    public routes; ``auth`` on the others), and the raw request for the rare handler that
    needs a header."""

    container: Container
    principal: AuthUser | None
    request: Request

    @property
    def client(self) -> str | None:
        """The caller's address (api/client_address.py): the connection's as API Gateway saw
        it, or behind CloudFront the viewer's, never a header a direct caller writes."""
        secret = self.container.settings.origin_verify_secret
        return client_address(
            self.request.context,
            self.request.headers,
            secret.get_secret_value() if secret else None,
        )

    @property
    def auth(self) -> AuthUser:
        if self.principal is None:  # a public route asked for a caller it does not have
            raise errors.Unauthorized("Authentication required")
        return self.principal


def parse_uuid(value: str) -> UUID:
    """A path parameter that names a row: one that is not a UUID names nothing (404)."""
    try:
        return UUID(value)
    except ValueError as exc:
        raise errors.NotFound("Not found") from exc


def _json_response(status: int, payload: Any, headers: dict[str, str] | None = None) -> Response:
    return Response(
        body=json.dumps(payload, default=str),
        status_code=status,
        headers={"Content-Type": "application/json", **(headers or {})},
    )


def error_response(exc: errors.SkyrollError) -> Response:
    body: dict[str, Any] = {
        "statusCode": exc.status_code,
        "error": exc.error,
        "message": exc.message,
    }
    if exc.details is not None:
        body["details"] = exc.details
    return _json_response(exc.status_code, body, exc.headers)


# Chalice answers some requests itself, before any route runs, as {"Code", "Message"}:
# a method the path does not have (405), a body that is not JSON (415), a crash outside a
# route (500). The middleware below gives them the one error shape.
_CHALICE_ERRORS: dict[int, type[errors.SkyrollError]] = {
    405: errors.MethodNotAllowed,
    415: errors.UnsupportedMediaType,
}


def chalice_errors(event: Any, get_response: Callable[[Any], Response]) -> Response:
    """HTTP middleware: Chalice's own error answers in the documented error shape."""
    response = get_response(event)
    body = response.body
    if response.status_code < 400 or not (isinstance(body, dict) and "Code" in body):
        return response
    kind = _CHALICE_ERRORS.get(response.status_code, errors.SkyrollError)
    message = str(body.get("Message", "")) if kind is not errors.SkyrollError else ""
    mapped = error_response(kind(message or "Internal server error"))
    mapped.headers = {**response.headers, **mapped.headers}
    return mapped


DATABASE_UNAVAILABLE = errors.ServiceUnavailable(
    "The database is unavailable; retry the request", headers={"Retry-After": "1"}
)


def _database_outage(exc: BaseException) -> bool:
    """A connection the database dropped mid-request (a restart, a failover, a terminated
    backend), or none to be had in time: the transaction in progress was rolled back and
    the pool checks connections before handing them out, so the caller is told to retry
    rather than given a 500."""
    import psycopg  # the driver is loaded by then; importing it here keeps app imports light

    return isinstance(exc, psycopg.OperationalError)


def validation_error(exc: ValidationError) -> errors.BadRequest:
    details = []
    for err in exc.errors():
        where = ".".join(str(p) for p in err["loc"])
        cause = err.get("ctx", {}).get("error")
        if isinstance(cause, FieldError):  # a model-level check naming its field
            where = ".".join(filter(None, (where, cause.field)))
        details.append({"field": where or "body", "message": err["msg"]})
    fields = ", ".join(d["field"] for d in details)
    return errors.BadRequest(f"Invalid request: {fields}", details=details)


# The largest body any route takes (1,000 bulk-upload items) is a few hundred KiB; no
# DTO nests deeper than a handful of levels.
MAX_BODY_BYTES = 1024 * 1024
MAX_JSON_DEPTH = 32


def _refuse_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def _json_depth(data: Any) -> int:
    deepest, stack = 0, [(data, 1)]
    while stack:
        value, depth = stack.pop()
        deepest = max(deepest, depth)
        if isinstance(value, dict):
            stack.extend((v, depth + 1) for v in value.values())
        elif isinstance(value, list):
            stack.extend((v, depth + 1) for v in value)
    return deepest


def _content_type_is_json(request: Any) -> bool:
    value = str((request.headers or {}).get("content-type", "application/json"))
    return value.split(";")[0].strip().lower() == "application/json"


def parse_json(raw: bytes) -> Any:
    """The body as JSON, within the size and depth bounds; NaN and Infinity refused."""
    if len(raw) > MAX_BODY_BYTES:
        raise errors.PayloadTooLarge(f"Request body is over {MAX_BODY_BYTES} bytes")
    try:
        data = json.loads(raw, parse_constant=_refuse_constant)
    except RecursionError as exc:
        raise errors.BadRequest(f"Request body nests deeper than {MAX_JSON_DEPTH}") from exc
    except (ValueError, UnicodeDecodeError) as exc:
        raise errors.BadRequest("Request body is not valid JSON") from exc
    if _json_depth(data) > MAX_JSON_DEPTH:
        raise errors.BadRequest(f"Request body nests deeper than {MAX_JSON_DEPTH}")
    return data


def _parse_body(request: Any, model: type[BaseModel]) -> BaseModel:
    if request.raw_body and not _content_type_is_json(request):
        raise errors.UnsupportedMediaType("Request body must be application/json")
    data = parse_json(request.raw_body or b"{}")
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise validation_error(exc) from exc


def _parse_query(request: Any, model: type[BaseModel]) -> BaseModel:
    params = dict(request.query_params or {})
    try:
        return model.model_validate(params)
    except ValidationError as exc:
        raise validation_error(exc) from exc


def _is_dto_list(result: Any) -> bool:
    return isinstance(result, list) and all(isinstance(r, BaseModel | str) for r in result)


def _dto_json(result: BaseModel | list[Any]) -> str:
    """A DTO, or a list of DTOs (or strings), as JSON in one pass of pydantic-core's
    serialiser: the keys and value formats of ``model_dump(mode="json", by_alias=True)``
    (each model by its own class, as there), without the Python dicts in between. Compact,
    and UTF-8 rather than ``\\u`` escapes. A str, not bytes: the Lambda proxy answer is
    itself JSON, and Chalice passes bytes through only for binary types."""
    try:
        return to_json(result, by_alias=True).decode()
    except PydanticSerializationError:
        # Text UTF-8 cannot encode (a lone surrogate): the escapes json.dumps writes.
        return json.dumps(_plain(result), default=str)


def _plain(result: Any) -> Any:
    if isinstance(result, BaseModel):
        return result.model_dump(mode="json", by_alias=True)
    if isinstance(result, list):
        return [_plain(r) if isinstance(r, BaseModel) else r for r in result]
    return result


def _serialise(result: Any, status: int) -> Response:
    if isinstance(result, Response):
        return result
    if result is None:
        return Response(body="", status_code=204 if status == 200 else status)
    if isinstance(result, BaseModel) or _is_dto_list(result):
        return Response(
            body=_dto_json(result),
            status_code=status,
            headers={"Content-Type": "application/json"},
        )
    return _json_response(status, _plain(result))


def respond(model: BaseModel, status: int) -> Response:
    """For routes whose status depends on the outcome (201 created vs 200 duplicate)."""
    return _serialise(model, status)


def redirect(url: str, *, cache_control: str = "private, max-age=60") -> Response:
    return Response(
        body="", status_code=302, headers={"Location": url, "Cache-Control": cache_control}
    )


def route(
    bp: Blueprint,
    method: str,
    path: str,
    *,
    summary: str,
    tag: str,
    auth: AuthMode = "user",
    body: type[BaseModel] | None = None,
    query: type[BaseModel] | None = None,
    response: type[BaseModel] | None = None,
    status: int = 200,
    responses: dict[int, str] | None = None,
    many: bool = False,
    other_bodies: dict[int, tuple[str, type[BaseModel]]] | None = None,
) -> Callable[[Handler], Handler]:
    """Registers ``fn(ctx, *path_params, body=..., query=...)`` on ``bp`` under ``/api``."""

    successes = sorted(code for code in responses or {} if 200 <= code < 300)
    if successes:  # documented as an error body: say which DTO it is in other_bodies
        raise ValueError(f"{method} {path}: {successes} answer with a body: use other_bodies")

    def decorate(fn: Handler) -> Handler:
        ROUTES.append(
            RouteSpec(
                method,
                "/api" + path,
                summary,
                tag,
                auth,
                body,
                query,
                response,
                status,
                many,
                responses or {},
                other_bodies or {},
            )
        )

        @functools.wraps(fn)
        def view(**path_params: str) -> Response:
            from chalicelib.container import get_container

            request = bp.current_request
            try:
                container = get_container()
                principal = None
                if auth != "public":
                    principal = container.auth_service.authenticate(dict(request.headers or {}))
                    if auth == "admin" and not principal.is_admin:
                        raise errors.Forbidden("Admin access required")
                kwargs: dict[str, Any] = {}
                if body is not None:
                    kwargs["body"] = _parse_body(request, body)
                if query is not None:
                    kwargs["query"] = _parse_query(request, query)
                ctx = RequestContext(container, principal, request)
                return _serialise(fn(ctx, **path_params, **kwargs), status)
            except errors.SkyrollError as exc:
                return error_response(exc)
            except Exception as exc:
                if _database_outage(exc):
                    logger.warning("database unavailable", extra={"path": path, "method": method})
                    return error_response(DATABASE_UNAVAILABLE)
                logger.exception("unhandled error", extra={"path": path, "method": method})
                return error_response(errors.SkyrollError("Internal server error"))

        bp.route(path, methods=[method])(view)
        return fn

    return decorate
