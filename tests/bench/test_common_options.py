"""bench/common.int_options: a benchmark's command line, and a clear refusal of anything
else (a mistyped or unknown flag was taken for the output file and overwritten)."""

from __future__ import annotations

import pytest

from bench.common import int_options


def test_the_output_and_the_options_are_read() -> None:
    assert int_options(["out.md", "--calls", "5"], {"--calls": 50, "--assets": 1}) == (
        "out.md",
        {"--calls": 5, "--assets": 1},
    )
    assert int_options([], {"--calls": 50}) == (None, {"--calls": 50})


@pytest.mark.parametrize("argv", [["--help"], ["a.md", "b.md"], ["--call", "3"]])
def test_an_unknown_flag_or_a_second_output_is_refused(argv: list[str]) -> None:
    with pytest.raises(SystemExit, match=r"usage: .*\[--calls N\]"):
        int_options(argv, {"--calls": 50})
