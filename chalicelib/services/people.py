"""People: recognising faces (the faces stage and the re-cluster job) and what a user does
with people and faces through the API."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any
from uuid import UUID

from chalicelib import errors
from chalicelib.db.pool import Connection
from chalicelib.messaging import StageQueue
from chalicelib.observability import logger
from chalicelib.repositories.people import FaceRepository
from chalicelib.schemas import people as s
from chalicelib.schemas.assets import AssetPage
from chalicelib.schemas.base import BulkIdResponse
from chalicelib.services.assets import to_summaries
from chalicelib.services.auth import AuthUser
from chalicelib.services.recluster import Recluster
from chalicelib.storage.s3 import ObjectStore

# How many neighbours a recognition query looks at (enough to count a new person's faces).
NEIGHBOURS = 64


class PeopleRecognizer:
    """Immich's facial recognition, per face:

    1. the nearest face that already has a person within ``max_distance`` -> that person;
    2. else, when at least ``min_faces`` unassigned faces (this one included) lie within
       ``max_distance`` of it, they become a new person together;
    3. else the face waits, unassigned, for more faces (or the re-cluster job).
    """

    def __init__(
        self,
        faces: FaceRepository,
        *,
        max_distance: float,
        min_faces: int,
        limits: Callable[[], tuple[float, int]] | None = None,
    ) -> None:
        self._faces = faces
        # (max_distance, min_faces), asked once per call: the server settings may change.
        self._limits = limits or (lambda: (max_distance, min_faces))

    def recognize(self, owner_id: UUID, face_ids: Sequence[UUID]) -> dict[str, int]:
        counts = {"joined": 0, "created": 0, "waiting": 0}
        max_distance, min_faces = self._limits()
        with self._faces.locked(owner_id) as conn:
            for face_id in face_ids:
                counts[self._one(conn, owner_id, face_id, max_distance, min_faces)] += 1
        return counts

    def _one(
        self, conn: Connection, owner_id: UUID, face_id: UUID, max_distance: float, min_faces: int
    ) -> str:
        repo = self._faces
        if repo.face_person(conn, face_id) is not None:
            return "joined"
        embedding = repo.embedding(conn, face_id)
        if embedding is None:
            return "waiting"  # deleted meanwhile
        best = repo.nearest(conn, owner_id, face_id, embedding, max_distance, 1, assigned=True)
        if best:
            repo.assign(conn, [face_id], best[0]["person_id"])
            return "joined"
        lonely = repo.nearest(
            conn, owner_id, face_id, embedding, max_distance, NEIGHBOURS, assigned=False
        )
        if len(lonely) + 1 < min_faces:
            return "waiting"
        person = repo.create_person(conn, owner_id, face_id)
        repo.assign(conn, [face_id, *(f["id"] for f in lonely)], person)
        return "created"

    def recluster(
        self, owner_id: UUID, *, reset: bool, deadline: float | None = None
    ) -> dict[str, int]:
        """The scheduled pass: faces still waiting get another chance now that more faces
        exist; with ``reset``, unnamed people are dissolved and rebuilt first. In pages,
        each committed, and resumable (chalicelib.services.recluster): past ``deadline``
        (time.monotonic) it stops between pages with ``unfinished`` 1, and the next call
        continues."""
        return Recluster(self._faces, self._limits, NEIGHBOURS).run(
            owner_id, reset=reset, deadline=deadline
        )


def person_response(row: dict[str, Any]) -> s.PersonResponse:
    return s.PersonResponse(
        id=row["id"],
        name=row["name"],
        birth_date=row["birth_date"],
        is_hidden=row["is_hidden"],
        face_count=row["face_count"],
        feature_face_asset_id=row["feature_asset_id"],
        thumbnail_path=f"/api/people/{row['id']}/thumbnail",
        updated_at=row["updated_at"],
    )


def face_response(row: dict[str, Any]) -> s.FaceResponse:
    points = list(row["landmarks"])
    return s.FaceResponse(
        id=row["id"],
        asset_id=row["asset_id"],
        person_id=row["person_id"],
        image_width=row["image_width"],
        image_height=row["image_height"],
        bounding_box_x1=row["x1"],
        bounding_box_y1=row["y1"],
        bounding_box_x2=row["x2"],
        bounding_box_y2=row["y2"],
        landmarks=[[points[i], points[i + 1]] for i in range(0, len(points), 2)],
        score=row["score"],
    )


class PeopleService:
    def __init__(
        self,
        faces: FaceRepository,
        store: ObjectStore,
        queue: StageQueue,
        recognizer: PeopleRecognizer,
    ) -> None:
        self._faces = faces
        self._store = store
        self._queue = queue
        self._recognizer = recognizer

    def _request_crops(self, asset_ids: list[UUID]) -> None:
        """Asks the faces stage to run again on these assets: it writes the crop of each face
        there that is a person's picture (workers.faces.write_crops)."""
        self._queue.send("faces", asset_ids, force=True)

    def recluster_all(
        self, *, reset: bool = False, deadline: float | None = None
    ) -> dict[str, int]:
        """The people-recluster job, over every library with faces; the faces stage is asked
        for the crops of the people it made (their pictures may lie on any asset). Past
        ``deadline`` it stops with ``unfinished`` 1: running it again continues."""
        totals: dict[str, int] = {"cropsRequested": 0}
        for owner in self._faces.owners_with_faces():
            for key, value in self._recognizer.recluster(
                owner, reset=reset, deadline=deadline
            ).items():
                totals[key] = totals.get(key, 0) + value
            missing = self._faces.assets_missing_feature_crops(owner)
            if missing:
                self._request_crops(missing)
                totals["cropsRequested"] += len(missing)
            if totals.get("unfinished"):
                break
        return totals

    def list_for(self, auth: AuthUser, query: s.PeopleQuery) -> s.PeopleResponse:
        # As Immich: total and hidden count everyone; the list leaves hidden people out
        # unless asked for them, and comes in pages.
        rows, total, hidden = self._faces.people(
            auth.id, query.with_hidden, query.size + 1, (query.page - 1) * query.size
        )
        return s.PeopleResponse(
            total=total,
            hidden=hidden,
            people=[person_response(r) for r in rows[: query.size]],
            has_next_page=len(rows) > query.size,
        )

    def get(self, auth: AuthUser, person_id: UUID) -> s.PersonResponse:
        return person_response(self._load(auth, person_id))

    def update(
        self, auth: AuthUser, person_id: UUID, dto: s.PersonUpdateRequest
    ) -> s.PersonResponse:
        self._load(auth, person_id)
        changes = dto.model_dump(exclude_unset=True, exclude={"feature_face_asset_id"})
        # isHidden: null is refused by the DTO (NotNullBool); a null name is refused here.
        if "name" in changes and changes["name"] is None:
            raise errors.BadRequest("name: may not be null")
        if dto.feature_face_asset_id is not None:
            face = self._faces.face_of_person_on_asset(person_id, dto.feature_face_asset_id)
            if face is None:
                raise errors.BadRequest("featureFaceAssetId: this person is not on that asset")
            changes["feature_face_id"] = face
        if changes:
            self._faces.update_person(auth.id, person_id, changes)
        person = self._load(auth, person_id)
        if dto.feature_face_asset_id is not None and not person["thumbnail_key"]:
            # The faces stage crops it (seconds); the thumbnail is a 404 until then.
            self._request_crops([dto.feature_face_asset_id])
        return person_response(person)

    def merge(
        self, auth: AuthUser, person_id: UUID, dto: s.MergePeopleRequest
    ) -> list[BulkIdResponse]:
        """The faces of ``ids`` move to ``person_id``; the merged people are deleted."""
        self._load(auth, person_id)
        owned = self._faces.owned_people(auth.id, dto.ids)
        results, merged = [], []
        for pid in dto.ids:
            if pid == person_id:
                results.append(BulkIdResponse(id=pid, success=False, error="duplicate"))
            elif pid not in owned:
                results.append(BulkIdResponse(id=pid, success=False, error="not_found"))
            else:
                merged.append(pid)
                results.append(BulkIdResponse(id=pid, success=True))
        if merged:
            self._faces.merge(auth.id, person_id, merged)
            logger.info("people merged", extra={"into": str(person_id), "count": len(merged)})
        return results

    def assets(self, auth: AuthUser, person_id: UUID, query: s.PageQuery) -> AssetPage:
        # Only whether the person is the caller's: _load would count the person's faces.
        if not self._faces.owned_people(auth.id, [person_id]):
            raise errors.NotFound("Person not found")
        rows = self._faces.person_assets(
            auth.id, person_id, query.size + 1, (query.page - 1) * query.size
        )
        return AssetPage(
            items=to_summaries(rows[: query.size]),
            next_page=query.page + 1 if len(rows) > query.size else None,
        )

    def thumbnail_url(self, auth: AuthUser, person_id: UUID) -> str:
        person = self._load(auth, person_id)
        if not person["thumbnail_key"]:
            raise errors.NotFound("This person has no thumbnail yet")
        return self._store.presign_get(person["thumbnail_key"])

    def faces(self, auth: AuthUser, query: s.FacesQuery) -> list[s.FaceResponse]:
        if not self._faces.owns_asset(auth.id, query.asset_id):
            raise errors.NotFound("Asset not found")
        return [face_response(r) for r in self._faces.faces_of_asset(auth.id, query.asset_id)]

    def reassign_face(
        self, auth: AuthUser, face_id: UUID, dto: s.FaceReassignRequest
    ) -> s.FaceResponse:
        face = self._faces.face(auth.id, face_id)
        if face is None:
            raise errors.NotFound("Face not found")
        self._load(auth, dto.person_id)
        uncropped = self._faces.reassign(auth.id, face_id, dto.person_id)
        if uncropped:  # a person's new picture: the faces stage crops it
            self._request_crops(uncropped)
        return face_response({**face, "person_id": dto.person_id})

    def _load(self, auth: AuthUser, person_id: UUID) -> dict[str, Any]:
        row = self._faces.person(auth.id, person_id)
        if row is None:
            raise errors.NotFound("Person not found")
        return row
