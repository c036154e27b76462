"""Routes: the timeline (mine, and my partners' when I show them)."""

from __future__ import annotations

from chalice import Blueprint

from chalicelib.api.http import RequestContext, route
from chalicelib.schemas import timeline as s

bp = Blueprint(__name__)
TAG = "Timeline"
HIDDEN = {404: "not found, or not shared with you"}
READ_ONLY = {403: "you can see it but not change it", **HIDDEN}


@route(
    bp,
    "GET",
    "/timeline/buckets",
    summary="Asset counts per month or day",
    tag=TAG,
    query=s.TimeBucketsQuery,
    response=s.TimeBucketResponse,
    many=True,
    responses=HIDDEN,
)
def time_buckets(ctx: RequestContext, query: s.TimeBucketsQuery) -> list[s.TimeBucketResponse]:
    return ctx.container.timeline_service.buckets(ctx.auth, query)


@route(
    bp,
    "GET",
    "/timeline/bucket",
    summary="The assets of one bucket, newest first",
    tag=TAG,
    query=s.TimeBucketQuery,
    response=s.TimelineAsset,
    many=True,
    responses=HIDDEN,
)
def time_bucket(ctx: RequestContext, query: s.TimeBucketQuery) -> list[s.TimelineAsset]:
    return ctx.container.timeline_service.bucket(ctx.auth, query)
