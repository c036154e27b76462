"""make dev's wait for the local API is a setting: a busy machine needs more than a minute."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from chalicelib.settings import Settings


def test_the_wait_is_three_minutes_unless_set(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("SKYROLL_LOCAL_START_SECONDS", raising=False)
    assert Settings().local_start_seconds == 180
    monkeypatch.setenv("SKYROLL_LOCAL_START_SECONDS", "450")
    assert Settings().local_start_seconds == 450


@pytest.mark.parametrize("value", ["0", "-5", "soon"])
def test_a_wait_that_is_not_a_positive_number_is_refused(
    monkeypatch: pytest.MonkeyPatch, value: str
) -> None:
    monkeypatch.setenv("SKYROLL_LOCAL_START_SECONDS", value)
    with pytest.raises(ValidationError, match="local_start_seconds"):
        Settings()
