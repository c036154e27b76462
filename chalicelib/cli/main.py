"""``skyroll``: log in, upload a folder straight to S3, list, show and download assets.

    skyroll login --server http://127.0.0.1:8000 --email me@example.com   # prompts
    skyroll upload ~/Pictures --recursive            # hash, skip duplicates, send the rest
    skyroll upload ~/Pictures -r --dry-run --json    # what would be sent, as JSON
    skyroll assets list --type VIDEO --json
    skyroll download 6f1c… -o ~/Downloads
    skyroll trash empty --wait                       # a job on the server; waits for it
    skyroll jobs show JOB_ID                         # a job's progress
    skyroll admin requeue thumbnail --all --wait     # re-run a pipeline stage (admins)
    skyroll admin jobs [--dlq STAGE | --redrive STAGE] # queues and dead letters (admins)
    skyroll admin config set image.thumbnail.size=300  # server settings (admins)
    skyroll admin backup create|list|download        # database exports (admins)
    skyroll admin restore FILE --database-url DSN    # pg_restore a downloaded backup
    skyroll library add NAME --bucket B [--prefix P] # your own bucket, read in place
    skyroll logout

Config and the multipart resume journal live in ``$SKYROLL_CONFIG_DIR`` (default
``~/.config/skyroll``), both 0600. Exit codes: 0 ok, 1 something failed, 130 interrupted.

Tests run these commands with ``typer.testing.CliRunner().invoke(app, args, obj=Runtime(...))``:
the ``Runtime`` carries the httpx transports, so no module global is patched.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import wraps
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import quote

import httpx
import typer
from rich.console import Console
from rich.text import Text

from chalicelib.cli import backups as _backups_cli
from chalicelib.cli import bulk_jobs as _bulk_jobs_cli
from chalicelib.cli import config
from chalicelib.cli import libraries as _libraries_cli
from chalicelib.cli import ml as _ml_cli
from chalicelib.cli import stacks as _stacks_cli
from chalicelib.cli import system_config as _config_cli
from chalicelib.cli.api import ApiError, Client, Transports
from chalicelib.cli.download import DownloadError, download
from chalicelib.cli.engine import NullProgress, Options, Outcome, Uploader
from chalicelib.cli.files import collect
from chalicelib.cli.journal import JOURNAL_FILE, Journal
from chalicelib.cli.render import (
    RichProgress,
    asset_detail_lines,
    asset_lines,
    columns,
    print_lines,
    summary,
    visible,
)

app = typer.Typer(
    help="Skyroll: your photo and video library, from the command line.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
assets_app = typer.Typer(help="List and inspect assets.", no_args_is_help=True)
app.add_typer(assets_app, name="assets")
admin_app = typer.Typer(help="Server administration (admin accounts only).", no_args_is_help=True)
app.add_typer(admin_app, name="admin")


@dataclass
class Runtime:
    """What a command needs from outside: transports (tests inject MockTransports)."""

    transports: Transports = field(default_factory=Transports)
    # None: draw progress bars only when stdout is a terminal.
    progress: bool | None = None


@app.callback()
def _root(ctx: typer.Context) -> None:
    if ctx.obj is None:
        ctx.obj = Runtime()


def _runtime(ctx: typer.Context) -> Runtime:
    return ctx.obj if isinstance(ctx.obj, Runtime) else Runtime()


def err(message: str) -> None:
    # The message may quote user data (a name in a server's error): a Text is never read as
    # markup, soft wrapping and visible control characters keep it one line for whoever
    # reads stderr.
    line = Text.assemble(("Error:", "bold red"), " ", visible(message))
    Console(stderr=True).print(line, highlight=False, soft_wrap=True)


def handles_errors[F: Callable[..., Any]](fn: F) -> F:
    """Turn the errors a user can act on into one line on stderr and exit code 1."""

    @wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except (config.NotLoggedIn, DownloadError) as e:
            err(str(e))
        except ApiError as e:
            err(str(e) + (" (try `skyroll login` again)" if e.status == 401 else ""))
        except httpx.HTTPError as e:
            err(f"cannot reach the server: {e}")
        raise typer.Exit(1)

    return wrapper  # type: ignore[return-value]


@contextmanager
def session(ctx: typer.Context) -> Iterator[Client]:
    cfg = config.require()
    with Client(
        cfg.server, token=cfg.access_token, api_key=cfg.api_key, transports=_runtime(ctx).transports
    ) as client:
        yield client


def print_json(data: Any) -> None:
    typer.echo(json.dumps(data, indent=2, default=str))


# -- accounts -------------------------------------------------------------------------
@app.command()
@handles_errors
def login(
    ctx: typer.Context,
    server: Annotated[str, typer.Option(help="Server URL, e.g. https://photos.example.com")],
    email: Annotated[str, typer.Option(help="Your account's email")],
    password: Annotated[str | None, typer.Option(help="Prompted for when not given")] = None,
    api_key: Annotated[
        str | None, typer.Option(help="Use an API key instead of a password")
    ] = None,
) -> None:
    """Log in and remember the server and credential (in a file only you can read)."""
    server = server.rstrip("/")
    transports = _runtime(ctx).transports
    if api_key:
        with Client(server, api_key=api_key, transports=transports) as client:
            me = client.me()
        cfg = config.Config(
            server, email, api_key=api_key, user_id=me.get("id"), name=me.get("name")
        )
    else:
        if password is None:
            password = typer.prompt("Password", hide_input=True)
        with Client(server, transports=transports) as client:
            session_ = client.login(email, password)
        cfg = config.Config(
            server,
            email,
            access_token=session_["accessToken"],
            user_id=session_.get("userId"),
            name=session_.get("name"),
        )
    path = config.save(cfg)
    typer.echo(visible(f"Logged in to {server} as {cfg.name or email} (credential in {path})"))


@app.command()
@handles_errors
def logout(ctx: typer.Context) -> None:
    """End the session on the server and forget the credential."""
    cfg = config.load()
    if cfg is None or not cfg.has_credential:
        typer.echo("Not logged in.")
        return
    if cfg.access_token:
        try:
            with session(ctx) as client:
                client.logout()
        except ApiError as e:
            if e.status != 401:  # an expired session is as good as ended
                raise
    # An API key is not ours to revoke here (it may serve other scripts): just forget it.
    config.save(config.Config(cfg.server, cfg.email))
    typer.echo(f"Logged out of {cfg.server}.")


@app.command()
@handles_errors
def whoami(
    ctx: typer.Context,
    as_json: Annotated[bool, typer.Option("--json", help="Print the API's JSON")] = False,
) -> None:
    """Who the stored credential belongs to."""
    with session(ctx) as client:
        me = client.me()
    if as_json:
        print_json(me)
    else:
        typer.echo(visible(f"{me.get('name')} <{me.get('email')}> on {config.require().server}"))


# -- upload ---------------------------------------------------------------------------
@app.command()
@handles_errors
def upload(
    ctx: typer.Context,
    paths: Annotated[list[Path], typer.Argument(help="Files and folders")],
    recursive: Annotated[bool, typer.Option("--recursive", "-r", help="Enter subfolders")] = False,
    concurrency: Annotated[
        int, typer.Option("--concurrency", "-c", min=1, max=64, help="Files sent at once")
    ] = Options.concurrency,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Hash and check, send nothing")
    ] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print results as JSON")] = False,
) -> None:
    """Upload new photos and videos straight to storage; duplicates are never sent."""
    cfg = config.require()
    runtime = _runtime(ctx)
    console = Console(stderr=as_json)
    files, skipped = collect(paths, recursive)
    journal = Journal(config.config_dir() / JOURNAL_FILE)
    options = Options(
        concurrency=concurrency, part_concurrency=min(concurrency, 4), dry_run=dry_run
    )
    show_bars = (
        runtime.progress if runtime.progress is not None else (console.is_terminal and not as_json)
    )
    with session(ctx) as client:
        progress = _progress(console, show_bars)
        uploader = Uploader(client, journal, cfg.server, progress, options)
        try:
            with progress:
                results = uploader.run(files, skipped)
        except KeyboardInterrupt:
            err("interrupted. Run the same command again: large files resume where they stopped.")
            raise typer.Exit(130) from None
    if as_json:
        print_json(
            {
                "results": [r.as_json() for r in results],
                "summary": {o.value: sum(r.outcome is o for r in results) for o in Outcome},
            }
        )
    else:
        summary(console, results)
    if any(r.outcome is Outcome.FAILED for r in results):
        raise typer.Exit(1)


def _progress(console: Console, show: bool) -> RichProgress | NullProgress:
    return RichProgress(console) if show else NullProgress()


# -- assets ---------------------------------------------------------------------------
@assets_app.command("list")
@handles_errors
def assets_list(
    ctx: typer.Context,
    page: Annotated[int, typer.Option(min=1)] = 1,
    size: Annotated[int, typer.Option(min=1, max=1000)] = 100,
    type_: Annotated[str | None, typer.Option("--type", help="IMAGE or VIDEO")] = None,
    favorite: Annotated[bool | None, typer.Option("--favorite/--not-favorite")] = None,
    archived: Annotated[bool | None, typer.Option("--archived/--not-archived")] = None,
    trashed: Annotated[bool | None, typer.Option("--trashed/--not-trashed")] = None,
    status: Annotated[str | None, typer.Option(help="pending, processing, ready or failed")] = None,
    taken_after: Annotated[str | None, typer.Option(help="ISO 8601")] = None,
    taken_before: Annotated[str | None, typer.Option(help="ISO 8601")] = None,
    all_pages: Annotated[bool, typer.Option("--all", help="Every page, not just one")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print the API's JSON")] = False,
) -> None:
    """List my assets, newest first."""
    params: dict[str, Any] = {"page": page, "size": size}
    filters = {
        "type": type_.upper() if type_ else None,
        "isFavorite": favorite,
        "isArchived": archived,
        "isTrashed": trashed,
        "status": status,
        "takenAfter": taken_after,
        "takenBefore": taken_before,
    }
    for key, value in filters.items():
        if value is not None:
            params[key] = str(value).lower() if isinstance(value, bool) else value
    with session(ctx) as client:
        if all_pages:
            result: dict[str, Any] = {"items": list(client.iter_assets(params)), "nextPage": None}
        else:
            result = client.list_assets(params)
    if as_json:
        print_json(result)
        return
    console = Console()
    print_lines(console, asset_lines(result["items"]), "No assets.")
    if result.get("nextPage"):
        console.print(f"More: --page {result['nextPage']} (or --all)")


@assets_app.command("show")
@handles_errors
def assets_show(
    ctx: typer.Context,
    asset_id: Annotated[str, typer.Argument(metavar="ID")],
    as_json: Annotated[bool, typer.Option("--json", help="Print the API's JSON")] = False,
) -> None:
    """One asset with its metadata."""
    with session(ctx) as client:
        asset = client.get_asset(asset_id)
    if as_json:
        print_json(asset)
        return
    print_lines(Console(), asset_detail_lines(asset), "")


@app.command("download")
@handles_errors
def download_cmd(
    ctx: typer.Context,
    asset_id: Annotated[str, typer.Argument(metavar="ID")],
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="File or folder to write")
    ] = None,
    force: Annotated[bool, typer.Option("--force", help="Overwrite an existing file")] = False,
) -> None:
    """Download an original (checked against its SHA-256)."""
    with session(ctx) as client:
        path = download(client, asset_id, output, force)
    typer.echo(str(path))


@app.command()
@handles_errors
def search(
    ctx: typer.Context,
    query: Annotated[str, typer.Argument(help="What to look for, in words")],
    size: Annotated[int, typer.Option(min=1, max=1000)] = 20,
    as_json: Annotated[bool, typer.Option("--json", help="Print the API's JSON")] = False,
) -> None:
    """Smart search: photos that match a description."""
    with session(ctx) as client:
        result = client.smart_search(query, 1, size)
    if as_json:
        print_json(result)
        return
    print_lines(Console(), asset_lines(result.get("items", [])), "No matches.")


@admin_app.command("requeue")
@handles_errors
def admin_requeue(
    ctx: typer.Context,
    stage: Annotated[str, typer.Argument(help="Pipeline stage, e.g. thumbnail or transcode")],
    all_assets: Annotated[
        bool, typer.Option("--all", help="Every asset, redoing finished work (default: missing)")
    ] = False,
    wait: Annotated[bool, typer.Option("--wait", help="Wait until the job is done")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print the API's JSON")] = False,
) -> None:
    """Queue a stage again for the assets missing its output (or for all of them): a job on
    the server, which prints its id (``skyroll jobs show ID``)."""
    mode = "all" if all_assets else "missing"
    with session(ctx) as client:
        path = f"/api/admin/stages/{quote(stage, safe='')}/requeue"
        job = client.call("POST", path, {"mode": mode})
        _bulk_jobs_cli.report(client, job, wait=wait, as_json=as_json, echo_json=print_json)


@admin_app.command("run-job")
@handles_errors
def admin_run_job(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(help="Job name, e.g. reembed or people-recluster")],
    as_json: Annotated[bool, typer.Option("--json", help="Print the API's JSON")] = False,
) -> None:
    """Run a maintenance job now (what the nightly schedule runs; `reembed` only runs here)."""
    with session(ctx) as client:
        result = client.call("POST", f"/api/admin/jobs/{quote(name, safe='')}/run", {})
    if as_json:
        print_json(result)
        return
    if result.get("started"):
        typer.echo(f"{result['job']}: started in the jobs function; its logs have the result.")
        return
    figures = ", ".join(f"{k} {v}" for k, v in result["result"].items()) or "nothing to report"
    typer.echo(f"{result['job']}: {figures}.")


@admin_app.command("jobs")
@handles_errors
def admin_jobs(
    ctx: typer.Context,
    dlq: Annotated[
        str | None, typer.Option("--dlq", help="Show the dead letters of this stage")
    ] = None,
    redrive: Annotated[
        str | None, typer.Option("--redrive", help="Move this stage's dead letters back")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the API's JSON")] = False,
) -> None:
    """Pipeline stages: queued, in flight, dead letters (mirrors /api/jobs)."""
    with session(ctx) as client:
        if redrive:
            result = client.call("POST", f"/api/jobs/{quote(redrive, safe='')}/dlq/redrive", {})
        elif dlq:
            result = client.call("GET", f"/api/jobs/{quote(dlq, safe='')}/dlq")
        else:
            result = client.call("GET", "/api/jobs")
    if as_json or redrive:
        print_json(result)
        return
    console = Console()
    if dlq:
        rows = [
            (
                m["messageId"],
                f"asset={m['assetId']}",
                f"receives={m['receiveCount']}",
                m["failureReason"] or "",
            )
            for m in result
        ]
        print_lines(console, columns(rows), f"No dead letters for {dlq}.")
        return
    lines = [f"{'stage':<14}{'queued':>8}{'in flight':>11}{'dead':>7}"]
    for job in result:
        lines.append(f"{job['name']:<14}{job['queued']:>8}{job['inFlight']:>11}{job['dlq']:>7}")
    print_lines(console, lines, "")


# skyroll people list|rename|merge (chalicelib/cli/ml.py)
_ml_cli.register(app, session, handles_errors, print_json)
# skyroll admin config get|set|history (chalicelib/cli/system_config.py)
_config_cli.register(admin_app, session, handles_errors, print_json)
# skyroll admin backup create|list|download, skyroll admin restore (chalicelib/cli/backups.py)
_backups_cli.register(admin_app, session, handles_errors, print_json, err)
# skyroll library add|list|scan|approve (chalicelib/cli/libraries.py)
_libraries_cli.register(app, session, handles_errors, print_json)
# skyroll trash empty|restore, skyroll jobs show|list (chalicelib/cli/bulk_jobs.py)
_bulk_jobs_cli.register(app, session, handles_errors, print_json)
# skyroll stacks list|show|create|set-primary|delete (chalicelib/cli/stacks.py)
_stacks_cli.register(app, session, handles_errors, print_json)


def main() -> None:  # pragma: no cover - `python -m chalicelib.cli.main`
    sys.exit(app())


if __name__ == "__main__":  # pragma: no cover
    main()
