"""Scheduled jobs' service methods over in-memory fakes of their repositories and ports: what
each sends, deletes and counts, without PostgreSQL, S3 or SQS."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID

from chalicelib.services.downloads import DownloadService, archive_prefix
from chalicelib.services.search import Reembedding
from tests.support.fakes import RecordingQueue


class Embeddings:
    """``needing_embedding`` pages through ``missing`` by keyset; other models' vectors."""

    def __init__(self, missing: list[UUID], others: int) -> None:
        self.missing, self.others = sorted(missing), others
        self.asked: list[UUID | None] = []

    def needing_embedding(
        self, model_id: str, limit: int = 2, after: UUID | None = None
    ) -> list[UUID]:
        self.asked.append(after)
        rest = [a for a in self.missing if after is None or a > after]
        return rest[:limit]

    def delete_other_models(self, model_id: str) -> int:
        return self.others


def test_reembed_queues_every_page_forced_and_drops_other_models() -> None:
    missing = [uuid.uuid4() for _ in range(5)]
    queue = RecordingQueue()
    embeddings = Embeddings(missing, others=3)
    result = Reembedding(embeddings, queue, "clip-b32").run()  # type: ignore[arg-type]
    assert result == {"queued": 5, "dropped": 3}
    assert queue.messages("smart_search") == sorted(missing)
    assert {force for _, _, force in queue.sent} == {True}
    assert embeddings.asked[0] is None and len(embeddings.asked) == 4  # 2 + 2 + 1, then empty


class Downloads:
    def __init__(self, rows: list[dict[str, Any]]) -> None:
        self.rows, self.deleted = rows, []

    def expired(self, now: datetime, limit: int = 200) -> list[dict[str, Any]]:
        return [r for r in self.rows if r["expires_at"] < now and r["id"] not in self.deleted]

    def delete(self, archive_id: UUID) -> None:
        self.deleted.append(archive_id)


class Store:
    def __init__(self) -> None:
        self.prefixes: list[str] = []

    def delete_prefix(self, prefix: str) -> int:
        self.prefixes.append(prefix)
        return 1


def test_expired_downloads_lose_their_objects_then_their_rows() -> None:
    now = datetime.now(UTC)
    owner = uuid.uuid4()
    old, fresh = uuid.uuid4(), uuid.uuid4()
    repo = Downloads(
        [
            {"id": old, "owner_id": owner, "expires_at": now - timedelta(hours=1)},
            {"id": fresh, "owner_id": owner, "expires_at": now + timedelta(hours=1)},
        ]
    )
    store = Store()
    service = DownloadService(
        repo,  # type: ignore[arg-type]
        store,  # type: ignore[arg-type]
        RecordingQueue(),
        lambda auth, ids: set(ids),
        lambda auth, album: [],
    )
    assert service.expire(now) == {"expired": 1}
    assert store.prefixes == [archive_prefix(owner, old)] and repo.deleted == [old]
