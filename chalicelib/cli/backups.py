"""``skyroll admin backup create|list|download`` and ``skyroll admin restore``.

    skyroll admin backup create             # pg_dump now (in a deployment: the backup function)
    skyroll admin backup list [--json]
    skyroll admin backup download NAME -o skyroll.dump
    skyroll admin restore skyroll.dump --database-url postgresql://…/skyroll [--pg-bin DIR]

Restore talks to PostgreSQL, not to the API (the API's database is what is being replaced):
it runs ``pg_restore`` of PostgreSQL 16 (``--pg-bin``, else the one on PATH) into the
database the URL names, which should be empty (``--clean`` replaces what the dump holds
instead). The password travels in libpq's environment, never on a command line.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import quote

import typer
from psycopg.conninfo import conninfo_to_dict
from rich.console import Console

from chalicelib.cli.render import print_lines

_LIBPQ_ENV = {"host": "PGHOST", "port": "PGPORT", "user": "PGUSER", "password": "PGPASSWORD"}


def restore_command(
    dump: Path, database_url: str, pg_bin: Path | None, clean: bool
) -> tuple[list[str], dict[str, str]]:
    """The pg_restore command line and environment for a restore (docs/deploy.md)."""
    tool = str(pg_bin / "pg_restore") if pg_bin else shutil.which("pg_restore")
    if not tool or not Path(tool).exists():
        raise FileNotFoundError("pg_restore not found: pass --pg-bin (PostgreSQL 16's bin dir)")
    parts = conninfo_to_dict(database_url)
    env = {k: v for k, v in os.environ.items() if not k.startswith("PG")}
    env.update({_LIBPQ_ENV[k]: str(v) for k, v in parts.items() if k in _LIBPQ_ENV and v})
    args = [tool, "--no-owner", "--no-privileges", "--exit-on-error", "--single-transaction"]
    if clean:
        args += ["--clean", "--if-exists"]
    args += ["--dbname", str(parts.get("dbname") or "skyroll"), str(dump)]
    return args, env


def register(
    admin_app: typer.Typer,
    session: Callable[..., Any],
    handles_errors: Callable[..., Any],
    print_json: Callable[[Any], None],
    err: Callable[[str], None],
) -> None:
    backup_app = typer.Typer(help="Database backups (pg_dump exports).", no_args_is_help=True)
    admin_app.add_typer(backup_app, name="backup")

    @backup_app.command("create")
    @handles_errors
    def backup_create(
        ctx: typer.Context,
        as_json: Annotated[bool, typer.Option("--json", help="Print the API's JSON")] = False,
    ) -> None:
        """Export the database now (what the nightly schedule does)."""
        with session(ctx) as client:
            result = client.call("POST", "/api/admin/backups", {})
        if as_json:
            print_json(result)
        elif result.get("started"):
            typer.echo("Backup started in the backup function; its logs have the result.")
        else:
            b = result["backup"]
            typer.echo(f"{b['name']}  {b['size']} bytes  (pruned {result['pruned']})")

    @backup_app.command("list")
    @handles_errors
    def backup_list(
        ctx: typer.Context,
        as_json: Annotated[bool, typer.Option("--json", help="Print the API's JSON")] = False,
    ) -> None:
        """Backups in the bucket, newest first."""
        with session(ctx) as client:
            result = client.call("GET", "/api/admin/backups")
        if as_json:
            print_json(result)
            return
        lines = [f"{b['name']}  {b['size']:>12}  {b['createdAt']}" for b in result["backups"]]
        print_lines(Console(), lines, "No backups yet.")

    @backup_app.command("download")
    @handles_errors
    def backup_download(
        ctx: typer.Context,
        name: Annotated[str, typer.Argument(help="skyroll-<time>.dump, as listed")],
        output: Annotated[Path, typer.Option("--output", "-o", help="File to write")],
    ) -> None:
        """Download one backup (for `skyroll admin restore`)."""
        with session(ctx) as client:
            path = f"/api/admin/backups/{quote(name, safe='')}"
            response = client.send(client.http, "GET", path, follow_redirects=False)
            location = response.headers.get("location")
            if response.status_code != 302 or not location:
                err("the server did not redirect to the backup")
                raise typer.Exit(1)
            with client.storage.stream("GET", location) as body, output.open("wb") as out:
                body.raise_for_status()
                for chunk in body.iter_bytes():
                    out.write(chunk)
        typer.echo(str(output))

    @admin_app.command("restore")
    def restore(
        dump: Annotated[Path, typer.Argument(help="A backup file (skyroll admin backup download)")],
        database_url: Annotated[
            str, typer.Option("--database-url", help="postgresql://user:pass@host:port/db")
        ],
        pg_bin: Annotated[
            Path | None, typer.Option("--pg-bin", help="PostgreSQL 16's bin directory")
        ] = None,
        clean: Annotated[
            bool, typer.Option("--clean", help="Drop what the dump holds first (not empty)")
        ] = False,
    ) -> None:
        """Restore a backup into a database with pg_restore (one transaction)."""
        if not dump.is_file():
            err(f"no such file: {dump}")
            raise typer.Exit(1)
        try:
            args, env = restore_command(dump, database_url, pg_bin, clean)
        except FileNotFoundError as exc:
            err(str(exc))
            raise typer.Exit(1) from None
        done = subprocess.run(args, env=env, capture_output=True, text=True, check=False)
        if done.returncode != 0:
            err(f"pg_restore failed (nothing was changed): {done.stderr.strip()[-2000:]}")
            raise typer.Exit(1)
        typer.echo(f"Restored {dump.name}.")
