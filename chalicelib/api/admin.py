"""Routes: admin user management, invitations, jobs and database backups."""

from __future__ import annotations

from chalice import Blueprint, Response

from chalicelib.api.http import RequestContext, parse_uuid, redirect, route
from chalicelib.schemas import accounts as s
from chalicelib.schemas import backups as b

bp = Blueprint(__name__)
TAG = "Admin"


@route(
    bp,
    "GET",
    "/admin/users",
    summary="List users",
    tag=TAG,
    auth="admin",
    response=s.UserResponse,
    many=True,
)
def list_users(ctx: RequestContext) -> list[s.UserResponse]:
    return ctx.container.user_service.list_users()


@route(
    bp,
    "POST",
    "/admin/users",
    summary="Create a user",
    tag=TAG,
    auth="admin",
    body=s.AdminCreateUserRequest,
    response=s.UserResponse,
    status=201,
)
def create_user(ctx: RequestContext, body: s.AdminCreateUserRequest) -> s.UserResponse:
    return ctx.container.user_service.create_user(body)


@route(
    bp,
    "PUT",
    "/admin/users/{user_id}",
    summary="Update a user",
    tag=TAG,
    auth="admin",
    body=s.AdminUpdateUserRequest,
    response=s.UserResponse,
)
def update_user(
    ctx: RequestContext, user_id: str, body: s.AdminUpdateUserRequest
) -> s.UserResponse:
    return ctx.container.user_service.update_user(ctx.auth, parse_uuid(user_id), body)


@route(
    bp,
    "DELETE",
    "/admin/users/{user_id}",
    summary="Soft-delete a user (data purged by a job)",
    tag=TAG,
    auth="admin",
    status=204,
)
def delete_user(ctx: RequestContext, user_id: str) -> None:
    ctx.container.user_service.delete_user(ctx.auth, parse_uuid(user_id))


@route(
    bp,
    "POST",
    "/admin/invitations",
    summary="Create an invitation (code shown once)",
    tag=TAG,
    auth="admin",
    body=s.InvitationCreateRequest,
    response=s.InvitationCreateResponse,
    status=201,
)
def create_invitation(
    ctx: RequestContext, body: s.InvitationCreateRequest
) -> s.InvitationCreateResponse:
    return ctx.container.user_service.create_invitation(ctx.auth, body)


@route(
    bp,
    "GET",
    "/admin/invitations",
    summary="List invitations with their uses",
    tag=TAG,
    auth="admin",
    response=s.InvitationResponse,
    many=True,
)
def list_invitations(ctx: RequestContext) -> list[s.InvitationResponse]:
    return ctx.container.user_service.list_invitations()


@route(
    bp,
    "DELETE",
    "/admin/invitations/{invitation_id}",
    summary="Revoke an invitation",
    tag=TAG,
    auth="admin",
    status=204,
)
def revoke_invitation(ctx: RequestContext, invitation_id: str) -> None:
    ctx.container.user_service.revoke_invitation(parse_uuid(invitation_id))


@route(
    bp,
    "POST",
    "/admin/jobs/{name}/run",
    summary="Run a maintenance job now (in a deployment: started in the jobs function)",
    tag=TAG,
    auth="admin",
    response=s.JobRunResponse,
    responses={404: "no such job"},
)
def run_job(ctx: RequestContext, name: str) -> s.JobRunResponse:
    from chalicelib import jobs

    if jobs.start(name, ctx.container):  # AWS: in the jobs Lambda, on its own time
        return s.JobRunResponse(job=name, started=True, result={})
    return s.JobRunResponse(job=name, result=jobs.run(name, ctx.container))


@route(
    bp,
    "POST",
    "/admin/backups",
    summary="Back up the database now (pg_dump to the bucket; in a deployment: started in "
    "the backup function)",
    tag=TAG,
    auth="admin",
    response=b.BackupRunResponse,
    status=201,
)
def create_backup(ctx: RequestContext) -> b.BackupRunResponse:
    return ctx.container.backup_service.request()


@route(
    bp,
    "GET",
    "/admin/backups",
    summary="List database backups, newest first",
    tag=TAG,
    auth="admin",
    response=b.BackupListResponse,
)
def list_backups(ctx: RequestContext) -> b.BackupListResponse:
    return ctx.container.backup_service.list()


@route(
    bp,
    "GET",
    "/admin/backups/{name}",
    summary="Download a database backup (302 to a presigned GET)",
    tag=TAG,
    auth="admin",
    status=302,
    responses={404: "no such backup"},
)
def download_backup(ctx: RequestContext, name: str) -> Response:
    return redirect(ctx.container.backup_service.download_url(name), cache_control="no-store")
