"""Bulk jobs end to end: a route answers 202 with the job, the bulk_jobs worker does the work
in batches (each batch queuing the next), the status route shows the progress to its owner
only; duplicate messages change nothing, a failing batch fails the job and loses nothing."""

from __future__ import annotations

import json
from typing import Any
from uuid import UUID, uuid4

import pytest

from chalicelib.messaging import BulkJobMessage
from chalicelib.repositories.bulk_jobs import BulkJobRepository
from chalicelib.schemas.assets import PURGE_IN_REQUEST_MAX
from chalicelib.services.assets import AssetService
from chalicelib.services.bulk_jobs import BulkJobService, EarlyBatch, Job, library_kinds
from chalicelib.storage.s3 import ObjectStore
from tests.support.bulk_jobs import finish, run_jobs
from tests.support.harness import Harness
from tests.support.samples import jpeg, quadrants

ADMIN = ("admin@example.com", "admin-password-1")


def small_batches(h: Harness, size: int = 1, assets: AssetService | None = None) -> BulkJobService:
    """The container's bulk job service with ``size``-asset batches (and maybe another asset
    service): a small library then takes several messages."""
    c = h.container
    kinds = library_kinds(
        assets or c.asset_service,
        c.requeue_service,
        c.users_repo.is_deleted,
        erase_user=c.user_service.erase_deleted,
    )
    service = BulkJobService(BulkJobRepository(c.pool), c.queues, kinds, batch_size=size)
    c.__dict__["bulk_job_service"] = service
    return service


def photos(h: Harness, token: str, n: int, seed: int = 0) -> list[str]:
    ids = [
        str(h.upload(token, f"{seed}-{i}.jpg", jpeg(quadrants(120 + seed + i, 90)))["assetId"])
        for i in range(n)
    ]
    h.drain()
    return ids


def keys_of(h: Harness, asset_id: str) -> list[str]:
    store = h.container.store
    return [k for k in store.keys("users/") + store.keys("derived/") if asset_id in k]


def trash(h: Harness, token: str, ids: list[str]) -> None:
    assert h.call("DELETE", "/api/assets", {"ids": ids}, token=token).status_code == 204


def job_row(h: Harness, job_id: str) -> dict[str, Any]:
    row = BulkJobRepository(h.container.pool).get(UUID(job_id))
    assert row is not None
    return row


def pending_messages(h: Harness) -> list[dict[str, Any]]:
    c = h.container
    got = c.sqs.receive_message(
        QueueUrl=c.queues.url("bulk_jobs"), MaxNumberOfMessages=10, VisibilityTimeout=0
    )
    return [json.loads(m["Body"]) for m in got.get("Messages", [])]


def test_empty_trash_deletes_rows_and_objects_in_batches(harness: Harness) -> None:
    # Given alice with three photos, two of them trashed, and bob with one trashed photo
    small_batches(harness, size=1)
    alice, bob = harness.user("alice@example.com"), harness.user("bob@example.com")
    kept, *gone = photos(harness, alice, 3)
    (bobs,) = photos(harness, bob, 1, seed=7)
    trash(harness, alice, gone)
    trash(harness, bob, [bobs])
    assert all(keys_of(harness, a) for a in gone)

    # When alice empties her trash: the route answers at once with the queued job
    r = harness.call("POST", "/api/trash/empty", token=alice)
    assert r.status_code == 202, r.body
    assert (r.json["kind"], r.json["status"], r.json["total"]) == ("empty-trash", "queued", None)
    assert pending_messages(harness) == [{"jobId": r.json["id"], "step": 0}]
    assert len(keys_of(harness, gone[0])) > 0  # nothing deleted inside the request

    # Then the worker takes one message per batch of one asset: two batches and an empty one
    assert run_jobs(harness) == 3
    job = harness.call("GET", f"/api/bulk-jobs/{r.json['id']}", token=alice).json
    assert (job["status"], job["processed"], job["total"], job["error"]) == (
        "succeeded",
        2,
        2,
        None,
    )
    assert job["startedAt"] and job["finishedAt"] and job["finishedAt"] >= job["startedAt"]
    # Rows and every object of the trashed photos are gone; the rest is untouched.
    for asset_id in gone:
        assert harness.call("GET", f"/api/assets/{asset_id}", token=alice).status_code == 404
        assert keys_of(harness, asset_id) == []
    assert keys_of(harness, kept) and keys_of(harness, bobs)
    assert harness.asset(bob, bobs)["isTrashed"] is True
    assert harness.asset(alice, kept)["isTrashed"] is False


def test_empty_trash_spares_what_was_trashed_after_the_request(harness: Harness) -> None:
    alice = harness.user("alice@example.com")
    first, later = photos(harness, alice, 2)
    trash(harness, alice, [first])
    r = harness.call("POST", "/api/trash/empty", token=alice)
    trash(harness, alice, [later])  # before the worker runs
    job = finish(harness, r, alice)
    assert (job["processed"], job["total"]) == (1, 1)
    assert keys_of(harness, first) == []
    assert harness.asset(alice, later)["isTrashed"] is True


def test_restore_all_is_a_job_and_restoring_ids_is_not(harness: Harness) -> None:
    small_batches(harness, size=2)
    alice = harness.user("alice@example.com")
    ids = photos(harness, alice, 3)
    trash(harness, alice, ids)
    # Given ids: restored in the request, as before
    one = harness.call("POST", "/api/trash/restore", {"ids": [ids[0]]}, token=alice)
    assert (one.status_code, one.json) == (200, {"count": 1})
    # Without ids: everything in the trash, by the worker
    job = finish(harness, harness.call("POST", "/api/trash/restore", {}, token=alice), alice)
    assert (job["kind"], job["status"], job["processed"], job["total"]) == (
        "restore-trash",
        "succeeded",
        2,
        2,
    )
    trashed = harness.call("GET", "/api/assets?isTrashed=true", token=alice).json["items"]
    assert trashed == []
    assert all(harness.asset(alice, i)["isTrashed"] is False for i in ids)


def test_duplicate_messages_neither_double_count_nor_fail(harness: Harness) -> None:
    small_batches(harness, size=1)
    alice = harness.user("alice@example.com")
    ids = photos(harness, alice, 2)
    trash(harness, alice, ids)
    r = harness.call("POST", "/api/trash/empty", token=alice)
    job_id = UUID(r.json["id"])
    queue = harness.container.queues
    # SQS delivers the first batch's message twice, and the last one again after the end
    queue.send_bulk_job_step(job_id, 0)
    handled = run_jobs(harness)
    queue.send_bulk_job_step(job_id, 2)
    handled += run_jobs(harness)
    assert handled == 5  # 3 batches + 2 copies, none failed (no message left behind)
    assert pending_messages(harness) == []
    job = harness.call("GET", f"/api/bulk-jobs/{job_id}", token=alice).json
    assert (job["status"], job["processed"], job["total"]) == ("succeeded", 2, 2)
    assert job_row(harness, str(job_id))["step"] == 3


def test_a_batch_that_overtook_the_one_before_waits(harness: Harness) -> None:
    service = small_batches(harness, size=1)
    alice = harness.user("alice@example.com")
    trash(harness, alice, photos(harness, alice, 1))
    job_id = UUID(harness.call("POST", "/api/trash/empty", token=alice).json["id"])
    with pytest.raises(EarlyBatch):
        service.run_step(BulkJobMessage(job_id=job_id, step=1))
    assert job_row(harness, str(job_id))["processed"] == 0
    # A message for a job that does not exist is dropped, not retried forever.
    service.run_step(BulkJobMessage(job_id=UUID(int=7), step=0))


class BrokenStore(ObjectStore):
    def delete_prefix(self, prefix: str) -> int:
        raise RuntimeError("S3 is unreachable")


def test_a_batch_that_keeps_failing_fails_the_job_and_loses_nothing(harness: Harness) -> None:
    c = harness.container
    broken = AssetService(c.asset_repo, BrokenStore(c.s3, c.settings.bucket), c.settings, None)  # type: ignore[arg-type]
    service = small_batches(harness, size=5, assets=broken)
    alice = harness.user("alice@example.com")
    ids = photos(harness, alice, 2)
    trash(harness, alice, ids)
    job_id = UUID(harness.call("POST", "/api/trash/empty", token=alice).json["id"])
    message = BulkJobMessage(job_id=job_id, step=0)
    # The first attempts raise, so SQS delivers the message again
    for attempt in (1, 2):
        with pytest.raises(RuntimeError, match="S3 is unreachable"):
            service.run_step(message)
        row = job_row(harness, str(job_id))
        assert (row["status"], row["attempts"]) == ("running", attempt)
    # The last one gives up: the job says why, and the message is done with
    service.run_step(message)
    job = harness.call("GET", f"/api/bulk-jobs/{job_id}", token=alice).json
    assert (job["status"], job["processed"]) == ("failed", 0)
    assert job["error"] == "RuntimeError: S3 is unreachable"
    assert job["finishedAt"]
    # Nothing lost: every row and object is still there, still in the trash
    for asset_id in ids:
        assert harness.asset(alice, asset_id)["isTrashed"] is True
        assert keys_of(harness, asset_id)
    # A later copy of the message changes nothing on a failed job
    service.run_step(message)
    assert job_row(harness, str(job_id))["status"] == "failed"


class RefusingQueue:
    def send_bulk_job_step(self, job_id: UUID, step: int) -> None:
        raise RuntimeError("SQS refused")


def test_a_job_that_cannot_be_queued_is_a_503_and_marked_failed(harness: Harness) -> None:
    c = harness.container
    kinds = library_kinds(c.asset_service, c.requeue_service, c.users_repo.is_deleted)
    repo = BulkJobRepository(c.pool)
    c.__dict__["bulk_job_service"] = BulkJobService(repo, RefusingQueue(), kinds)
    alice = harness.user("alice@example.com")
    r = harness.call("POST", "/api/trash/empty", token=alice)
    assert (r.status_code, r.json["message"]) == (503, "The job could not be queued; try again")
    (job,) = harness.call("GET", "/api/bulk-jobs", token=alice).json
    assert (job["status"], job["error"]) == ("failed", "The job could not be queued: SQS refused")


def test_only_the_owner_sees_a_job_and_admins_see_admin_jobs(harness: Harness) -> None:
    alice, bob = harness.user("alice@example.com"), harness.user("bob@example.com")
    admin = harness.login(*ADMIN)
    mine = harness.call("POST", "/api/trash/empty", token=alice).json["id"]
    requeue = harness.call(
        "POST", "/api/admin/stages/thumbnail/requeue", {"mode": "missing"}, token=admin
    )
    assert requeue.status_code == 202, requeue.body
    assert requeue.json["params"] == {"stage": "thumbnail", "mode": "missing"}
    run_jobs(harness)

    # The owner sees their job, in their list too
    assert harness.call("GET", f"/api/bulk-jobs/{mine}", token=alice).json["id"] == mine
    assert [j["id"] for j in harness.call("GET", "/api/bulk-jobs", token=alice).json] == [mine]
    # Another user, and an admin, get a 404 for a user's job, and do not list it
    for token in (bob, admin):
        r = harness.call("GET", f"/api/bulk-jobs/{mine}", token=token)
        assert (r.status_code, r.json["message"]) == (404, "Job not found")
        assert mine not in [
            j["id"] for j in harness.call("GET", "/api/bulk-jobs", token=token).json
        ]
    # An admin job is for admins: another user gets a 404
    r = harness.call("GET", f"/api/bulk-jobs/{requeue.json['id']}", token=bob)
    assert r.status_code == 404
    job = harness.call("GET", f"/api/bulk-jobs/{requeue.json['id']}", token=admin).json
    assert (job["kind"], job["status"]) == ("requeue", "succeeded")
    # Not a uuid, unknown, unauthenticated
    assert harness.call("GET", "/api/bulk-jobs/nope", token=alice).status_code == 404
    assert harness.call("GET", f"/api/bulk-jobs/{UUID(int=1)}", token=alice).status_code == 404
    assert harness.call("GET", f"/api/bulk-jobs/{mine}").status_code == 401
    assert harness.call("GET", "/api/bulk-jobs").status_code == 401
    # The list is bounded
    r = harness.call("GET", "/api/bulk-jobs?limit=51", token=alice)
    assert (r.status_code, r.json["details"][0]["field"]) == (400, "limit")
    # Re-queuing is for admins only
    refused = harness.call("POST", "/api/jobs/thumbnail/run", {"mode": "all"}, token=alice)
    assert refused.status_code == 403


def test_requeue_job_sends_every_asset_once_across_batches(harness: Harness) -> None:
    small_batches(harness, size=2)
    alice = harness.user("alice@example.com")
    ids = photos(harness, alice, 3)
    admin = harness.login(*ADMIN)
    r = harness.call("POST", "/api/jobs/duplicates/run", {"mode": "all"}, token=admin)
    harness.drain(stages=("duplicates",))  # what the photos' upload sent already
    job = finish(harness, r, admin)
    assert (job["status"], job["processed"], job["total"]) == ("succeeded", 3, 3)
    c = harness.container
    got: list[dict[str, Any]] = []
    while batch := c.sqs.receive_message(
        QueueUrl=c.queues.url("duplicates"), MaxNumberOfMessages=10
    ).get("Messages"):
        got += [json.loads(m["Body"]) for m in batch]
        c.sqs.delete_message_batch(
            QueueUrl=c.queues.url("duplicates"),
            Entries=[
                {"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(batch)
            ],
        )
    assert sorted(m["assetId"] for m in got) == sorted(ids)
    assert {(m["stage"], m["force"]) for m in got} == {("duplicates", True)}


def test_deleting_a_user_removes_their_photos_in_a_job(harness: Harness) -> None:
    small_batches(harness, size=2)
    alice, bob = harness.user("alice@example.com"), harness.user("bob@example.com")
    admin = harness.login(*ADMIN)
    alices = photos(harness, alice, 3)
    trash(harness, alice, alices[:1])  # trashed or not, all of them go
    (bobs,) = photos(harness, bob, 1, seed=5)
    alice_id = harness.call("GET", "/api/users/me", token=alice).json["id"]
    everything_else_of_alice(harness, alice, alices, bob)

    r = harness.call("DELETE", f"/api/admin/users/{alice_id}", token=admin)
    assert r.json["params"] == {"userId": alice_id}
    job = finish(harness, r, admin)
    assert (job["kind"], job["status"], job["processed"], job["total"]) == (
        "delete-user",
        "succeeded",
        3,
        3,
    )
    with harness.container.pool.connection() as conn:
        left = conn.execute(
            "SELECT count(*) AS n FROM assets WHERE owner_id = %s", (alice_id,)
        ).fetchone()
    assert left["n"] == 0
    assert all(keys_of(harness, a) == [] for a in alices)
    assert keys_of(harness, bobs) and harness.asset(bob, bobs)["status"] == "ready"
    # The job is the admins': the deleted user's neighbour cannot see it
    assert harness.call("GET", f"/api/bulk-jobs/{job['id']}", token=bob).status_code == 404
    # Then the rest of her goes: her zips, her row and what hangs off it; Bob's stays.
    assert harness.container.store.keys(f"downloads/{alice_id}/") == []
    assert owned_rows(harness, alice_id) == dict.fromkeys(OWNED, 0) | {"users": 0}
    assert [a["albumName"] for a in harness.call("GET", "/api/albums", token=bob).json] == [
        "bob's own"
    ]
    # Her last batch redone (its count lost in a crash) finds nothing and fails nothing.
    c = harness.container
    kinds = library_kinds(c.asset_service, c.requeue_service, c.users_repo.is_deleted)
    row = job_row(harness, job["id"])
    again = kinds["delete-user"].batch(
        Job(row["id"], row["owner_id"], dict(row["params"]), row["created_at"]), None, 10
    )
    assert (again.processed, again.done) == (0, True)
    assert harness.user("alice@example.com")  # the email is free again


OWNED = ("albums", "tags", "shared_links", "download_archives", "partners")
OWNER_COLUMN = {"partners": "shared_by_id", "shared_links": "user_id"}


def everything_else_of_alice(h: Harness, alice: str, ids: list[str], bob: str) -> None:
    """An album shared with Bob, a tag, a shared link, a zip and a partnership of Alice's,
    and an album of Bob's own; checked before the deletion."""
    bob_id = h.call("GET", "/api/users/me", token=bob).json["id"]
    album = h.call("POST", "/api/albums", {"albumName": "alice's", "assetIds": ids[1:]}, alice)
    assert album.status_code == 201, album.json
    shared = {"albumUsers": [{"userId": bob_id, "role": "viewer"}]}
    assert h.call("PUT", f"/api/albums/{album.json['id']}/users", shared, alice).status_code in (
        200,
        201,
    )
    assert h.call("POST", "/api/albums", {"albumName": "bob's own"}, bob).status_code == 201
    assert h.call("POST", "/api/tags", {"name": "holiday"}, alice).status_code == 201
    link = {"type": "INDIVIDUAL", "assetIds": ids[1:]}
    assert h.call("POST", "/api/shared-links", link, alice).status_code == 201
    assert h.call("POST", f"/api/partners/{bob_id}", None, alice).status_code == 201
    zip_ = h.call("POST", "/api/download/archive", {"assetIds": ids[1:]}, alice)
    assert zip_.status_code in (200, 201, 202), zip_.json
    h.drain(("archive",))
    alice_id = h.call("GET", "/api/users/me", token=alice).json["id"]
    assert h.container.store.keys(f"downloads/{alice_id}/")
    assert all(n > 0 for n in owned_rows(h, alice_id).values())


def owned_rows(h: Harness, owner: str) -> dict[str, int]:
    with h.container.pool.connection() as conn:
        counts = {
            table: conn.execute(
                f"SELECT count(*) AS n FROM {table}"  # noqa: S608 - fixed names
                f" WHERE {OWNER_COLUMN.get(table, 'owner_id')} = %s",
                (owner,),
            ).fetchone()["n"]
            for table in OWNED
        }
        counts["users"] = conn.execute(
            "SELECT count(*) AS n FROM users WHERE id = %s", (owner,)
        ).fetchone()["n"]
    return counts


def test_the_delete_user_job_never_touches_a_live_user(harness: Harness) -> None:
    service = small_batches(harness)
    bob = harness.user("bob@example.com")
    (bobs,) = photos(harness, bob, 1)
    bob_id = harness.call("GET", "/api/users/me", token=bob).json["id"]
    admin_auth = harness.container.auth_service.authenticate(
        {"authorization": f"Bearer {harness.login(*ADMIN)}"}
    )
    with pytest.raises(Exception, match="Only a deleted user's photos can be removed"):
        service.start(admin_auth, "delete-user", {"userId": bob_id})
    assert keys_of(harness, bobs) and harness.asset(bob, bobs)["status"] == "ready"


def insert_assets(h: Harness, owner: str, n: int) -> list[str]:
    """``n`` ready assets straight into the database, each with one object under derived/
    (S3 announces only users/ to ingest)."""
    ids = [str(uuid4()) for _ in range(n)]
    with h.container.pool.connection() as conn:
        for asset_id in ids:
            conn.execute(
                "INSERT INTO assets (id, owner_id, status, original_file_name,"
                " original_mime_type, checksum, file_size, storage_key, file_created_at,"
                " file_modified_at) VALUES (%s, %s, 'ready', 'a.jpg', 'image/jpeg', %s, 1, %s,"
                " now(), now())",
                (asset_id, owner, asset_id.encode(), f"users/{owner}/{asset_id}/original.jpg"),
            )
    s3, bucket = h.container.s3, h.container.settings.bucket
    for asset_id in ids:
        s3.put_object(Bucket=bucket, Key=f"derived/{owner}/{asset_id}/thumbnail.webp", Body=b"w")
    return ids


def test_deleting_over_a_hundred_for_good_is_a_job(harness: Harness) -> None:
    small_batches(harness, size=50)
    alice, bob = harness.user("alice@example.com"), harness.user("bob@example.com")
    alice_id = harness.call("GET", "/api/users/me", token=alice).json["id"]
    ids = insert_assets(harness, alice_id, PURGE_IN_REQUEST_MAX + 1)
    # One id that is not hers: nothing starts, nothing is deleted
    (bobs,) = photos(harness, bob, 1)
    r = harness.call("DELETE", "/api/assets", {"ids": [*ids, bobs], "force": True}, token=alice)
    assert (r.status_code, r.json["message"]) == (404, "One or more assets not found")
    assert harness.call("GET", "/api/bulk-jobs", token=alice).json == []
    # Hers only: a job, done in three batches of at most 50
    r = harness.call("DELETE", "/api/assets", {"ids": ids, "force": True}, token=alice)
    assert r.json["params"] == {"ids": ids}
    job = finish(harness, r, alice)
    assert (job["kind"], job["status"], job["processed"], job["total"]) == (
        "delete-assets",
        "succeeded",
        101,
        101,
    )
    assert job_row(harness, job["id"])["step"] == 3
    with harness.container.pool.connection() as conn:
        left = conn.execute(
            "SELECT count(*) AS n FROM assets WHERE owner_id = %s", (alice_id,)
        ).fetchone()
    assert left["n"] == 0
    assert harness.container.store.keys(f"derived/{alice_id}/") == []
    assert keys_of(harness, bobs)
    # Trashing many stays in the request (one UPDATE)
    more = insert_assets(harness, alice_id, PURGE_IN_REQUEST_MAX + 1)
    assert harness.call("DELETE", "/api/assets", {"ids": more}, token=alice).status_code == 204


def live_photo(h: Harness, owner: str) -> tuple[str, str]:
    """A still and its hidden motion part, as pairing leaves them (straight into the
    database, with their objects)."""
    still, motion = insert_assets(h, owner, 2)
    with h.container.pool.connection() as conn:
        conn.execute(
            "UPDATE assets SET visibility = 'hidden', type = 'VIDEO' WHERE id = %s", (motion,)
        )
        conn.execute("UPDATE assets SET live_photo_video_id = %s WHERE id = %s", (motion, still))
    return still, motion


def test_trash_jobs_count_a_live_photo_once_as_restoring_ids_does(harness: Harness) -> None:
    """A Live Photo is one item in the trash: restoring it by id answers 1, and the jobs count
    it once too, even when a batch (of one here) holds only its motion part."""
    small_batches(harness, size=1)
    alice = harness.user("alice@example.com")
    alice_id = harness.call("GET", "/api/users/me", token=alice).json["id"]
    still, motion = live_photo(harness, alice_id)
    (plain,) = insert_assets(harness, alice_id, 1)
    everything = [still, motion, plain]

    trash(harness, alice, [still, plain])
    by_ids = harness.call("POST", "/api/trash/restore", {"ids": [still, plain]}, token=alice)
    assert (by_ids.status_code, by_ids.json) == (200, {"count": 2})

    trash(harness, alice, [still, plain])
    restored = finish(harness, harness.call("POST", "/api/trash/restore", {}, token=alice), alice)
    assert (restored["kind"], restored["status"], restored["processed"], restored["total"]) == (
        "restore-trash",
        "succeeded",
        2,
        2,
    )
    with harness.container.pool.connection() as conn:
        left = conn.execute(
            "SELECT count(*) AS n FROM assets WHERE id = ANY(%s) AND trashed_at IS NOT NULL",
            (everything,),
        ).fetchone()["n"]
    assert left == 0  # every row came back, the motion part's too

    trash(harness, alice, [still, plain])
    emptied = finish(harness, harness.call("POST", "/api/trash/empty", {}, token=alice), alice)
    assert (emptied["kind"], emptied["status"], emptied["processed"], emptied["total"]) == (
        "empty-trash",
        "succeeded",
        2,
        2,
    )
    assert all(keys_of(harness, a) == [] for a in everything)
    with harness.container.pool.connection() as conn:
        gone = conn.execute("SELECT count(*) AS n FROM assets WHERE id = ANY(%s)", (everything,))
        assert gone.fetchone()["n"] == 0
