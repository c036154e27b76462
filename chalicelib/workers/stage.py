"""The shape every stage after ingest shares: load the asset, skip what is done, do the work,
record the outcome, hand off to the stages that follow.

Idempotent: a stage already ``done`` for an asset is skipped unless the message says
``force`` (admin re-runs); outputs go to deterministic keys and rows are upserted. A
``MediaError`` is the file's fault: the stage is marked failed with the reason (and the asset,
if the stage is required). Anything else raises, so SQS retries and finally dead-letters.

``run`` takes one SQS record. ``run_batch`` takes a whole SQS batch for stages whose model
is cheaper per image in one call (smart search): each asset is *prepared* on its own (its
failure is its own), then one ``work`` call gets every prepared asset; each record still gets
its own outcome, and ``lambda_adapter.batch_handler`` reports the ones to retry as
``batchItemFailures``. Both take an ``inline`` hook that runs followers in the same Lambda
once the batch is recorded done (``workers.inline``); what it does not finish is messaged.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any
from uuid import UUID

from chalicelib import messaging, pipeline
from chalicelib.messaging import SendError, StageQueue
from chalicelib.observability import logger, metrics
from chalicelib.workers.context import StageContext

if TYPE_CHECKING:
    from chalicelib.media.errors import MediaError

Asset = dict[str, Any]
# One asset's work, given the stage's context (what it needs: workers.context).
type Work[C: StageContext] = Callable[[Asset, C], None]
# One asset -> what the batch work needs of it (the decoded preview). Raises MediaError for a
# bad file (fails that asset's stage), anything else to have that record delivered again.
type Prepare[C: StageContext] = Callable[[Asset, C], Any]
# (assets, what prepare made of each, context): the work for all of them at once.
type BatchWork[C: StageContext] = Callable[[list[Asset], list[Any], C], None]
# Given the stages each finished asset goes to next, runs here what it can (stages declared
# inline, workers.inline) and answers what is still to be messaged.
Inline = Callable[[dict[UUID, list[str]]], dict[UUID, list[str]]]


def run[C: StageContext](body: str, container: C, stage_name: str, work: Work[C]) -> None:
    (error,) = run_each([body], container, stage_name, work)
    if error is not None:
        raise error


def run_each[C: StageContext](
    bodies: Sequence[str],
    container: C,
    stage_name: str,
    work: Work[C],
    inline: Inline | None = None,
) -> list[Exception | None]:
    """``run`` over a whole SQS batch: each asset worked on its own, the hand-offs to the
    stages that follow sent ten to a call."""
    return run_batch(bodies, container, stage_name, work, _nothing, inline)


def run_batch[C: StageContext](
    bodies: Sequence[str],
    container: C,
    stage_name: str,
    prepare: Prepare[C],
    work: BatchWork[C],
    inline: Inline | None = None,
) -> list[Exception | None]:
    """One outcome per body, in order: None when the record is finished with (done, failed
    for its file, or nothing to do), else the exception that should make SQS redeliver it.

    Records naming the same asset (a redelivery next to the original, a forced re-run) are
    worked once and share the outcome. ``inline`` runs followers here once this stage is
    recorded done; what it does not finish is messaged as usual, and it never changes this
    stage's outcomes.
    """
    stage = pipeline.get_stage(stage_name)
    outcomes, records, force = _parse(bodies)

    def settle(asset_id: UUID, error: Exception | None) -> None:
        for index in records[asset_id]:
            outcomes[index] = error

    try:
        todo = _start(container, stage, list(records), force)
    except Exception as exc:  # the database: every record is delivered again
        for asset_id in records:
            settle(asset_id, exc)
        return outcomes
    batch: list[tuple[UUID, dict[str, Any], Any]] = []
    for asset_id, asset in todo.items():
        try:
            ready = _prepare_one(container, stage, asset, prepare)
        except Exception as exc:
            settle(asset_id, exc)
            note_retry(container, stage.name, asset_id, exc)
            continue
        if ready is not _FAILED:
            batch.append((asset_id, asset, ready))
    if not batch:
        return outcomes
    try:
        work([asset for _, asset, _ in batch], [item for _, _, item in batch], container)
        following = _complete(container, stage, [asset for _, asset, _ in batch])
    except Exception as exc:
        for asset_id, _, _ in batch:
            settle(asset_id, exc)
            note_retry(container, stage.name, asset_id, exc)
        return outcomes
    if inline is not None:
        following = _run_inline(inline, following)
    pending = [(asset_id, names) for asset_id, names in following.items() if names]
    if pending:
        for asset_id, error in send(container.stage_queue, pending).items():
            settle(asset_id, error)
    return outcomes


def skip(body: str, container: StageContext, stage_name: str, reason: str) -> None:
    """``skip_each`` for one record, raising as ``run`` does."""
    (error,) = skip_each([body], container, stage_name, reason)
    if error is not None:
        raise error


def skip_each(
    bodies: Sequence[str], container: StageContext, stage_name: str, reason: str
) -> list[Exception | None]:
    """``run_each`` for a stage whose work is turned off (server settings): each asset's stage
    is recorded ``skipped`` with ``reason``, not ``done``, so that re-queuing the assets
    missing it (``mode: missing``) finds them once it is on again; the stages that follow
    are handed off as usual. A stage already done stays done (what it made is kept)."""
    stage = pipeline.get_stage(stage_name)
    outcomes, records, force = _parse(bodies)
    if not records:
        return outcomes
    repo = container.pipeline_repo
    try:
        assets = repo.get_assets(list(records))
        statuses = repo.stage_statuses(list(assets), stage.name)
        following = {
            asset_id: messaging.next_stages(stage.name, asset["type"])
            for asset_id, asset in assets.items()
            if asset_id in force or statuses.get(asset_id) != "done"
        }
        if following:
            repo.complete_stages(stage.name, following, skipped=reason)
    except Exception as exc:  # the database: every record is delivered again
        return [exc if i is None else i for i in outcomes]
    metrics.add_metric(name=f"{stage.name}Skipped", unit="Count", value=len(following))
    pending = [(asset_id, names) for asset_id, names in following.items() if names]
    for asset_id, error in send(container.stage_queue, pending).items():
        for index in records[asset_id]:
            outcomes[index] = error
    return outcomes


def _parse(
    bodies: Sequence[str],
) -> tuple[list[Exception | None], dict[UUID, list[int]], set[UUID]]:
    """(outcomes so far: a malformed body's error, asset id -> indexes of its records, the
    asset ids some record forces)."""
    outcomes: list[Exception | None] = [None] * len(bodies)
    records: dict[UUID, list[int]] = {}
    force: set[UUID] = set()
    for index, body in enumerate(bodies):
        try:
            message = messaging.parse(body)
        except Exception as exc:  # a malformed body: this record alone goes to the DLQ
            outcomes[index] = exc
            continue
        records.setdefault(message.asset_id, []).append(index)
        if message.force:
            force.add(message.asset_id)
    return outcomes, records, force


def note_retry(container: Any, stage_name: str, asset_id: UUID, exc: BaseException) -> None:
    """Shows on the asset why this attempt failed and will be retried (best effort: the
    database may be what failed, and the original exception is what matters)."""
    try:
        container.pipeline_repo.note_retry(
            asset_id, stage_name, f"will retry after {type(exc).__name__}: {exc}"
        )
    except Exception:
        logger.warning("could not record the retry reason", exc_info=True)


def _run_inline(inline: Inline, following: dict[UUID, list[str]]) -> dict[UUID, list[str]]:
    """What ``inline`` left to message; everything, when it failed as a whole."""
    try:
        return inline(following)
    except Exception:  # the followers' own Lambdas get the messages: nothing is lost
        logger.warning("inline stages failed; handing off by message", exc_info=True)
        return following


def _nothing(assets: list[Asset], prepared: list[Any], container: StageContext) -> None:
    """``run``'s batch work: its per-asset work already ran as ``prepare``."""


def _start(
    container: StageContext, stage: pipeline.Stage, asset_ids: list[UUID], force: set[UUID]
) -> dict[UUID, dict[str, Any]]:
    """The batch's assets to work on, in message order, marked running: three statements
    for the whole batch. Skipped: assets gone since, and stages already done (unless
    forced)."""
    repo = container.pipeline_repo
    assets = repo.get_assets(asset_ids)
    statuses = repo.stage_statuses(list(assets), stage.name)
    todo = {}
    for asset_id in asset_ids:
        if asset_id not in assets:
            logger.info("asset gone; nothing to do", extra={"asset_id": str(asset_id)})
        elif asset_id not in force and statuses.get(asset_id) == "done":
            logger.info("stage already done", extra={"asset_id": str(asset_id)})
        else:
            todo[asset_id] = assets[asset_id]
    if todo:
        repo.set_stages(list(todo), stage.name, "running")
    return todo


_FAILED = object()  # what _prepare_one answers for a file that is bad (its stage recorded)


def _prepare_one[C: StageContext](
    container: C, stage: pipeline.Stage, asset: Asset, prepare: Prepare[C]
) -> Any:
    """What ``prepare`` made of the asset; ``_FAILED`` when the file is bad (the stage is
    then recorded as failed)."""
    from chalicelib.media.errors import MediaError

    logger.append_keys(asset_id=str(asset["id"]))
    try:
        return prepare(asset, container)
    except MediaError as exc:
        _failed(container, stage, asset, exc)
        return _FAILED
    finally:
        logger.remove_keys(["asset_id"])


def _failed(
    container: StageContext, stage: pipeline.Stage, asset: dict[str, Any], exc: MediaError
) -> None:
    repo = container.pipeline_repo
    repo.fail_stage(asset["id"], stage.name, exc.reason, fail_asset=stage.required)
    metrics.add_metric(name=f"{stage.name}Failed", unit="Count", value=1)
    logger.info("stage failed", extra={"reason": exc.reason, "code": exc.code})
    if not stage.required:
        _hand_off(container, stage.name, asset)


def _complete(
    container: StageContext, stage: pipeline.Stage, assets: list[dict[str, Any]]
) -> dict[UUID, list[str]]:
    """Records the stage done (and the following ones queued) for the whole batch in one
    transaction; returns, per asset, the stages to message."""
    following = {a["id"]: messaging.next_stages(stage.name, a["type"]) for a in assets}
    container.pipeline_repo.complete_stages(stage.name, following)
    metrics.add_metric(name=f"{stage.name}Done", unit="Count", value=len(assets))
    return following


def _hand_off(container: StageContext, stage_name: str, asset: dict[str, Any]) -> None:
    following = messaging.next_stages(stage_name, asset["type"])
    container.pipeline_repo.complete_stage(asset["id"], stage_name, following)
    for name in following:
        container.stage_queue.send(name, [asset["id"]])


def send(
    queue: StageQueue, handed_off: list[tuple[UUID, list[str]]], delay_seconds: int = 0
) -> dict[UUID, Exception]:
    """Each asset's message to each stage that follows, visible after ``delay_seconds``;
    the assets whose message did not go, with why."""
    per_stage: dict[str, list[UUID]] = {}
    for asset_id, following in handed_off:
        for name in following:
            per_stage.setdefault(name, []).append(asset_id)
    errors: dict[UUID, Exception] = {}
    for name, asset_ids in per_stage.items():
        try:
            queue.send(name, asset_ids, delay=delay_seconds)
        except SendError as exc:
            errors.update(exc.failed)
    return errors
