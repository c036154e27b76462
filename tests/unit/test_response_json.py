"""Responses are serialised by pydantic-core in one pass (api/http.py); what a client parses
is what ``model_dump(mode="json", by_alias=True)`` and ``json.dumps`` gave, value for value:
the same keys in the same order, the same strings for dates, UUIDs and enums, ints and floats
as they were, null where None."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta, timezone
from typing import Any, Literal
from uuid import UUID

from pydantic import BaseModel, Field

from app import app
from chalicelib.api.http import _serialise, respond
from chalicelib.schemas.base import ResponseDto, validate_many

BERLIN = timezone(timedelta(hours=2))
KATHMANDU = timezone(timedelta(hours=5, minutes=45))


class Inner(ResponseDto):
    asset_count: int
    ratio: float


class Outer(ResponseDto):
    id: UUID
    owner_id: UUID | None
    kind: Literal["IMAGE", "VIDEO"]
    original_file_name: str
    taken_at: datetime
    local_date_time: datetime | None
    f_number: float | None
    iso: int | None
    stack: Inner | None = None
    tags: list[str] = Field(default_factory=list)


class Derived(Outer):
    score: float | None = None


def old_body(result: Any) -> str:
    """The serialisation the API used before: a dict per model, then json.dumps."""
    if isinstance(result, list):
        payload: Any = [
            r.model_dump(mode="json", by_alias=True) if isinstance(r, BaseModel) else r
            for r in result
        ]
    else:
        payload = result.model_dump(mode="json", by_alias=True)
    return json.dumps(payload, default=str)


def same_json(new: str, old: str) -> None:
    """Equal values, and equal once re-encoded: an int is not a float, keys keep their order."""
    assert json.loads(new) == json.loads(old)
    assert json.dumps(json.loads(new)) == json.dumps(json.loads(old))


def _outer(**over: Any) -> dict[str, Any]:
    return {
        "id": UUID("0b6f6a5e-9d1c-4a63-8c55-0f7e4a1d2c3b"),
        "owner_id": None,
        "kind": "IMAGE",
        "original_file_name": "Zoë — 東京 😀.jpg",
        "taken_at": datetime(2019, 7, 24, 11, 25, 40, 123456, tzinfo=BERLIN),
        "local_date_time": datetime(2019, 7, 24, 11, 25, 40),  # a wall clock, naive
        "f_number": 1.8,
        "iso": 100,
        **over,
    }


ROWS = [
    _outer(),
    _outer(
        taken_at=datetime(2001, 1, 1, tzinfo=UTC),
        local_date_time=None,
        f_number=2,  # an int into a float field: 2.0, as before
        iso=None,
        stack={"asset_count": 3, "ratio": 4032 / 3024},
        tags=["a/b", "ü"],
    ),
    _outer(taken_at=datetime(1, 1, 1, tzinfo=KATHMANDU), f_number=1e-05, kind="VIDEO"),
    _outer(f_number=1e16, stack={"asset_count": 0, "ratio": 0.1 + 0.2}),
]


def test_a_list_of_dtos_parses_to_what_model_dump_and_json_dumps_gave() -> None:
    models = validate_many(Outer, ROWS)
    response = _serialise(models, 200)
    assert response.status_code == 200
    assert response.headers == {"Content-Type": "application/json"}
    assert isinstance(response.body, str)  # the Lambda proxy answer is JSON: no bytes
    # What the Lambda runtime sends API Gateway: the proxy answer as JSON, body as text.
    proxy = json.loads(json.dumps(response.to_dict(app.api.binary_types)))
    assert proxy["body"] == response.body and "isBase64Encoded" not in proxy
    same_json(response.body, old_body(models))
    first = json.loads(response.body)[0]
    assert list(first) == [
        "id",
        "ownerId",
        "kind",
        "originalFileName",
        "takenAt",
        "localDateTime",
        "fNumber",
        "iso",
        "stack",
        "tags",
    ]
    assert first["takenAt"] == "2019-07-24T11:25:40.123456+02:00"
    assert first["localDateTime"] == "2019-07-24T11:25:40"
    assert first["originalFileName"] == "Zoë — 東京 😀.jpg"
    assert json.loads(response.body)[1]["takenAt"] == "2001-01-01T00:00:00Z"


def test_one_dto_and_each_model_by_its_own_class() -> None:
    # A subclass in a list keeps its own fields (as model_dump of each item did).
    mixed = [Outer.model_validate(ROWS[0]), Derived.model_validate({**ROWS[1], "score": 0.5})]
    same_json(_serialise(mixed, 200).body, old_body(mixed))
    assert json.loads(_serialise(mixed, 200).body)[1]["score"] == 0.5
    one = Derived.model_validate(ROWS[2])
    created = respond(one, 201)
    assert created.status_code == 201
    same_json(created.body, old_body(one))


def test_lists_of_strings_empty_lists_and_plain_payloads() -> None:
    same_json(_serialise(["Tokyo", "Zürich"], 200).body, '["Tokyo", "Z\\u00fcrich"]')
    assert _serialise([], 200).body == "[]"
    plain = {"openapi": "3.1.0", "when": datetime(2020, 1, 1, tzinfo=UTC)}
    assert _serialise(plain, 200).body == json.dumps(plain, default=str)
    none = _serialise(None, 200)
    assert (none.status_code, none.body) == (204, "")


def test_text_utf8_cannot_carry_falls_back_to_escapes() -> None:
    # A lone surrogate has no UTF-8 form: the body is json.dumps' escapes, as before.
    model = Outer.model_validate(_outer(original_file_name="bad \udc80 name"))
    body = _serialise([model], 200).body
    assert body == old_body([model])
    assert json.loads(body)[0]["originalFileName"] == "bad \udc80 name"
