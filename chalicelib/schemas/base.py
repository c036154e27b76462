"""Base for every JSON body: camelCase on the wire (as Immich's API), snake_case in Python;
the DTOs several features share (errors, bulk id results); and the input bounds every
request DTO inherits, so that what passes validation can be stored and read back:

- text: no NUL, no control characters (``\\n``, ``\\r`` and ``\\t`` only in the fields a
  class lists in ``multiline_fields``), no lone surrogates, no line or paragraph separators;
- integers: within PostgreSQL's bigint;
- dates: ``DbDateTime``, aware and inside year 1..9999 once moved to UTC (psycopg cannot
  read back a ``timestamptz`` outside Python's range, though PostgreSQL stores it);
- flags that must not be null: ``NotNullBool`` (absent means "unchanged", null is a 400).
"""

from __future__ import annotations

import functools
import unicodedata
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Annotated, Any, ClassVar, Literal
from uuid import UUID

from pydantic import (
    AfterValidator,
    AwareDatetime,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    TypeAdapter,
    ValidationInfo,
    WithJsonSchema,
    field_validator,
)
from pydantic.alias_generators import to_camel

BIGINT_MIN = -(2**63)
BIGINT_MAX = 2**63 - 1
_LINE_BREAKS = frozenset("\n\r\t")
# Categories refused in any text: controls, lone surrogates, line/paragraph separators.
_REFUSED = frozenset({"Cc", "Cs", "Zl", "Zp"})


class FieldError(ValueError):
    """Raised by a model validator to name the field at fault (the API's error details
    name it; a model-level error would otherwise name only the body)."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field


def _in_db_range(value: datetime) -> datetime:
    try:
        value.astimezone(UTC)
    except OverflowError as exc:
        raise ValueError("date must be between years 1 and 9999 in UTC") from exc
    return value


DbDateTime = Annotated[AwareDatetime, AfterValidator(_in_db_range)]


def _not_null(value: object) -> object:
    if value is None:
        raise ValueError("may be omitted but not null")
    return value


NotNullBool = Annotated[
    bool | None, BeforeValidator(_not_null), WithJsonSchema({"type": "boolean"})
]
# A page number: (page - 1) * size stays far inside bigint.
Page = Annotated[int, Field(default=1, ge=1, le=1_000_000)]


def check_text(value: str, *, multiline: bool = False) -> str:
    """Refuses characters no name, email, filename or query can mean (see module doc)."""
    for ch in value:
        if multiline and ch in _LINE_BREAKS:
            continue
        if unicodedata.category(ch) in _REFUSED:
            raise ValueError(f"must not contain control character U+{ord(ch):04X}")
    return value


def _check_value(value: Any, multiline: bool) -> None:
    if isinstance(value, str):
        check_text(value, multiline=multiline)
    elif isinstance(value, bool):
        return
    elif isinstance(value, int):
        if not BIGINT_MIN <= value <= BIGINT_MAX:
            raise ValueError("integer out of range")
    elif isinstance(value, list | tuple | set | frozenset):
        for item in value:
            _check_value(item, multiline)
    elif isinstance(value, dict):
        for key, item in value.items():
            _check_value(key, False)
            _check_value(item, multiline)


# defer_build: a model's validator is built when first used, not when its module is
# imported; the API's cold start imports every DTO to register routes, but a request
# uses a few.
def _no_null_defaults(schema: dict[str, Any]) -> None:
    """A field that may be omitted but not be null (``NotNullBool``) keeps None as its Python
    default ("unchanged"); its JSON schema must not offer null as the default."""
    for prop in schema.get("properties", {}).values():
        nullable = not isinstance(prop, dict) or prop.get("type") in (None, "null")
        if not nullable and "default" in prop and prop["default"] is None:
            del prop["default"]


class Dto(BaseModel):
    model_config = ConfigDict(
        alias_generator=to_camel,
        populate_by_name=True,
        extra="forbid",
        str_strip_whitespace=True,
        defer_build=True,
        json_schema_extra=_no_null_defaults,
    )
    # Text fields where a line break or tab means something (descriptions).
    multiline_fields: ClassVar[frozenset[str]] = frozenset()

    @field_validator("*", mode="after")
    @classmethod
    def _bounded(cls, value: Any, info: ValidationInfo) -> Any:
        _check_value(value, info.field_name in cls.multiline_fields)
        return value


class ResponseDto(BaseModel):
    model_config = ConfigDict(
        alias_generator=to_camel, populate_by_name=True, from_attributes=True, defer_build=True
    )


@functools.cache
def _list_adapter[R: BaseModel](model: type[R]) -> TypeAdapter[list[R]]:
    # Built on a list route's first call, as the models' own validators are (defer_build).
    return TypeAdapter(list[model])  # type: ignore[valid-type]


def validate_many[R: BaseModel](model: type[R], items: Iterable[dict[str, Any]]) -> list[R]:
    """The DTOs of many rows in one validation pass: the same checks and coercions as
    ``model.model_validate(item)`` for each item, without a Python call per row (a list
    route maps up to a couple of thousand)."""
    return _list_adapter(model).validate_python(list(items))


class ErrorResponse(ResponseDto):
    status_code: int
    error: str
    message: str
    details: list[dict[str, str]] | None = None


class BulkIdsRequest(Dto):
    ids: list[UUID] = Field(min_length=1, max_length=1000)


# One id's result in a bulk change (albums, tags, people): per id, never all-or-nothing.
# (A comment, not a docstring: a docstring would enter the OpenAPI document.)
class BulkIdResponse(ResponseDto):
    id: UUID
    success: bool
    error: Literal["duplicate", "not_found", "no_permission"] | None = None
