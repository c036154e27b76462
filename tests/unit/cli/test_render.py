"""chalicelib/cli/render.py's lines: user data printed as it is (no markup, emoji codes or
highlighting) and never folded at the console's width, in columns that line up."""

from __future__ import annotations

import io

import pytest
from rich.console import Console

from chalicelib.cli.bulk_jobs import describe
from chalicelib.cli.libraries import _line as library_line
from chalicelib.cli.main import err
from chalicelib.cli.ml import people_lines
from chalicelib.cli.render import asset_lines, columns, print_lines, visible

LONG = ("a long name " * 20)[:200]


def _console() -> tuple[Console, io.StringIO]:
    out = io.StringIO()
    return Console(file=out, width=80, force_terminal=False), out


def test_print_lines_prints_each_line_as_it_is() -> None:
    console, out = _console()
    lines = ["[bold]x[/bold] :smile: 12 http://a.b", LONG, "[red]", "\\[escaped]"]
    print_lines(console, lines, "none")
    assert out.getvalue() == "".join(f"{line}\n" for line in lines)


def test_print_lines_says_when_there_is_nothing() -> None:
    console, out = _console()
    print_lines(console, [], "No [bold]rows[/bold].")
    print_lines(console, [], "")
    assert out.getvalue() == "No [bold]rows[/bold].\n"


def test_columns_pad_all_but_the_last_and_drop_empty_columns() -> None:
    rows = [("id-1", "", "3 faces", "Ann"), ("id-22", "", "12 faces", ""), ("id-3", "", "x", LONG)]
    assert columns(rows) == [
        "id-1   3 faces   Ann",
        "id-22  12 faces",
        f"id-3   x         {LONG}",
    ]
    assert columns([]) == []


def test_asset_lines_end_with_the_file_name() -> None:
    items = [
        {"id": "a1", "type": "IMAGE", "status": "ready", "originalFileName": "[bold]x.jpg",
         "fileCreatedAt": "2024-01-01T00:00:00Z", "exifInfo": {"fileSizeInByte": 2048}},
        {"id": "a2", "type": "VIDEO", "status": "failed", "failureReason": "truncated",
         "originalFileName": LONG, "localDateTime": "2024-02-01T00:00:00"},
    ]  # fmt: skip
    assert asset_lines(items) == [
        "a1  IMAGE  2024-01-01T00:00:00Z     2.0 KB  ready              [bold]x.jpg",
        f"a2  VIDEO  2024-02-01T00:00:00              failed: truncated  {LONG}",
    ]


def test_an_error_prints_its_message_as_it_is_on_one_line(
    capsys: pytest.CaptureFixture[str],
) -> None:
    err(f"album [bold]x[/bold] :smile: {LONG} not found")
    assert capsys.readouterr().err == f"Error: album [bold]x[/bold] :smile: {LONG} not found\n"


# A name that would end its line and start another, coloured red, if printed as it is.
SPOOF = "Ann\nid-2  3 faces  Bob\x1b[31m"
SHOWN = "Ann\\nid-2  3 faces  Bob\\x1b[31m"


def test_visible_escapes_control_characters_and_nothing_else() -> None:
    assert visible(SPOOF) == SHOWN
    assert visible("a\tb\rc\x00\x7f\x85d") == "a\\tb\\rc\\x00\\x7f\\x85d"
    # Line separators str.splitlines splits on, and a right-to-left override.
    assert visible("a\u2028b\u2029c\u202ed\u2067") == "a\\u2028b\\u2029c\\u202ed\\u2067"
    ordinary = "Zoë's 😀‍👩 C:\\photos\\n [bold] \u00a0x"
    assert visible(ordinary) == ordinary
    assert visible(visible(SPOOF)) == SHOWN


def test_print_lines_keeps_a_name_with_control_characters_on_its_line() -> None:
    console, out = _console()
    print_lines(console, people_lines([{"id": "id-1", "faceCount": 2, "name": SPOOF}]), "")
    assert out.getvalue() == f"id-1  2 faces  {SHOWN}\n"
    assert "\x1b" not in out.getvalue()


def test_columns_line_up_the_escaped_cells() -> None:
    assert columns([("a\tb", "x"), ("abcdef", "y")]) == ["a\\tb    x", "abcdef  y"]


def test_other_lines_with_names_show_control_characters() -> None:
    lib = {"id": "l1", "name": SPOOF, "bucket": "b", "prefix": "p/", "isScanning": False,
           "isApproved": True}  # fmt: skip
    assert library_line(lib) == f"l1  {SHOWN}  s3://b/p/  (approved)"
    job = {"kind": "delete", "id": "j1", "status": "failed", "processed": 1, "error": SPOOF}
    assert describe(job) == f"delete j1: failed, 1 done ({SHOWN})"


def test_an_error_shows_control_characters_on_its_one_line(
    capsys: pytest.CaptureFixture[str],
) -> None:
    err(f"album {SPOOF} not found")
    assert capsys.readouterr().err == f"Error: album {SHOWN} not found\n"
