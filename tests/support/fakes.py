"""In-memory fakes of the ports (chalicelib.messaging): no SQS, no threads, no sleeps."""

from __future__ import annotations

from collections.abc import Sequence
from uuid import UUID

from chalicelib.messaging import SendError


class RecordingQueue:
    """A ``StageQueue`` that records what was sent: (stage, asset ids, force) per call, and
    every call with its delay. ``refuse`` names assets whose message "SQS" refuses."""

    def __init__(self, refuse: Sequence[UUID] = ()) -> None:
        self.sent: list[tuple[str, list[UUID], bool]] = []
        self.delays: list[int] = []
        self.archive_parts: list[tuple[UUID, list[int]]] = []
        self.refuse = set(refuse)

    def send(
        self, stage: str, asset_ids: Sequence[UUID], *, force: bool = False, delay: int = 0
    ) -> None:
        refused = {a: RuntimeError("SQS refused") for a in asset_ids if a in self.refuse}
        sent = [a for a in asset_ids if a not in refused]
        if sent:
            self.sent.append((stage, sent, force))
            self.delays.append(delay)
        if refused:
            raise SendError(dict(refused))

    def send_archive_parts(self, archive_id: UUID, part_numbers: Sequence[int]) -> None:
        self.archive_parts.append((archive_id, list(part_numbers)))

    def messages(self, stage: str) -> list[UUID]:
        return [a for name, ids, _ in self.sent if name == stage for a in ids]
