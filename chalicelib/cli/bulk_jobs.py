"""``skyroll trash empty|restore`` and ``skyroll jobs show|list``: bulk jobs from the command
line. The server answers these actions with a job (202) and does the work in its bulk_jobs
worker; ``--wait`` polls ``/api/bulk-jobs/{id}`` until the job is done (exit 1 if it failed).

    skyroll trash empty --wait
    skyroll trash restore            # everything in the trash
    skyroll jobs show JOB_ID --wait
    skyroll jobs list --json

Registered on the main app by ``register(app, ...)``, like the people commands.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any
from urllib.parse import quote

import typer

from chalicelib.cli.api import Client
from chalicelib.cli.render import visible

POLL_SECONDS = 1.0
RUNNING = ("queued", "running")
Wait = Annotated[bool, typer.Option("--wait", help="Wait until the job is done")]
Json = Annotated[bool, typer.Option("--json", help="Print the API's JSON")]


def describe(job: dict[str, Any]) -> str:
    total = job.get("total")
    done = f"{job['processed']}/{total}" if total is not None else str(job["processed"])
    line = f"{job['kind']} {job['id']}: {job['status']}, {done} done"
    return visible(f"{line} ({job['error']})" if job.get("error") else line)


def wait_for(client: Client, job: dict[str, Any]) -> dict[str, Any]:
    """Polls the job until it is finished; sleeps through the client's retry policy (tests
    record the sleeps instead of sleeping)."""
    while job["status"] in RUNNING:
        client.retry.sleep(POLL_SECONDS)
        job = client.call("GET", f"/api/bulk-jobs/{quote(str(job['id']), safe='')}")
    return job


def report(
    client: Client, job: dict[str, Any], *, wait: bool, as_json: bool, echo_json: Callable[..., Any]
) -> None:
    """Prints the job (its id first, for ``skyroll jobs show``), waiting for it if asked;
    a failed job exits 1."""
    if wait:
        if not as_json:
            typer.echo(f"Started {job['kind']} job {job['id']}; waiting...")
        job = wait_for(client, job)
    if as_json:
        echo_json(job)
    else:
        typer.echo(describe(job) if wait else f"Started {job['kind']} job {job['id']}.")
    if job["status"] == "failed":
        raise typer.Exit(1)


def register(
    app: typer.Typer,
    session: Callable[..., Any],
    handles_errors: Callable[..., Any],
    print_json: Callable[[Any], None],
) -> None:
    trash_app = typer.Typer(help="Empty or restore the trash.", no_args_is_help=True)
    app.add_typer(trash_app, name="trash")
    jobs_app = typer.Typer(help="Bulk jobs: what a big action started.", no_args_is_help=True)
    app.add_typer(jobs_app, name="jobs")

    @trash_app.command("empty")
    @handles_errors
    def trash_empty(ctx: typer.Context, wait: Wait = False, as_json: Json = False) -> None:
        """Delete everything in my trash for good (a job on the server)."""
        with session(ctx) as client:
            job = client.call("POST", "/api/trash/empty")
            report(client, job, wait=wait, as_json=as_json, echo_json=print_json)

    @trash_app.command("restore")
    @handles_errors
    def trash_restore(ctx: typer.Context, wait: Wait = False, as_json: Json = False) -> None:
        """Restore everything in my trash (a job on the server)."""
        with session(ctx) as client:
            job = client.call("POST", "/api/trash/restore", {})
            report(client, job, wait=wait, as_json=as_json, echo_json=print_json)

    @jobs_app.command("show")
    @handles_errors
    def jobs_show(
        ctx: typer.Context,
        job_id: Annotated[str, typer.Argument(help="The job id a command printed")],
        wait: Wait = False,
        as_json: Json = False,
    ) -> None:
        """A job's status and progress."""
        with session(ctx) as client:
            job = client.call("GET", f"/api/bulk-jobs/{quote(job_id, safe='')}")
            if wait:
                job = wait_for(client, job)
        if as_json:
            print_json(job)
        else:
            typer.echo(describe(job))
        if job["status"] == "failed":
            raise typer.Exit(1)

    @jobs_app.command("list")
    @handles_errors
    def jobs_list(ctx: typer.Context, as_json: Json = False) -> None:
        """My recent jobs (admins: admin jobs too), newest first."""
        with session(ctx) as client:
            jobs = client.call("GET", "/api/bulk-jobs")
        if as_json:
            print_json(jobs)
            return
        for job in jobs:
            typer.echo(describe(job))
        if not jobs:
            typer.echo("No jobs.")
