"""Base for every JSON body: camelCase on the wire (as Immich's API), snake_case in Python;
and the DTOs several features share (errors, bulk id results)."""

from __future__ import annotations

from typing import Literal
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field
from pydantic.alias_generators import to_camel


# defer_build: a model's validator is built when first used, not when its module is
# imported; the API's cold start imports every DTO to register routes, but a request
# uses a few.
class Dto(BaseModel):
    model_config = ConfigDict(
        alias_generator=to_camel,
        populate_by_name=True,
        extra="forbid",
        str_strip_whitespace=True,
        defer_build=True,
    )


class ResponseDto(BaseModel):
    model_config = ConfigDict(
        alias_generator=to_camel, populate_by_name=True, from_attributes=True, defer_build=True
    )


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
