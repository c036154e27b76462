"""``skyroll people list|rename|merge``: the people the server recognised in my photos.

    skyroll people list [--hidden] [--json]
    skyroll people rename PERSON_ID "Ada Lovelace"
    skyroll people merge INTO_ID OTHER_ID [OTHER_ID...]

Registered on the main app by ``register(app, ...)`` (main.py owns the session and error
helpers; passing them in avoids a circular import).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any
from urllib.parse import quote

import typer
from rich.console import Console

from chalicelib.cli.render import columns, print_lines


def people_lines(people: list[dict[str, Any]]) -> list[str]:
    """One line per person: id, faces, hidden or not, then the name as it is."""
    rows = [
        (
            str(p["id"]),
            f"{p.get('faceCount', 0)} faces",
            "hidden" if p.get("isHidden") else "",
            p.get("name") or "(unnamed)",
        )
        for p in people
    ]
    return columns(rows)


def register(
    app: typer.Typer,
    session: Callable[..., Any],
    handles_errors: Callable[..., Any],
    print_json: Callable[[Any], None],
) -> typer.Typer:
    people_app = typer.Typer(help="People recognised in your photos.", no_args_is_help=True)
    app.add_typer(people_app, name="people")

    def path(person_id: str, suffix: str = "") -> str:
        return f"/api/people/{quote(person_id, safe='')}{suffix}"

    @people_app.command("list")
    @handles_errors
    def people_list(
        ctx: typer.Context,
        hidden: Annotated[bool, typer.Option("--hidden", help="Include hidden people")] = False,
        as_json: Annotated[bool, typer.Option("--json", help="Print the API's JSON")] = False,
    ) -> None:
        """People, named first, with how many faces each has."""
        with session(ctx) as client:
            result = client.call("GET", "/api/people" + ("?withHidden=true" if hidden else ""))
        if as_json:
            print_json(result)
            return
        print_lines(Console(), people_lines(result["people"]), "No people.")

    @people_app.command("rename")
    @handles_errors
    def people_rename(
        ctx: typer.Context,
        person_id: Annotated[str, typer.Argument(help="The person's id (see `people list`)")],
        name: Annotated[str, typer.Argument(help="The new name")],
        as_json: Annotated[bool, typer.Option("--json", help="Print the API's JSON")] = False,
    ) -> None:
        """Name (or rename) a person."""
        with session(ctx) as client:
            result = client.call("PUT", path(person_id), {"name": name})
        if as_json:
            print_json(result)
            return
        typer.echo(f"{result['id']} is now {result['name']!r}.")

    @people_app.command("merge")
    @handles_errors
    def people_merge(
        ctx: typer.Context,
        into: Annotated[str, typer.Argument(help="The person who stays")],
        others: Annotated[list[str], typer.Argument(help="People merged into it")],
        as_json: Annotated[bool, typer.Option("--json", help="Print the API's JSON")] = False,
    ) -> None:
        """Merge people into one (their faces move; they are deleted)."""
        with session(ctx) as client:
            result = client.call("POST", path(into, "/merge"), {"ids": others})
        if as_json:
            print_json(result)
            return
        merged = [r["id"] for r in result if r["success"]]
        failed = [f"{r['id']} ({r['error']})" for r in result if not r["success"]]
        typer.echo(f"Merged {len(merged)} into {into}.")
        if failed:
            typer.echo("Not merged: " + ", ".join(failed), err=True)
            raise typer.Exit(1)

    return people_app
