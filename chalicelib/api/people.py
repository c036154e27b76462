"""Routes: people (clusters of faces) and faces."""

from __future__ import annotations

from chalice import Blueprint, Response

from chalicelib.api.http import RequestContext, parse_uuid, redirect, route
from chalicelib.schemas import people as s
from chalicelib.schemas.assets import AssetPage
from chalicelib.schemas.base import BulkIdResponse

bp = Blueprint(__name__)
PEOPLE, FACES = "People", "Faces"
NOT_FOUND = {404: "not found (or not yours)"}


@route(
    bp,
    "GET",
    "/people",
    summary="My people: named first, with face counts",
    tag=PEOPLE,
    query=s.PeopleQuery,
    response=s.PeopleResponse,
)
def list_people(ctx: RequestContext, query: s.PeopleQuery) -> s.PeopleResponse:
    return ctx.container.people_service.list_for(ctx.auth, query)


@route(
    bp,
    "GET",
    "/people/{person_id}",
    summary="One person",
    tag=PEOPLE,
    response=s.PersonResponse,
    responses=NOT_FOUND,
)
def get_person(ctx: RequestContext, person_id: str) -> s.PersonResponse:
    return ctx.container.people_service.get(ctx.auth, parse_uuid(person_id))


@route(
    bp,
    "PUT",
    "/people/{person_id}",
    summary="Name, birth date, hide, or choose the thumbnail of a person",
    tag=PEOPLE,
    body=s.PersonUpdateRequest,
    response=s.PersonResponse,
    responses=NOT_FOUND,
)
def update_person(
    ctx: RequestContext, person_id: str, body: s.PersonUpdateRequest
) -> s.PersonResponse:
    return ctx.container.people_service.update(ctx.auth, parse_uuid(person_id), body)


@route(
    bp,
    "POST",
    "/people/{person_id}/merge",
    summary="Merge people into this one (per-person results)",
    tag=PEOPLE,
    body=s.MergePeopleRequest,
    response=BulkIdResponse,
    many=True,
    responses=NOT_FOUND,
)
def merge_people(
    ctx: RequestContext, person_id: str, body: s.MergePeopleRequest
) -> list[BulkIdResponse]:
    return ctx.container.people_service.merge(ctx.auth, parse_uuid(person_id), body)


@route(
    bp,
    "GET",
    "/people/{person_id}/assets",
    summary="Assets showing this person",
    tag=PEOPLE,
    query=s.PageQuery,
    response=AssetPage,
    responses=NOT_FOUND,
)
def person_assets(ctx: RequestContext, person_id: str, query: s.PageQuery) -> AssetPage:
    return ctx.container.people_service.assets(ctx.auth, parse_uuid(person_id), query)


@route(
    bp,
    "GET",
    "/people/{person_id}/thumbnail",
    summary="The person's face crop",
    tag=PEOPLE,
    status=302,
    responses={302: "redirect to a presigned GET", **NOT_FOUND},
)
def person_thumbnail(ctx: RequestContext, person_id: str) -> Response:
    return redirect(ctx.container.people_service.thumbnail_url(ctx.auth, parse_uuid(person_id)))


@route(
    bp,
    "GET",
    "/faces",
    summary="The faces found on one of my assets",
    tag=FACES,
    query=s.FacesQuery,
    response=s.FaceResponse,
    many=True,
    responses=NOT_FOUND,
)
def list_faces(ctx: RequestContext, query: s.FacesQuery) -> list[s.FaceResponse]:
    return ctx.container.people_service.faces(ctx.auth, query)


@route(
    bp,
    "PUT",
    "/faces/{face_id}",
    summary="Give a face to another person",
    tag=FACES,
    body=s.FaceReassignRequest,
    response=s.FaceResponse,
    responses=NOT_FOUND,
)
def reassign_face(ctx: RequestContext, face_id: str, body: s.FaceReassignRequest) -> s.FaceResponse:
    return ctx.container.people_service.reassign_face(ctx.auth, parse_uuid(face_id), body)
