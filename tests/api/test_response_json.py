"""The list routes' JSON, value for value, as the per-row DTOs and ``model_dump`` gave it.

Services map a page of rows to DTOs in one validation pass (schemas/base.py
``validate_many``) and api/http.py serialises them in one pydantic-core pass. Here, on a
seeded library decorated with what breaks formats (unicode names and paths, time zones,
nulls, an asset without EXIF, a Live Photo, a stack, a sidecar, a failed and a trashed
asset), every changed route's body is compared with the path it replaced, applied to the
very rows the repositories returned: one DTO built per row (the mapping below is that code)
and ``json.dumps(model_dump(mode="json", by_alias=True))``. And every DTO body the API
answers in this test is compared with the old serialisation of the same DTOs.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import psycopg
import pytest
from psycopg.rows import dict_row
from pydantic import BaseModel

from bench.seed_library import HUGE_MONTH, seed_library
from chalicelib.api import http
from chalicelib.container import Container
from chalicelib.repositories.albums import AlbumRepository
from chalicelib.repositories.assets import AssetRepository
from chalicelib.repositories.map import MapRepository
from chalicelib.repositories.people import FaceRepository
from chalicelib.repositories.search import MetadataSearchRepository
from chalicelib.repositories.timeline import TimelineRepository
from chalicelib.schemas import assets as sa
from chalicelib.schemas import map as sm
from chalicelib.schemas import search as ss
from chalicelib.schemas import timeline as st
from chalicelib.schemas.tags import TagResponse
from chalicelib.services.assets import _visibility, format_duration
from chalicelib.services.timeline import bucket_label, ratio
from tests.support.api import Api

N = 2_000
MONTH = f"{HUGE_MONTH}T00:00:00.000Z"
IN_MONTH = "takenAfter=2019-07-01T00:00:00Z&takenBefore=2019-08-01T00:00:00Z"


# The mapping the services had before validate_many: one DTO built (and validated) per row.
def old_summary(row: dict[str, Any]) -> sa.AssetSummary:
    exif = row.get("exif")
    return sa.AssetSummary(
        id=row["id"],
        owner_id=row["owner_id"],
        type=row["type"],
        status=row["status"],
        failure_reason=row["failure_reason"],
        original_file_name=row["original_file_name"],
        original_mime_type=row["original_mime_type"],
        checksum=sa.encode_checksum(bytes(row["checksum"])),
        file_created_at=row["file_created_at"],
        file_modified_at=row["file_modified_at"],
        local_date_time=row["local_date_time"] or row["file_created_at"],
        is_favorite=row["is_favorite"],
        is_archived=row["is_archived"],
        is_trashed=row["is_trashed"],
        duration=format_duration(row["duration_seconds"]),
        thumbhash=row["thumbhash"],
        width=row["width"],
        height=row["height"],
        device_asset_id=row["device_asset_id"],
        device_id=row["device_id"],
        created_at=row["created_at"],
        updated_at=row["updated_at"],
        exif_info=sa.ExifInfo.model_validate(
            {**exif, "file_size_in_byte": exif.get("file_size_in_byte") or row["file_size"]}
        )
        if exif
        else None,
        original_path=row.get("original_path"),
        live_photo_video_id=row.get("live_photo_video_id"),
        visibility=_visibility(row),
        stack=sa.AssetStack.model_validate(row["stack"]) if row.get("stack") else None,
        library_id=row.get("library_id"),
        is_offline=bool(row.get("is_offline")),
        sidecar=sa.AssetSidecar(status=row["sidecar_status"], reason=row.get("sidecar_reason"))
        if row.get("sidecar_status")
        else None,
    )


def old_response(row: dict[str, Any]) -> sa.AssetResponse:
    return sa.AssetResponse(
        **dict(old_summary(row)),
        stages=[sa.AssetStage.model_validate(stage) for stage in row.get("stages") or []],
        tags=[
            TagResponse.model_validate({**tag, "name": tag["value"].rpartition("/")[2]})
            for tag in row.get("tags") or []
        ],
    )


def old_timeline_asset(r: dict[str, Any]) -> st.TimelineAsset:
    return st.TimelineAsset(
        id=r["id"],
        owner_id=r["owner_id"],
        type=r["type"],
        thumbhash=r["thumbhash"],
        ratio=ratio(r["width"], r["height"]),
        duration=format_duration(r["duration_seconds"]),
        is_favorite=r["is_favorite"],
        is_archived=r["is_archived"],
        is_trashed=r["is_trashed"],
        local_date_time=r["local_date_time"],
        live_photo_video_id=r["live_photo_video_id"],
        stack=st.TimelineStack(id=r["stack_id"], asset_count=r["stack_count"])
        if r["stack_id"]
        else None,
    )


def old_json(models: list[Any] | BaseModel) -> Any:
    """What the old serialisation sent, parsed."""
    if isinstance(models, BaseModel):
        return json.loads(json.dumps(models.model_dump(mode="json", by_alias=True), default=str))
    payload = [
        m.model_dump(mode="json", by_alias=True) if isinstance(m, BaseModel) else m for m in models
    ]
    return json.loads(json.dumps(payload, default=str))


def same(new: Any, old: Any) -> None:
    """Equal, and equal re-encoded: ints stay ints, floats floats, keys in their order."""
    assert new == old
    assert json.dumps(new) == json.dumps(old)


class Rows:
    """What the repositories returned during one call, by method."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.seen: dict[str, list[Any]] = {}
        for cls, name in (
            (TimelineRepository, "bucket"),
            (TimelineRepository, "buckets"),
            (AssetRepository, "list_page"),
            (AssetRepository, "get"),
            (AlbumRepository, "assets"),
            (FaceRepository, "person_assets"),
            (MetadataSearchRepository, "search"),
            (MapRepository, "markers"),
        ):
            monkeypatch.setattr(cls, name, self._recording(name, getattr(cls, name)))

    def _recording(self, name: str, method: Callable[..., Any]) -> Callable[..., Any]:
        def record(repo: Any, *args: Any, **kwargs: Any) -> Any:
            result = method(repo, *args, **kwargs)
            self.seen[name] = result
            return result

        return record

    def of(self, name: str) -> Any:
        return self.seen.pop(name)


@pytest.fixture
def serialised(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Checks every DTO body against the old serialisation of the same DTOs; counts them."""
    checked: list[int] = []
    fast = http._dto_json

    def both(result: Any) -> str:
        body = fast(result)
        same(json.loads(body), old_json(result))
        checked.append(1)
        return body

    monkeypatch.setattr(http, "_dto_json", both)
    return checked


@pytest.fixture
def library(api: Api, admin_token: str, container: Container) -> dict[str, Any]:
    """A seeded library, its first assets of the huge month decorated (see module doc)."""
    r = api.call(
        "POST",
        "/api/admin/users",
        {"email": "zoe@example.com", "password": "zoe-password-1", "name": "Zoë"},
        token=admin_token,
    )
    assert r.status_code == 201, r.body
    owner = r.json["id"]
    with psycopg.connect(container.settings.database_url, row_factory=dict_row) as conn:
        seeded = seed_library(conn, owner, N)
        conn.commit()
        ids = _decorate(conn, owner)
    return {**seeded, "ids": ids, "token": api.login("zoe@example.com", "zoe-password-1")}


def _decorate(conn: Any, owner: str) -> list[Any]:
    ids = [
        r["id"]
        for r in conn.execute(
            "SELECT id FROM assets WHERE owner_id = %s AND trashed_at IS NULL"
            " AND type = 'IMAGE' AND local_date_time >= %s::date"
            " AND local_date_time < %s::date + interval '1 month'"
            " ORDER BY local_date_time DESC, id LIMIT 10",
            (owner, HUGE_MONTH, HUGE_MONTH),
        ).fetchall()
    ]
    sql = [
        # Unicode names, paths and devices; a time zone and a multiline description.
        ("UPDATE assets SET original_file_name = 'Zoë — 東京 😀.jpg', original_path ="
         " '/Users/zoë/Photos/東京/IMG 1.jpg', device_asset_id = 'dév-1', device_id ="
         " 'iPhone de Zoë' WHERE id = %(a0)s"),
        ("UPDATE asset_exif SET time_zone = '+09:00', time_zone_source = 'tag', lens_model"
         " = NULL, description = E'Été\\n日本', city = 'Zürich', state = 'Zürich', country"
         " = 'Schweiz', latitude = 47.3769, longitude = 8.5417, rating = 4, fps = 29.97"
         " WHERE asset_id = %(a0)s"),
        # A Live Photo: the still and its hidden motion part.
        ("UPDATE assets SET type = 'VIDEO', visibility = 'hidden', original_mime_type ="
         " 'video/quicktime', duration_seconds = 2.5 WHERE id = %(a2)s"),
        "UPDATE assets SET live_photo_video_id = %(a2)s WHERE id = %(a1)s",
        # No EXIF, no thumbhash, no size (ratio 1).
        "DELETE FROM asset_exif WHERE asset_id = %(a6)s",
        "UPDATE assets SET thumbhash = NULL, width = NULL, height = NULL WHERE id = %(a6)s",
        # Trashed, favourite; a sidecar; a failed asset with a reason.
        "UPDATE assets SET trashed_at = now(), is_favorite = true WHERE id = %(a7)s",
        ("UPDATE assets SET sidecar_status = 'ignored', sidecar_reason = 'XMP illisible'"
         " WHERE id = %(a8)s"),
        ("UPDATE assets SET status = 'failed', failure_reason = 'décodage impossible'"
         " WHERE id = %(a9)s"),
    ]  # fmt: skip
    names = {f"a{i}": a for i, a in enumerate(ids)}
    for statement in sql:
        conn.execute(statement, names)
    stack = conn.execute(
        "INSERT INTO stacks (owner_id, primary_asset_id) VALUES (%s, %s) RETURNING id",
        (owner, ids[3]),
    ).fetchone()["id"]
    conn.execute("UPDATE assets SET stack_id = %s WHERE id = ANY(%s)", (stack, ids[3:6]))
    person = conn.execute(
        "SELECT person_id FROM asset_faces WHERE owner_id = %s AND person_id IS NOT NULL LIMIT 1",
        (owner,),
    ).fetchone()["person_id"]
    conn.execute(
        "INSERT INTO asset_faces (asset_id, owner_id, person_id, image_width, image_height,"
        " x1, y1, x2, y2, landmarks, score, model_id, embedding, thumbnail_key)"
        " SELECT id, %s, %s, 100, 100, 1, 1, 50, 50, array_fill(0::real, ARRAY[10]), 0.9,"
        " 'seed', array_fill(0.1::float8, ARRAY[128])::halfvec(128), 'face/' || id"
        " FROM unnest(%s::uuid[]) id",
        (owner, person, ids),
    )
    conn.execute(
        "INSERT INTO album_assets (album_id, asset_id, added_by)"
        " SELECT a.id, x, %s FROM albums a, unnest(%s::uuid[]) x"
        " WHERE a.owner_id = %s AND a.album_name = 'Album 1' ON CONFLICT DO NOTHING",
        (owner, ids, owner),
    )
    conn.commit()
    return [*ids, person]


def _get(api: Api, token: str, path: str, body: Any = None, method: str = "GET") -> Any:
    r = api.call(method, path, body, token=token)
    assert r.status_code == 200, (path, r.status_code, r.body[:500])
    assert r.headers["Content-Type"] == "application/json"
    return r.json


def test_list_routes_answer_what_the_per_row_dtos_did(
    api: Api, library: dict[str, Any], monkeypatch: pytest.MonkeyPatch, serialised: list[int]
) -> None:
    token, ids = library["token"], library["ids"]
    rows = Rows(monkeypatch)

    # Timeline: the months, the huge month's first page, the trash and an album's month.
    body = _get(api, token, "/api/timeline/buckets")
    months = [
        st.TimeBucketResponse(time_bucket=bucket_label(r["time_bucket"]), count=r["count"])
        for r in rows.of("buckets")
    ]
    same(body, old_json(months))  # type: ignore[arg-type]
    for query in ("", "&isTrashed=true", "&isFavorite=true", "&personId=" + str(ids[-1])):
        body = _get(api, token, f"/api/timeline/bucket?timeBucket={MONTH}{query}")
        same(body, old_json([old_timeline_asset(r) for r in rows.of("bucket")]))
    bucket = _get(api, token, f"/api/timeline/bucket?timeBucket={MONTH}")
    rows.of("bucket")
    shown = {a["id"]: a for a in bucket}
    live, primary = shown[str(ids[1])], shown[str(ids[3])]
    assert live["livePhotoVideoId"] == str(ids[2])
    assert primary["stack"] == {"id": primary["stack"]["id"], "assetCount": 3}
    assert shown[str(ids[6])]["ratio"] == 1.0 and shown[str(ids[6])]["thumbhash"] is None
    assert str(ids[7]) not in shown  # trashed
    trash = _get(api, token, f"/api/timeline/bucket?timeBucket={MONTH}&isTrashed=true")
    rows.of("bucket")
    assert str(ids[7]) in {a["id"] for a in trash}

    # Assets: the month (every decorated asset), the trash, a page after a cursor.
    for query in (IN_MONTH, "isTrashed=true", "size=3", "status=failed"):
        body = _get(api, token, f"/api/assets?size=1000&{query}")
        found = rows.of("list_page")
        same(body["items"], old_json([old_summary(r) for r in found[: len(body["items"])]]))
    month = _get(api, token, f"/api/assets?size=1000&{IN_MONTH}")["items"]
    rows.of("list_page")
    by_id = {a["id"]: a for a in month}
    zoe = by_id[str(ids[0])]
    assert zoe["originalFileName"] == "Zoë — 東京 😀.jpg"
    assert zoe["exifInfo"]["timeZone"] == "+09:00" and zoe["exifInfo"]["lensModel"] is None
    assert zoe["exifInfo"]["dateTimeOriginal"].endswith("Z")
    assert zoe["exifInfo"]["description"] == "Été\n日本"
    assert by_id[str(ids[6])]["exifInfo"] is None
    assert by_id[str(ids[8])]["sidecar"] == {"status": "ignored", "reason": "XMP illisible"}
    assert by_id[str(ids[9])]["failureReason"] == "décodage impossible"
    assert by_id[str(ids[3])]["stack"]["assetCount"] == 3

    # One asset: the Live Photo's still, the stack's primary, the unicode one.
    for asset in (ids[0], ids[1], ids[3], ids[6]):
        body = _get(api, token, f"/api/assets/{asset}")
        same(body, old_json(old_response(rows.of("get"))))

    # An album's contents, a person's assets, metadata search, map markers.
    albums = _get(api, token, "/api/albums")
    album = next(a for a in albums if a["albumName"] == "Album 1")
    body = _get(api, token, f"/api/albums/{album['id']}")
    same(body["assets"], old_json([old_summary(r) for r in rows.of("assets")]))
    assert str(ids[0]) in {a["id"] for a in body["assets"]}
    body = _get(api, token, f"/api/people/{ids[-1]}/assets?size=1000")
    found = rows.of("person_assets")
    same(body["items"], old_json([old_summary(r) for r in found[: len(body["items"])]]))
    assert str(ids[0]) in {a["id"] for a in body["items"]}
    for search in ({"city": "Zürich"}, {"takenAfter": "2019-07-01T00:00:00+02:00", "size": 1000}):
        body = _get(api, token, "/api/search/metadata", search, method="POST")
        found = rows.of("search")[: len(body["items"])]
        old = [ss.SearchAssetResponse(**dict(old_summary(r)), score=None) for r in found]
        same(body["items"], old_json(old))  # type: ignore[arg-type]
        assert body["items"]
    for box in ("", "?west=8&south=47&east=9&north=48"):
        body = _get(api, token, f"/api/map/markers{box}")
        old_markers = [sm.MapMarkerResponse.model_validate(r) for r in rows.of("markers")]
        same(body, old_json(old_markers))  # type: ignore[arg-type]
        assert any(m["city"] == "Zürich" for m in body)

    # Routes whose mapping did not change: their serialisation is checked (``serialised``).
    for path in ("/api/people", "/api/search/suggestions?type=city", "/api/users/me/usage"):
        _get(api, token, path)
    _get(api, token, "/api/assets/statistics")
    assert len(serialised) >= 25
