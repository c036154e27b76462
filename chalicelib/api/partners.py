"""Routes: partners (sharing a whole library with another user)."""

from __future__ import annotations

from chalice import Blueprint

from chalicelib.api.http import RequestContext, parse_uuid, route
from chalicelib.schemas import partners as s

bp = Blueprint(__name__)
TAG = "Partners"
HIDDEN = {404: "not found, or not shared with you"}
READ_ONLY = {403: "you can see it but not change it", **HIDDEN}


@route(
    bp,
    "GET",
    "/partners",
    summary="Who I share with (shared-by) / who shares with me",
    tag=TAG,
    query=s.PartnerQuery,
    response=s.PartnerResponse,
    many=True,
)
def list_partners(ctx: RequestContext, query: s.PartnerQuery) -> list[s.PartnerResponse]:
    return ctx.container.partner_service.list_for(ctx.auth, query)


@route(
    bp,
    "POST",
    "/partners/{user_id}",
    summary="Share my library with this user",
    tag=TAG,
    response=s.PartnerResponse,
    status=201,
    responses={404: "no such user", 409: "already shared"},
)
def create_partner(ctx: RequestContext, user_id: str) -> s.PartnerResponse:
    return ctx.container.partner_service.create(ctx.auth, parse_uuid(user_id))


@route(
    bp,
    "PUT",
    "/partners/{user_id}",
    summary="Show a partner's library in my timeline",
    tag=TAG,
    body=s.UpdatePartnerRequest,
    response=s.PartnerResponse,
    responses={404: "this user does not share with you"},
)
def update_partner(
    ctx: RequestContext, user_id: str, body: s.UpdatePartnerRequest
) -> s.PartnerResponse:
    return ctx.container.partner_service.update(ctx.auth, parse_uuid(user_id), body)


@route(
    bp,
    "DELETE",
    "/partners/{user_id}",
    summary="Stop sharing my library with this user",
    tag=TAG,
    status=204,
    responses={404: "not shared with this user"},
)
def delete_partner(ctx: RequestContext, user_id: str) -> None:
    ctx.container.partner_service.delete(ctx.auth, parse_uuid(user_id))
