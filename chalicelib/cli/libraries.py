"""``skyroll library add|list|scan``: your own S3 bucket as an external library.

skyroll library add "Old photos" --bucket my-photos --prefix 2019/
skyroll library list [--json]
skyroll library scan LIBRARY_ID              # once an admin approved it
skyroll library approve LIBRARY_ID           # admins
skyroll library delete LIBRARY_ID [--wait]   # a bulk job; the objects in the bucket stay
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any
from urllib.parse import quote

import typer
from rich.console import Console

from chalicelib.cli.bulk_jobs import Json, Wait, report
from chalicelib.cli.render import print_lines, visible


def _line(lib: dict[str, Any]) -> str:
    state = (
        "scanning"
        if lib["isScanning"]
        else ("approved" if lib["isApproved"] else "awaiting approval")
    )
    return visible(f"{lib['id']}  {lib['name']}  s3://{lib['bucket']}/{lib['prefix']}  ({state})")


def register(
    app: typer.Typer,
    session: Callable[..., Any],
    handles_errors: Callable[..., Any],
    print_json: Callable[[Any], None],
) -> None:
    library_app = typer.Typer(
        help="External libraries: photos in your own S3 bucket.", no_args_is_help=True
    )
    app.add_typer(library_app, name="library")

    @library_app.command("add")
    @handles_errors
    def add(
        ctx: typer.Context,
        name: Annotated[str, typer.Argument(help="A name for the library")],
        bucket: Annotated[str, typer.Option("--bucket", help="The S3 bucket")],
        prefix: Annotated[str, typer.Option("--prefix", help="Only keys under this prefix")] = "",
        as_json: Annotated[bool, typer.Option("--json", help="Print the API's JSON")] = False,
    ) -> None:
        """Register a bucket/prefix (an admin approves it before the first scan)."""
        with session(ctx) as client:
            lib = client.call(
                "POST", "/api/libraries", {"name": name, "bucket": bucket, "prefix": prefix}
            )
        if as_json:
            print_json(lib)
            return
        typer.echo(_line(lib))

    @library_app.command("list")
    @handles_errors
    def list_cmd(
        ctx: typer.Context,
        as_json: Annotated[bool, typer.Option("--json", help="Print the API's JSON")] = False,
    ) -> None:
        """Your libraries (an admin's: everyone's)."""
        with session(ctx) as client:
            libs = client.call("GET", "/api/libraries")
        if as_json:
            print_json(libs)
            return
        print_lines(Console(), [_line(lib) for lib in libs], "No libraries.")

    @library_app.command("scan")
    @handles_errors
    def scan(
        ctx: typer.Context,
        library_id: Annotated[str, typer.Argument(metavar="ID")],
        as_json: Annotated[bool, typer.Option("--json", help="Print the API's JSON")] = False,
    ) -> None:
        """Scan for new, changed and removed objects (resumes a scan in progress)."""
        with session(ctx) as client:
            result = client.call("POST", f"/api/libraries/{quote(library_id, safe='')}/scan", {})
        if as_json:
            print_json(result)
            return
        verb = "resumed" if result["resumed"] else "started"
        typer.echo(f"Scan {result['scanId']} {verb}.")

    @library_app.command("approve")
    @handles_errors
    def approve(
        ctx: typer.Context,
        library_id: Annotated[str, typer.Argument(metavar="ID")],
    ) -> None:
        """Approve a library so it can be scanned (admins)."""
        with session(ctx) as client:
            lib = client.call("POST", f"/api/libraries/{quote(library_id, safe='')}/approve", {})
        typer.echo(_line(lib))

    @library_app.command("delete")
    @handles_errors
    def delete(
        ctx: typer.Context,
        library_id: Annotated[str, typer.Argument(metavar="ID")],
        wait: Wait = False,
        as_json: Json = False,
    ) -> None:
        """Remove a library and its assets from Skyroll (a job on the server); the objects in
        your bucket stay."""
        with session(ctx) as client:
            job = client.call("DELETE", f"/api/libraries/{quote(library_id, safe='')}")
            report(client, job, wait=wait, as_json=as_json, echo_json=print_json)
