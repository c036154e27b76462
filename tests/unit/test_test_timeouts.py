"""tests/support/timeouts.py: generous defaults, set from the environment, and a clear error
for a value that would wait forever or not at all."""

from __future__ import annotations

import pytest

from tests.support import timeouts


def test_defaults_are_generous_but_finite(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("SKYROLL_TEST_STACK_START_SECONDS", raising=False)
    monkeypatch.delenv("SKYROLL_TEST_REQUEST_SECONDS", raising=False)
    monkeypatch.delenv("SKYROLL_TEST_PIPELINE_SECONDS", raising=False)
    assert (timeouts.stack_start(), timeouts.request(), timeouts.pipeline()) == (300, 120, 300)


def test_the_environment_sets_them(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SKYROLL_TEST_STACK_START_SECONDS", "600")
    monkeypatch.setenv("SKYROLL_TEST_REQUEST_SECONDS", " 2.5 ")
    monkeypatch.setenv("SKYROLL_TEST_PIPELINE_SECONDS", "900")
    assert (timeouts.stack_start(), timeouts.request(), timeouts.pipeline()) == (600, 2.5, 900)


@pytest.mark.parametrize("raw", ["soon", "0", "-5", "inf", "nan"])
def test_a_value_that_is_not_a_positive_finite_number_is_refused(
    monkeypatch: pytest.MonkeyPatch, raw: str
) -> None:
    monkeypatch.setenv("SKYROLL_TEST_REQUEST_SECONDS", raw)
    with pytest.raises(ValueError, match="SKYROLL_TEST_REQUEST_SECONDS"):
        timeouts.request()
