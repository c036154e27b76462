"""``skyroll admin config get|set|history``: the server settings an admin changes at run time.

    skyroll admin config get [image.thumbnail] [--defaults]   # JSON, whole or one branch
    skyroll admin config set image.thumbnail.size=300 ffmpeg.crf=28 [--requeue/--no-requeue]
    skyroll admin config history [--size 20]

``set`` reads the settings, changes the named fields (values are JSON: 300, true, null,
"webp"; anything that is not JSON is taken as text), and PUTs the whole document back. When
the server says the change leaves stages out of date, it offers to re-queue them
(``POST /api/admin/stages/{stage}/requeue``, for every asset, or for the assets missing the
stage when a feature was turned on), or does so with ``--requeue``.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Annotated, Any
from urllib.parse import quote

import typer

from chalicelib.cli.render import visible


class AssignmentError(ValueError):
    """A ``path=value`` that names no setting, or is not written that way."""


def parse_assignment(text: str) -> tuple[list[str], Any]:
    path, sep, raw = text.partition("=")
    if not sep or not path.strip():
        raise AssignmentError(f"{text!r}: write it as path=value, e.g. ffmpeg.crf=28")
    try:
        value = json.loads(raw)
    except ValueError:
        value = raw
    return path.strip().split("."), value


def assign(config: dict[str, Any], path: list[str], value: Any) -> None:
    node = config
    for depth, part in enumerate(path):
        if not isinstance(node, dict) or part not in node:
            raise AssignmentError(f"no setting {'.'.join(path[: depth + 1])!r}")
        if depth == len(path) - 1:
            if isinstance(node[part], dict):
                raise AssignmentError(f"{'.'.join(path)!r} is a group: name one of its fields")
            node[part] = value
        else:
            node = node[part]


def branch(config: dict[str, Any], dotted: str | None) -> Any:
    node: Any = config
    for part in dotted.split(".") if dotted else []:
        if not isinstance(node, dict) or part not in node:
            raise AssignmentError(f"no setting {dotted!r}")
        node = node[part]
    return node


def register(
    admin_app: typer.Typer,
    session: Callable[..., Any],
    handles_errors: Callable[..., Any],
    print_json: Callable[[Any], None],
) -> typer.Typer:
    config_app = typer.Typer(help="Server settings (GET/PUT /api/system-config).")
    admin_app.add_typer(config_app, name="config", no_args_is_help=True)

    @config_app.command("get")
    @handles_errors
    def config_get(
        ctx: typer.Context,
        path: Annotated[str | None, typer.Argument(help="A branch, e.g. image.thumbnail")] = None,
        defaults: Annotated[
            bool, typer.Option("--defaults", help="The environment's defaults instead")
        ] = False,
    ) -> None:
        """Print the settings in effect (or their defaults) as JSON."""
        url = "/api/system-config/defaults" if defaults else "/api/system-config"
        with session(ctx) as client:
            config = client.call("GET", url)
        try:
            print_json(branch(config, path))
        except AssignmentError as exc:
            raise typer.BadParameter(str(exc)) from exc

    @config_app.command("set")
    @handles_errors
    def config_set(
        ctx: typer.Context,
        assignments: Annotated[list[str], typer.Argument(help="path=value, e.g. ffmpeg.crf=28")],
        requeue: Annotated[
            bool | None,
            typer.Option(
                "--requeue/--no-requeue", help="Re-queue what the change leaves out of date"
            ),
        ] = None,
        as_json: Annotated[bool, typer.Option("--json", help="Print the API's JSON")] = False,
    ) -> None:
        """Change settings; offers to re-run the stages the change leaves out of date."""
        with session(ctx) as client:
            config = client.call("GET", "/api/system-config")
            try:
                for text in assignments:
                    assign(config, *parse_assignment(text))
            except AssignmentError as exc:
                raise typer.BadParameter(str(exc)) from exc
            result = client.call("PUT", "/api/system-config", config)
            offers = result.pop("requeue", [])
            if as_json:
                print_json({**result, "requeue": offers})
            else:
                typer.echo(f"Saved {len(assignments)} setting(s).")
            for offer in offers:
                stage, mode = offer["stage"], offer.get("mode", "all")
                which = "every asset" if mode == "all" else "the assets missing it"
                question = f"{offer['reason']}: re-run {stage} for {which}?"
                if requeue or (requeue is None and not as_json and typer.confirm(question)):
                    path = f"/api/admin/stages/{quote(stage, safe='')}/requeue"
                    job = client.call("POST", path, {"mode": mode})
                    typer.echo(
                        f"Started re-queuing {stage} for {which}: job {job['id']}"
                        " (skyroll jobs show).",
                        err=as_json,
                    )

    @config_app.command("history")
    @handles_errors
    def config_history(
        ctx: typer.Context,
        size: Annotated[int, typer.Option(min=1, max=500)] = 20,
        as_json: Annotated[bool, typer.Option("--json", help="Print the API's JSON")] = False,
    ) -> None:
        """Who changed which settings, newest first."""
        with session(ctx) as client:
            entries = client.call("GET", "/api/system-config/history", params={"size": size})
        if as_json:
            print_json(entries)
            return
        for entry in entries:
            who = entry.get("changedByEmail") or "(deleted user)"
            typer.echo(visible(f"{entry['changedAt']}  {who}"))
            for change in entry["changes"]:
                old, new = json.dumps(change["old"]), json.dumps(change["new"])
                typer.echo(f"    {change['path']}: {old} -> {new}")
        if not entries:
            typer.echo("No changes yet: every setting is the environment's default.")

    return config_app
