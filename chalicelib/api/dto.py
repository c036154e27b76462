"""Base for every JSON body: camelCase on the wire (as Immich's API), snake_case in Python."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict
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
