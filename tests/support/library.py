"""A small family library, over the real API (PostgreSQL + moto + the pipeline):

alice owns three ready photos (p1, p2, p3) and the album "Trip" (p1, p2), shared with bob as
editor and carol as viewer; alice shares her library with dave (partner); eve is a stranger.
Each of bob (b1), carol (c1), dave (d1) and eve (e1) has one photo of their own, in no album.
Anonymous callers send no credentials.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from typing import Any
from uuid import UUID

from chalicelib.local.runner import EventSourceRunner
from chalicelib.pipeline import STAGES
from chalicelib.repositories.users import CredentialRepository
from chalicelib.services import secrets
from tests.support.harness import Harness
from tests.support.samples import photo

READY_STAGES = tuple(s.name for s in STAGES if s.required)
DATES = {"p1": "2024-03-10T10:00:00Z", "p2": "2024-03-20T09:00:00Z", "p3": "2023-12-25T08:00:00Z"}


def call(
    h: Harness,
    method: str,
    path: str,
    body: Any = None,
    token: str | None = None,
    headers: dict[str, str] | None = None,
) -> Any:
    hdrs = {"Content-Type": "application/json", **(headers or {})}
    if token:
        hdrs["Authorization"] = f"Bearer {token}"
    r = h.client.http.request(
        method, path, headers=hdrs, body=json.dumps(body) if body is not None else b""
    )
    r.json = json.loads(r.body) if r.body else None
    return r


@lru_cache(maxsize=1)
def _password_hash() -> str:
    return secrets.hash_password("password-123")


@dataclass
class World:
    h: Harness
    tokens: dict[str, str] = field(default_factory=dict)
    ids: dict[str, str] = field(default_factory=dict)  # user ids by name
    assets: dict[str, str] = field(default_factory=dict)  # asset ids by name
    album: str = ""

    def call(
        self,
        method: str,
        path: str,
        body: Any = None,
        who: str | None = None,
        headers: dict[str, str] | None = None,
    ) -> Any:
        return call(self.h, method, path, body, self.tokens[who] if who else None, headers)

    def ok(
        self, method: str, path: str, body: Any = None, who: str | None = None, status: int = 200
    ) -> Any:
        r = self.call(method, path, body, who)
        assert r.status_code == status, (r.status_code, r.body)
        return r.json

    def add_photos(self, photos: list[tuple[str, str, int, str]]) -> list[str]:
        """Uploads (owner, name, seed, taken) photos, runs the pipeline once, sets dates."""
        ids = [
            self.h.upload(self.tokens[who], f"{name}.jpg", photo(seed=seed))["assetId"]
            for who, name, seed, _ in photos
        ]
        self._drain()
        for asset_id in ids:
            self._skip_optional_stages(asset_id)
        for asset_id, (who, name, _, when) in zip(ids, photos, strict=True):
            asset = self.ok("PUT", f"/api/assets/{asset_id}", {"dateTimeOriginal": when}, who)
            assert asset["status"] == "ready", asset
            self.assets[name] = asset_id
        return ids

    def add_user(self, name: str) -> None:
        """A user with a session, made directly: the accounts API (and its deliberately slow
        argon2) is tested elsewhere; here it would cost seconds per test."""
        c = self.h.container
        with c.pool.connection() as conn:
            row = c.users_repo.create(
                conn,
                email=f"{name}@example.com",
                name=name,
                password_hash=_password_hash(),
                is_admin=False,
                quota=None,
            )
        token = secrets.new_token()
        CredentialRepository(c.pool).create_session(
            row["id"], secrets.token_hash(token), datetime.now(UTC) + timedelta(hours=1)
        )
        self.tokens[name], self.ids[name] = token, str(row["id"])

    def _drain(self) -> None:
        """Runs the required stages until their queues are empty, with the same runner and
        handlers as Harness.drain but no batching window (a second per stage per pass)."""
        c = self.h.container
        stages = tuple(replace(s, batching_window_seconds=0) for s in STAGES)
        runner = EventSourceRunner(stages, c.sqs, c.settings)
        while sum(runner.run_once(name, wait_seconds=0).size for name in READY_STAGES):
            pass

    def _skip_optional_stages(self, asset_id: str) -> None:
        """Faces / smart search / duplicates are optional stages and not this suite's topic;
        running their models costs ~8 s a drain on this machine. They are marked skipped (as
        when a model is absent) and the pipeline's own completion step makes the asset ready."""
        repo = self.h.container.pipeline_repo
        for stage in STAGES:
            statuses = repo.stage_statuses([UUID(asset_id)], stage.name)
            if not stage.required and statuses.get(UUID(asset_id)) == "queued":
                repo.set_stage(asset_id, stage.name, "skipped")
        repo.complete_stage(asset_id, "thumbnail", [])
