"""stage.run_batch and lambda_adapter.batch_handler with a fake pipeline repository (no I/O): every
record of a batch gets its own outcome, whatever happens to the others. The last test runs the
batch statements on real PostgreSQL."""

from __future__ import annotations

import json
import uuid
from typing import Any
from uuid import UUID

import pytest

from chalicelib.container import use_container
from chalicelib.local.runner import FakeLambdaContext
from chalicelib.media.errors import MediaError
from chalicelib.messaging import SqsQueues
from chalicelib.workers import lambda_adapter, stage

STAGE = "smart_search"  # optional, and no stage follows it: no queue to send to


class FakePipelineRepo:
    def __init__(self, *asset_ids: UUID) -> None:
        self.assets = {a: {"id": a, "type": "IMAGE", "owner_id": uuid.uuid4()} for a in asset_ids}
        self.status: dict[UUID, str] = {}
        self.errors: dict[UUID, str] = {}
        self.retries: dict[UUID, str] = {}

    def note_retry(self, asset_id: UUID, stage_name: str, error: str) -> None:
        self.retries[asset_id] = error

    def get_assets(self, asset_ids: list[UUID]) -> dict[UUID, dict[str, Any]]:
        return {a: self.assets[a] for a in asset_ids if a in self.assets}

    def stage_statuses(self, asset_ids: list[UUID], stage_name: str) -> dict[UUID, str]:
        return {a: self.status[a] for a in asset_ids if a in self.status}

    def set_stages(self, asset_ids: list[UUID], stage_name: str, status: str) -> None:
        self.status.update(dict.fromkeys(asset_ids, status))

    def fail_stage(self, asset_id: UUID, stage_name: str, reason: str, fail_asset: bool) -> None:
        self.status[asset_id], self.errors[asset_id] = "failed", reason

    def complete_stage(self, asset_id: UUID, stage_name: str, following: list[str]) -> None:
        self.complete_stages(stage_name, {asset_id: following})

    def complete_stages(self, stage_name: str, following: dict[UUID, list[str]]) -> None:
        for asset_id in following:
            if self.status.get(asset_id) != "failed":
                self.status[asset_id] = "done"


class DownRepo(FakePipelineRepo):
    """The database drops: on the batch's first query, or when recording the outcome."""

    def __init__(self, *asset_ids: UUID, at: str) -> None:
        super().__init__(*asset_ids)
        self.at = at

    def get_assets(self, asset_ids: list[UUID]) -> dict[UUID, dict[str, Any]]:
        if self.at == "start":
            raise ConnectionError("server closed the connection unexpectedly")
        return super().get_assets(asset_ids)

    def complete_stages(self, stage_name: str, following: dict[UUID, list[str]]) -> None:
        if self.at == "complete":
            raise ConnectionError("server closed the connection unexpectedly")
        super().complete_stages(stage_name, following)


class FakeContainer:
    def __init__(self, repo: FakePipelineRepo) -> None:
        self.pipeline_repo = repo


def body(asset_id: UUID, force: bool = False) -> str:
    return json.dumps({"assetId": str(asset_id), "stage": STAGE, "force": force})


class Recorder:
    """prepare/work pair: ``bad`` assets are the file's fault, ``flaky`` ones fail to load."""

    def __init__(self, bad: tuple[UUID, ...] = (), flaky: tuple[UUID, ...] = ()) -> None:
        self.bad, self.flaky = bad, flaky
        self.prepared: list[UUID] = []
        self.batches: list[list[UUID]] = []
        self.fail_work = False

    def prepare(self, asset: dict[str, Any], c: Any) -> str:
        self.prepared.append(asset["id"])
        if asset["id"] in self.bad:
            raise MediaError("preview cannot be decoded: junk")
        if asset["id"] in self.flaky:
            raise ConnectionError("S3 timed out")
        return f"image of {asset['id']}"

    def work(self, assets: list[dict[str, Any]], items: list[str], c: Any) -> None:
        assert items == [f"image of {a['id']}" for a in assets]
        self.batches.append([a["id"] for a in assets])
        if self.fail_work:
            raise RuntimeError("model crashed")


def test_each_record_gets_its_own_outcome() -> None:
    good, bad, flaky, done, gone = (uuid.uuid4() for _ in range(5))
    repo = FakePipelineRepo(good, bad, flaky, done)
    repo.status[done] = "done"
    r = Recorder(bad=(bad,), flaky=(flaky,))
    bodies = [body(good), body(bad), "{not json", body(flaky), body(done), body(gone), body(good)]

    outcomes = stage.run_batch(bodies, FakeContainer(repo), STAGE, r.prepare, r.work)

    errors = [type(e).__name__ if e else None for e in outcomes]
    assert errors == [None, None, "ValidationError", "ConnectionError", None, None, None]
    assert r.batches == [[good]]  # one work call; the duplicate record is worked once
    assert r.prepared == [good, bad, flaky]  # done and gone assets are not even loaded
    assert repo.status == {good: "done", bad: "failed", flaky: "running", done: "done"}
    assert repo.errors == {bad: "preview cannot be decoded: junk"}
    # The record to be delivered again shows why on the asset's stage.
    assert repo.retries == {flaky: "will retry after ConnectionError: S3 timed out"}


def test_force_reruns_a_done_asset_once_even_next_to_a_plain_duplicate() -> None:
    asset = uuid.uuid4()
    repo = FakePipelineRepo(asset)
    repo.status[asset] = "done"
    r = Recorder()
    outcomes = stage.run_batch(
        [body(asset), body(asset, force=True)], FakeContainer(repo), STAGE, r.prepare, r.work
    )
    assert outcomes == [None, None] and r.batches == [[asset]]


def test_a_failing_batch_call_retries_only_the_records_in_it() -> None:
    good, other, bad = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    repo = FakePipelineRepo(good, other, bad)
    r = Recorder(bad=(bad,))
    r.fail_work = True
    outcomes = stage.run_batch(
        [body(good), body(bad), body(other)], FakeContainer(repo), STAGE, r.prepare, r.work
    )
    assert [type(e).__name__ if e else None for e in outcomes] == [
        "RuntimeError",
        None,
        "RuntimeError",
    ]
    assert repo.status == {good: "running", other: "running", bad: "failed"}


def test_run_keeps_its_one_record_contract() -> None:
    good, bad, flaky = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    repo = FakePipelineRepo(good, bad, flaky)
    r = Recorder(bad=(bad,), flaky=(flaky,))

    def work(asset: dict[str, Any], c: Any) -> None:
        r.prepare(asset, c)  # the per-record work

    stage.run(body(good), FakeContainer(repo), STAGE, work)
    stage.run(body(bad), FakeContainer(repo), STAGE, work)  # the file's fault: no raise
    with pytest.raises(ConnectionError):
        stage.run(body(flaky), FakeContainer(repo), STAGE, work)
    assert repo.status == {good: "done", bad: "failed", flaky: "running"}


def test_batch_handler_reports_only_the_failed_records() -> None:
    good, flaky = uuid.uuid4(), uuid.uuid4()
    repo = FakePipelineRepo(good, flaky)
    r = Recorder(flaky=(flaky,))

    def handle_batch(bodies: list[str], c: Any) -> list[Exception | None]:
        return stage.run_batch(bodies, c, STAGE, r.prepare, r.work)

    event = {
        "Records": [
            {"messageId": "m-1", "body": body(good)},
            {"messageId": "m-2", "body": body(flaky)},
            {"messageId": "m-3", "body": body(good)},
        ]
    }
    context = FakeLambdaContext("smart_search", 2048, 300, "us-east-1")
    use_container(FakeContainer(repo))  # type: ignore[arg-type]
    try:
        response = lambda_adapter.batch_handler(handle_batch)(event, context)
    finally:
        use_container(None)
    assert response == {"batchItemFailures": [{"itemIdentifier": "m-2"}]}
    assert r.batches == [[good]] and repo.status[good] == "done"


@pytest.mark.parametrize("at", ["start", "complete"])
def test_a_database_that_drops_retries_the_whole_batch_and_marks_nothing_done(at: str) -> None:
    first, second = uuid.uuid4(), uuid.uuid4()
    repo = DownRepo(first, second, at=at)
    r = Recorder()
    outcomes = stage.run_batch(
        [body(first), body(second)], FakeContainer(repo), STAGE, r.prepare, r.work
    )
    assert [str(e) for e in outcomes] == ["server closed the connection unexpectedly"] * 2
    assert "done" not in repo.status.values()
    assert r.batches == ([] if at == "start" else [[first, second]])


class FakeSqs:
    def __init__(self, refuse: frozenset[str] = frozenset()) -> None:
        self.calls: list[tuple[str, list[dict[str, str]]]] = []
        self.refuse = refuse  # asset ids whose message SQS refuses

    def get_queue_url(self, QueueName: str) -> dict[str, str]:  # noqa: N803
        return {"QueueUrl": f"https://sqs/{QueueName}"}

    def send_message_batch(self, QueueUrl: str, Entries: list[dict[str, str]]) -> dict:  # noqa: N803
        self.calls.append((QueueUrl, Entries))
        failed = [
            {"Id": e["Id"], "Code": "InternalError", "SenderFault": False}
            for e in Entries
            if json.loads(e["MessageBody"])["assetId"] in self.refuse
        ]
        return {"Successful": [], "Failed": failed}


class HandOffContainer(FakeContainer):
    """The real SQS adapter (chunks of ten, refusals per entry) over the fake client."""

    def __init__(self, repo: FakePipelineRepo, sqs: FakeSqs) -> None:
        super().__init__(repo)
        self.stage_queue = SqsQueues(sqs, lambda stage: stage, lambda stage: f"{stage}-dlq")


def test_hand_offs_go_ten_to_a_call_and_a_refused_one_is_retried() -> None:
    # faces is followed by smart_search: twelve assets done make two SendMessageBatch calls.
    ids = [uuid.uuid4() for _ in range(12)]
    repo = FakePipelineRepo(*ids)
    sqs = FakeSqs(refuse=frozenset({str(ids[11])}))
    outcomes = stage.run_each(
        [body(i) for i in ids], HandOffContainer(repo, sqs), "faces", lambda asset, c: None
    )
    assert [len(entries) for _, entries in sqs.calls] == [10, 2]
    assert {url for url, _ in sqs.calls} == {"https://sqs/smart_search"}
    sent = [json.loads(e["MessageBody"]) for _, entries in sqs.calls for e in entries]
    assert sent == [{"assetId": str(i), "stage": "smart_search", "force": False} for i in ids]
    assert [e is None for e in outcomes] == [True] * 11 + [False]
    assert isinstance(outcomes[11], RuntimeError)


def test_inline_followers_finish_assets_and_only_the_rest_are_messaged() -> None:
    # Given faces done for four assets, and an inline run that finishes the first two,
    ids = [uuid.uuid4() for _ in range(4)]
    repo = FakePipelineRepo(*ids)
    sqs = FakeSqs()
    seen: list[dict[UUID, list[str]]] = []

    def inline(following: dict[UUID, list[str]]) -> dict[UUID, list[str]]:
        seen.append(following)
        return {a: ([] if a in ids[:2] else names) for a, names in following.items()}

    # when the batch completes,
    outcomes = stage.run_each(
        [body(i) for i in ids], HandOffContainer(repo, sqs), "faces", lambda a, c: None, inline
    )
    # the inline run was offered every asset, after faces was recorded done,
    assert seen == [{i: ["smart_search"] for i in ids}]
    assert all(repo.status[i] == "done" for i in ids)
    # and only the two it left go to smart_search's queue.
    sent = [json.loads(e["MessageBody"])["assetId"] for _, entries in sqs.calls for e in entries]
    assert sent == [str(i) for i in ids[2:]]
    assert outcomes == [None] * 4


def test_an_inline_run_that_raises_hands_everything_off_by_message() -> None:
    ids = [uuid.uuid4() for _ in range(3)]
    sqs = FakeSqs()

    def inline(following: dict[UUID, list[str]]) -> dict[UUID, list[str]]:
        raise MemoryError("the encoder did not fit")

    outcomes = stage.run_each(
        [body(i) for i in ids],
        HandOffContainer(FakePipelineRepo(*ids), sqs),
        "faces",
        lambda a, c: None,
        inline,
    )
    sent = [json.loads(e["MessageBody"])["assetId"] for _, entries in sqs.calls for e in entries]
    assert sent == [str(i) for i in ids]
    assert outcomes == [None] * 3  # faces itself is done: nothing to redeliver


def test_stage_rows_skip_an_asset_deleted_meanwhile(harness) -> None:
    """Real PostgreSQL: the batch statements join assets, so an asset deleted since the batch
    began is skipped instead of failing the other nine on a foreign key."""
    from tests.support.samples import jpeg, quadrants

    token = harness.user("gone@example.com")
    kept, gone = (
        UUID(str(harness.upload(token, f"{i}.jpg", jpeg(quadrants(80 + i, 60)))["assetId"]))
        for i in range(2)
    )
    repo = harness.container.pipeline_repo
    with harness.container.pool.connection() as conn:
        conn.execute("DELETE FROM assets WHERE id = %s", (gone,))
    repo.set_stages([kept, gone], "faces", "running")
    repo.complete_stages("faces", {kept: ["smart_search"], gone: ["smart_search"]})
    statuses = repo.stage_statuses([kept, gone], "faces")
    assert statuses == {kept: "done"}
    assert repo.stage_statuses([kept, gone], "smart_search") == {kept: "queued"}
