"""``skyroll stacks list|show|create|set-primary|delete``: stacks (a RAW + JPEG pair, a
burst) shown in the timeline as their primary, over ``/api/stacks``.

    skyroll stacks list [--primary ASSET_ID] [--json]
    skyroll stacks show STACK_ID [--json]
    skyroll stacks create ASSET_ID ASSET_ID...   # the first becomes the primary
    skyroll stacks set-primary STACK_ID ASSET_ID
    skyroll stacks delete STACK_ID...            # unstack: the assets stay

Registered on the main app by ``register(app, ...)``, like the library commands.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any
from urllib.parse import quote

import typer

from chalicelib.cli.render import visible

Json = Annotated[bool, typer.Option("--json", help="Print the API's JSON")]


def _line(stack: dict[str, Any]) -> str:
    primary = next((a for a in stack["assets"] if a["id"] == stack["primaryAssetId"]), {"id": "?"})
    name = primary.get("originalFileName", "")
    return visible(
        f"{stack['id']}  {len(stack['assets'])} assets"
        f"  primary {stack['primaryAssetId']} {name}".rstrip()
    )


def _path(stack_id: str) -> str:
    return f"/api/stacks/{quote(stack_id, safe='')}"


def _show(stack: dict[str, Any]) -> None:
    # Plain lines, not a table: a console would wrap them, and the ids must stay copyable.
    typer.echo(_line(stack))
    for asset in stack["assets"]:
        mark = "  (primary)" if asset["id"] == stack["primaryAssetId"] else ""
        typer.echo(
            f"  {asset['id']}  {asset['type']}  {asset.get('originalFileName', '')}"
            f"  {asset.get('status', '')}{mark}"
        )


def register(
    app: typer.Typer,
    session: Callable[..., Any],
    handles_errors: Callable[..., Any],
    print_json: Callable[[Any], None],
) -> None:
    stacks_app = typer.Typer(
        help="Stacks: assets of one shot shown as their primary.", no_args_is_help=True
    )
    app.add_typer(stacks_app, name="stacks")

    def answer(stack: dict[str, Any], as_json: bool) -> None:
        """A changed stack: the API's JSON, or its one line."""
        if as_json:
            print_json(stack)
        else:
            typer.echo(_line(stack))

    @stacks_app.command("list")
    @handles_errors
    def list_cmd(
        ctx: typer.Context,
        primary: Annotated[
            str | None, typer.Option("--primary", help="Only the stack with this primary")
        ] = None,
        as_json: Json = False,
    ) -> None:
        """My stacks."""
        params = {"primaryAssetId": primary} if primary else None
        with session(ctx) as client:
            stacks = client.call("GET", "/api/stacks", params=params)
        if as_json:
            print_json(stacks)
            return
        for stack in stacks:
            typer.echo(_line(stack))
        if not stacks:
            typer.echo("No stacks.")

    @stacks_app.command("show")
    @handles_errors
    def show(
        ctx: typer.Context,
        stack_id: Annotated[str, typer.Argument(metavar="STACK_ID")],
        as_json: Json = False,
    ) -> None:
        """One stack and its assets, the primary first."""
        with session(ctx) as client:
            stack = client.call("GET", _path(stack_id))
        if as_json:
            print_json(stack)
            return
        _show(stack)

    @stacks_app.command("create")
    @handles_errors
    def create(
        ctx: typer.Context,
        asset_ids: Annotated[
            list[str], typer.Argument(metavar="ASSET_ID...", help="The first is the primary")
        ],
        as_json: Json = False,
    ) -> None:
        """Stack two or more of my assets (a stack one of them is in joins it whole)."""
        if len(asset_ids) < 2:
            raise typer.BadParameter("a stack needs at least two assets")
        with session(ctx) as client:
            stack = client.call("POST", "/api/stacks", {"assetIds": asset_ids})
        answer(stack, as_json)

    @stacks_app.command("set-primary")
    @handles_errors
    def set_primary(
        ctx: typer.Context,
        stack_id: Annotated[str, typer.Argument(metavar="STACK_ID")],
        asset_id: Annotated[str, typer.Argument(metavar="ASSET_ID", help="One of the stack's")],
        as_json: Json = False,
    ) -> None:
        """Choose the asset the timeline shows for the stack."""
        with session(ctx) as client:
            stack = client.call("PUT", _path(stack_id), {"primaryAssetId": asset_id})
        answer(stack, as_json)

    @stacks_app.command("remove")
    @handles_errors
    def remove(
        ctx: typer.Context,
        stack_id: Annotated[str, typer.Argument(metavar="STACK_ID")],
        asset_id: Annotated[str, typer.Argument(metavar="ASSET_ID", help="Not the primary")],
    ) -> None:
        """Take one asset out of the stack (a stack left with one asset is no stack)."""
        with session(ctx) as client:
            client.call("DELETE", f"{_path(stack_id)}/assets/{asset_id}")
        typer.echo(f"Took {asset_id} out of stack {stack_id}.")

    @stacks_app.command("delete")
    @handles_errors
    def delete(
        ctx: typer.Context,
        stack_ids: Annotated[list[str], typer.Argument(metavar="STACK_ID...")],
    ) -> None:
        """Unstack: the assets stay, each back in the timeline on its own."""
        with session(ctx) as client:
            if len(stack_ids) == 1:
                client.call("DELETE", _path(stack_ids[0]))
            else:
                client.call("DELETE", "/api/stacks", {"ids": stack_ids})
        typer.echo(f"Unstacked {len(stack_ids)} stack(s).")
