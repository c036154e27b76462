"""Every request DTO of the route table bounds its dates, text and integers (the rules in
chalicelib/schemas/base.py): a new DTO with a bare ``datetime`` fails here."""

from __future__ import annotations

import typing
from collections.abc import Iterator
from datetime import datetime
from typing import Annotated, Any

import pytest
from pydantic import (
    AwareDatetime,
    BaseModel,
    FutureDatetime,
    NaiveDatetime,
    PastDatetime,
    TypeAdapter,
    ValidationError,
)

import chalicelib.api.routes  # noqa: F401  (fills the route table)
from chalicelib.api.http import ROUTES
from chalicelib.schemas.base import Dto

DATETIMES = (datetime, AwareDatetime, NaiveDatetime, PastDatetime, FutureDatetime)
POISONED = ("9999-12-31T23:59:59-14:00", "0001-01-01T00:00:00+14:00", "2024-05-01T10:00:00")


def _types(annotation: Any) -> Iterator[Any]:
    yield annotation
    for arg in typing.get_args(annotation):
        yield from _types(arg)


def _request_models() -> set[type[BaseModel]]:
    seen: set[type[BaseModel]] = set()
    todo = [m for r in ROUTES for m in (r.body, r.query) if m is not None]
    while todo:
        model = todo.pop()
        if model in seen:
            continue
        seen.add(model)
        for info in model.model_fields.values():
            todo.extend(
                t
                for t in _types(info.annotation)
                if isinstance(t, type) and issubclass(t, BaseModel)
            )
    return seen


MODELS = sorted(_request_models(), key=lambda m: m.__qualname__)
DATE_FIELDS = [
    (model, name)
    for model in MODELS
    for name, info in model.model_fields.items()
    if any(t in DATETIMES for t in _types(info.annotation))
]


def test_every_request_model_is_a_dto() -> None:
    assert [m for m in MODELS if not issubclass(m, Dto)] == []


def test_the_table_has_date_fields() -> None:
    names = {f"{m.__name__}.{n}" for m, n in DATE_FIELDS}
    assert {"CreateUploadRequest.file_created_at", "SharedLinkEditRequest.expires_at"} <= names


@pytest.mark.parametrize(("model", "name"), DATE_FIELDS, ids=lambda x: getattr(x, "__name__", x))
def test_every_request_date_is_bounded_and_aware(model: type[BaseModel], name: str) -> None:
    info = model.model_fields[name]
    annotated = Annotated[info.annotation, *info.metadata] if info.metadata else info.annotation
    adapter: TypeAdapter[Any] = TypeAdapter(annotated)
    for value in POISONED:
        with pytest.raises(ValidationError):
            adapter.validate_python(value)
    assert adapter.validate_python("9999-12-31T23:59:59Z").year == 9999


def test_dto_refuses_control_characters_and_out_of_range_integers() -> None:
    class Probe(Dto):
        multiline_fields = frozenset({"text"})

        name: str = "x"
        text: str = "x"
        names: list[str] = []
        number: int = 0

    Probe(text="a\nb\tc", name="plain")
    for bad in (
        {"name": "a\x00"},
        {"name": "a\nb"},
        {"name": "a\ud800"},
        {"text": "a\x00"},
        {"text": "a\x1b"},
        {"names": ["ok", "a\x7f"]},
        {"number": 2**63},
        {"number": -(2**63) - 1},
    ):
        with pytest.raises(ValidationError):
            Probe.model_validate(bad)
