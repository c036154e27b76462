"""The people-recluster pass in pages: Immich's per-face recognition (PeopleRecognizer),
applied to every waiting face of a library with one neighbour query and one write per page
instead of two index queries and a few writes per face.

Each page is its own transaction under the owner's recognition lock, and where the pass got
to is saved with it: a pass cut short continues from there on its next run. The faces of a
page are decided in order, as the per-face pass would: the neighbours read at the page's
start are brought up to date with the page's own decisions, and a face whose neighbours
cannot be known that way (its 64 nearest waiting faces were not all of them, and the page
has moved some face since) is asked about again, as the per-face pass does.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from uuid import UUID

from chalicelib.db.pool import Connection
from chalicelib.repositories import recluster as rc
from chalicelib.repositories.people import FaceRepository
from chalicelib.repositories.sql import Row

# Waiting faces per page: one neighbour query and one commit each.
PAGE = 200


@dataclass
class Page:
    """The decisions of one page: every face given a person (the later faces' neighbours
    depend on them), and what is not written yet."""

    assigned: dict[UUID, UUID] = field(default_factory=dict)
    unwritten: dict[UUID, UUID] = field(default_factory=dict)
    people: list[tuple[UUID, UUID]] = field(default_factory=list)

    def assign(self, face_ids: list[UUID], person_id: UUID) -> None:
        for face_id in face_ids:
            self.assigned[face_id] = person_id
            self.unwritten[face_id] = person_id

    def flush(self, conn: Connection, owner_id: UUID) -> None:
        rc.write(conn, owner_id, self.people, self.unwritten)
        self.people, self.unwritten = [], {}


def _order(row: Row) -> tuple[float, UUID]:
    return row["distance"], row["id"]


def now_known(
    best: list[Row], lonely: list[Row], page: Page, limit: int
) -> tuple[list[Row], list[Row]] | None:
    """The two per-face answers as they stand after the page's decisions so far, from the
    answers at the page's start; None when they cannot be told without asking again."""
    moved = [{**r, "person_id": page.assigned[r["id"]]} for r in lonely if r["id"] in page.assigned]
    candidates = sorted([*best, *moved], key=_order)
    if len(lonely) >= limit and page.assigned:
        # Faces farther than the last neighbour read may have got a person on this page.
        edge = lonely[-1]["distance"]
        if not candidates or candidates[0]["distance"] >= edge:
            return None
    if candidates:
        return candidates[:1], []
    return [], [r for r in lonely if r["id"] not in page.assigned]


def decide(face_id: UUID, best: list[Row], lonely: list[Row], min_faces: int, page: Page) -> str:
    """PeopleRecognizer's rule for one face, recorded in ``page``."""
    if best:
        page.assign([face_id], best[0]["person_id"])
        return "joined"
    if len(lonely) + 1 < min_faces:
        return "waiting"
    person = uuid.uuid4()
    page.people.append((person, face_id))
    page.assign([face_id, *(r["id"] for r in lonely)], person)
    return "created"


class Recluster:
    def __init__(
        self,
        faces: FaceRepository,
        limits: Callable[[], tuple[float, int]],
        neighbours: int,
        page_size: int = PAGE,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._faces = faces
        self._limits = limits
        self._neighbours = neighbours
        self._page_size = page_size
        self._clock = clock

    def run(self, owner_id: UUID, *, reset: bool, deadline: float | None = None) -> dict[str, int]:
        """Continues the library's pass under way, or begins one (dissolving unnamed,
        visible people first with ``reset``). Stops between pages once ``deadline``
        (``clock``, time.monotonic) has passed: ``unfinished`` is then 1."""
        counts = {"joined": 0, "created": 0, "waiting": 0, "rechecked": 0, "dissolved": 0}
        max_distance, min_faces = self._limits()
        with self._faces.locked(owner_id) as conn:
            state = rc.progress(conn, owner_id)
            if state is None or (reset and not state["reset"]):
                counts["dissolved"] = rc.dissolve_unnamed(conn, owner_id) if reset else 0
                rc.begin(conn, owner_id, reset=reset)
        while True:
            if deadline is not None and self._clock() > deadline:
                return {**counts, "unfinished": 1}
            with self._faces.locked(owner_id) as conn:
                state = rc.progress(conn, owner_id)
                faces = rc.waiting_page(conn, state, self._page_size) if state else []
                if not faces:
                    rc.finish(conn, owner_id)
                    break
                ids = [f["id"] for f in faces]
                for key, value in self._page(conn, owner_id, ids, max_distance, min_faces).items():
                    counts[key] += value
                rc.advance(conn, owner_id, faces[-1]["created_at"], faces[-1]["id"])
        return {**counts, "emptyRemoved": self._faces.delete_empty_people(owner_id)}

    def _page(
        self,
        conn: Connection,
        owner_id: UUID,
        ids: list[UUID],
        max_distance: float,
        min_faces: int,
    ) -> dict[str, int]:
        counts = {"joined": 0, "created": 0, "waiting": 0, "rechecked": 0}
        read = rc.neighbours(conn, owner_id, ids, max_distance, self._neighbours)
        page = Page()
        for face_id in ids:
            if face_id in page.assigned:
                counts["joined"] += 1
                continue
            best, lonely = read.get(face_id, ([], []))
            known = now_known(best, lonely, page, self._neighbours)
            if known is None:
                counts["rechecked"] += 1
                known = self._ask(conn, owner_id, face_id, max_distance, page)
            counts[decide(face_id, *known, min_faces, page)] += 1
        page.flush(conn, owner_id)
        return counts

    def _ask(
        self, conn: Connection, owner_id: UUID, face_id: UUID, max_distance: float, page: Page
    ) -> tuple[list[Row], list[Row]]:
        """The per-face queries, once the page's decisions so far are written."""
        page.flush(conn, owner_id)
        repo, embedding = self._faces, self._faces.embedding(conn, face_id)
        if embedding is None:
            return [], []  # deleted meanwhile
        best = repo.nearest(conn, owner_id, face_id, embedding, max_distance, 1, assigned=True)
        if best:
            return best, []
        lonely = repo.nearest(
            conn, owner_id, face_id, embedding, max_distance, self._neighbours, assigned=False
        )
        return [], lonely
