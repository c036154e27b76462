"""External libraries end to end on PostgreSQL + moto: a user's own bucket (a second moto
bucket) registered, approved, scanned page by page, its objects ingested in place through
the same stages; a re-scan picks up new, changed and removed objects; nothing Skyroll does
writes to or deletes from that bucket; another user sees none of it."""

from __future__ import annotations

import base64
import hashlib
import uuid
from typing import Any

import httpx
import pytest

from chalicelib.services.libraries import LibraryService
from tests.support.bulk_jobs import finish
from tests.support.harness import Harness
from tests.support.samples import photo

STAGES = ("library_scan", "ingest", "thumbnail")


def b64sha(data: bytes) -> str:
    return base64.b64encode(hashlib.sha256(data).digest()).decode()


@pytest.fixture
def env(harness: Harness) -> dict[str, Any]:
    h = harness
    # Pages of two objects: a scan of this library takes several messages.
    c = h.container
    c.__dict__["library_service"] = LibraryService(
        c.library_repo, c.store, c.queues, c.queues, page_size=2
    )
    bucket = f"own-{uuid.uuid4().hex[:10]}"
    c.s3.create_bucket(Bucket=bucket)
    files = {
        "photos/a.jpg": photo(seed=41),
        "photos/b.jpg": photo(seed=42),
        "photos/sub/c.jpeg": photo(seed=43),
        "photos/notes.txt": b"not a photo",
        "elsewhere/d.jpg": photo(seed=44),
    }
    for key, data in files.items():
        c.s3.put_object(Bucket=bucket, Key=key, Body=data)
    return {
        "h": h,
        "bucket": bucket,
        "files": files,
        "ada": h.user("ada@example.com"),
        "bob": h.user("bob@example.com"),
        "admin": h.login("admin@example.com", "admin-password-1"),
    }


def objects(h: Harness, bucket: str) -> dict[str, bytes]:
    s3 = h.container.s3
    keys = [o["Key"] for o in s3.list_objects_v2(Bucket=bucket).get("Contents", [])]
    return {k: s3.get_object(Bucket=bucket, Key=k)["Body"].read() for k in keys}


def library_assets(h: Harness, token: str) -> dict[str, dict]:
    items = h.call("GET", "/api/assets?size=1000&isTrashed=false", token=token).json["items"]
    trashed = h.call("GET", "/api/assets?size=1000&isTrashed=true", token=token).json["items"]
    return {a["originalFileName"]: a for a in items + trashed if a["libraryId"]}


def scan(e: dict[str, Any], library_id: str) -> dict:
    h = e["h"]
    r = h.call("POST", f"/api/libraries/{library_id}/scan", token=e["ada"])
    assert r.status_code == 202, r.body
    h.drain(STAGES)
    return r.json


def registered(e: dict[str, Any]) -> str:
    h = e["h"]
    r = h.call(
        "POST",
        "/api/libraries",
        {"name": "Old photos", "bucket": e["bucket"], "prefix": "photos/"},
        token=e["ada"],
    )
    assert r.status_code == 201, r.body
    assert r.json["isApproved"] is False and r.json["prefix"] == "photos/"
    return str(r.json["id"])


def test_scan_makes_assets_in_place_and_a_rescan_follows_the_bucket(env) -> None:
    e, h = env, env["h"]
    before = objects(h, e["bucket"])
    library_id = registered(e)
    # Not before an admin approved it
    r = h.call("POST", f"/api/libraries/{library_id}/scan", token=e["ada"])
    assert r.status_code == 409 and "approval" in r.json["message"]
    r = h.call("POST", f"/api/libraries/{library_id}/approve", token=e["admin"])
    assert r.status_code == 200 and r.json["isApproved"] is True

    first = scan(e, library_id)
    assert first["resumed"] is False
    lib = h.call("GET", f"/api/libraries/{library_id}", token=e["ada"]).json
    # Four objects under the prefix, two a page; the scan has ended
    assert lib["scanPages"] == 2 and lib["isScanning"] is False and lib["scanFinishedAt"]
    assets = library_assets(h, e["ada"])
    assert set(assets) == {"a.jpg", "b.jpg", "c.jpeg"}  # not notes.txt, not elsewhere/
    for name, key in (("a.jpg", "photos/a.jpg"), ("c.jpeg", "photos/sub/c.jpeg")):
        assert assets[name]["status"] == "ready", assets[name]
        assert assets[name]["checksum"] == b64sha(e["files"][key])
        assert assets[name]["libraryId"] == library_id and assets[name]["isOffline"] is False
    # The original is read where it is: the download is the object in the user's bucket
    r = h.call("GET", f"/api/assets/{assets['a.jpg']['id']}/original", token=e["ada"])
    assert r.status_code == 302 and e["bucket"] in r.headers["Location"]
    assert httpx.get(r.headers["Location"]).content == e["files"]["photos/a.jpg"]
    # Thumbnails went to Skyroll's bucket; the user's bucket is exactly as it was
    derived = h.container.store.keys("derived/")
    assert any(assets["b.jpg"]["id"] in k and k.endswith("thumbnail.webp") for k in derived)
    assert objects(h, e["bucket"]) == before
    stats = h.call("GET", f"/api/libraries/{library_id}/statistics", token=e["ada"]).json
    assert stats == {
        "photos": 3,
        "videos": 0,
        "offline": 0,
        "total": 3,
        "usage": sum(
            len(e["files"][k]) for k in ("photos/a.jpg", "photos/b.jpg", "photos/sub/c.jpeg")
        ),
    }

    # When the bucket changes: b.jpg replaced, c.jpeg removed, e.jpg added
    s3 = h.container.s3
    changed = photo(seed=99, size=(80, 60))
    s3.put_object(Bucket=e["bucket"], Key="photos/b.jpg", Body=changed)
    s3.delete_object(Bucket=e["bucket"], Key="photos/sub/c.jpeg")
    s3.put_object(Bucket=e["bucket"], Key="photos/e.jpg", Body=photo(seed=45))
    second = scan(e, library_id)
    assert second["scanId"] != first["scanId"]
    again = library_assets(h, e["ada"])
    assert set(again) == {"a.jpg", "b.jpg", "c.jpeg", "e.jpg"}
    # The changed object was processed again (its new bytes, its new size)
    assert again["b.jpg"]["id"] == assets["b.jpg"]["id"]
    assert again["b.jpg"]["checksum"] == b64sha(changed) and again["b.jpg"]["status"] == "ready"
    assert again["b.jpg"]["width"] == 80
    # The removed one is offline, in the trash; the unchanged one untouched
    assert again["c.jpeg"]["isOffline"] is True and again["c.jpeg"]["isTrashed"] is True
    assert again["a.jpg"]["checksum"] == assets["a.jpg"]["checksum"]
    assert again["e.jpg"]["status"] == "ready" and again["e.jpg"]["isOffline"] is False
    stats = h.call("GET", f"/api/libraries/{library_id}/statistics", token=e["ada"]).json
    assert (stats["photos"], stats["offline"]) == (3, 1)

    # When the object comes back, so does the asset (out of the trash)
    s3.put_object(Bucket=e["bucket"], Key="photos/sub/c.jpeg", Body=e["files"]["photos/sub/c.jpeg"])
    scan(e, library_id)
    back = library_assets(h, e["ada"])["c.jpeg"]
    assert back["isOffline"] is False and back["isTrashed"] is False


def test_deleting_assets_or_the_library_never_deletes_the_users_objects(env) -> None:
    e, h = env, env["h"]
    library_id = registered(e)
    h.call("POST", f"/api/libraries/{library_id}/approve", token=e["admin"])
    scan(e, library_id)
    before = objects(h, e["bucket"])
    assets = library_assets(h, e["ada"])
    a = assets["a.jpg"]["id"]
    # Force-delete (what emptying the trash does): the asset and its thumbnails go ...
    r = h.call("DELETE", "/api/assets", {"ids": [a], "force": True}, token=e["ada"])
    assert r.status_code == 204, r.body
    assert h.call("GET", f"/api/assets/{a}", token=e["ada"]).status_code == 404
    assert not [k for k in h.container.store.keys("derived/") if a in k]
    # ... the object stays in the user's bucket
    assert objects(h, e["bucket"]) == before
    # Trash, then empty the trash: the same
    b = assets["b.jpg"]["id"]
    h.call("DELETE", "/api/assets", {"ids": [b]}, token=e["ada"])
    emptied = finish(h, h.call("POST", "/api/trash/empty", token=e["ada"]), e["ada"])
    assert (emptied["status"], emptied["processed"]) == ("succeeded", 1)
    assert objects(h, e["bucket"]) == before
    # Removing the library (a bulk job) removes its assets and Skyroll's files, never the
    # objects; the library leaves every view as soon as it is asked.
    c = assets["c.jpeg"]["id"]
    assert [k for k in h.container.store.keys("derived/") if c in k]
    r = h.call("DELETE", f"/api/libraries/{library_id}", token=e["ada"])
    assert (r.json["kind"], r.json["params"]) == ("delete-library", {"libraryId": library_id})
    assert h.call("GET", f"/api/libraries/{library_id}", token=e["ada"]).status_code == 404
    assert h.call("GET", "/api/libraries", token=e["ada"]).json == []
    job = finish(h, r, e["ada"])
    assert (job["status"], job["processed"], job["total"]) == ("succeeded", 1, 1)
    assert library_assets(h, e["ada"]) == {}
    assert not [k for k in h.container.store.keys("derived/") if c in k]
    with h.container.pool.connection() as conn:
        assert (
            conn.execute(
                "SELECT count(*) AS n FROM libraries WHERE id = %s", (library_id,)
            ).fetchone()["n"]
            == 0
        )
    assert objects(h, e["bucket"]) == before


def test_a_lost_page_message_is_resumed_from_the_saved_token(env) -> None:
    e, h = env, env["h"]
    library_id = registered(e)
    h.call("POST", f"/api/libraries/{library_id}/approve", token=e["admin"])
    r = h.call("POST", f"/api/libraries/{library_id}/scan", token=e["ada"])
    scan_id = r.json["scanId"]
    # The first page is scanned; the message for the second is lost
    assert h.runner.run_once("library_scan", wait_seconds=0).size == 1
    sqs = h.container.sqs
    url = h.container.queues.url("library_scan")
    lost = sqs.receive_message(QueueUrl=url, WaitTimeSeconds=0)["Messages"]
    sqs.delete_message(QueueUrl=url, ReceiptHandle=lost[0]["ReceiptHandle"])
    lib = h.call("GET", f"/api/libraries/{library_id}", token=e["ada"]).json
    assert lib["isScanning"] is True and lib["scanPages"] == 1
    # Asking again resumes the same scan at the saved page
    again = h.call("POST", f"/api/libraries/{library_id}/scan", token=e["ada"]).json
    assert again == {"scanId": scan_id, "resumed": True}
    h.drain(STAGES)
    lib = h.call("GET", f"/api/libraries/{library_id}", token=e["ada"]).json
    assert lib["isScanning"] is False and lib["scanPages"] == 2
    assert set(library_assets(h, e["ada"])) == {"a.jpg", "b.jpg", "c.jpeg"}


def test_another_user_cannot_see_change_or_scan_a_library(env) -> None:
    e, h = env, env["h"]
    library_id = registered(e)
    h.call("POST", f"/api/libraries/{library_id}/approve", token=e["admin"])
    bob = e["bob"]
    for method, path, body in (
        ("GET", f"/api/libraries/{library_id}", None),
        ("PUT", f"/api/libraries/{library_id}", {"name": "mine now"}),
        ("DELETE", f"/api/libraries/{library_id}", None),
        ("POST", f"/api/libraries/{library_id}/scan", None),
        ("GET", f"/api/libraries/{library_id}/statistics", None),
    ):
        r = h.call(method, path, body, token=bob)
        assert r.status_code == 404, (method, path, r.body)
        assert r.json["message"] == "Library not found"
    assert h.call("GET", "/api/libraries", token=bob).json == []
    # Only admins approve
    r = h.call("POST", f"/api/libraries/{library_id}/approve", token=bob)
    assert r.status_code == 403
    # The owner's library is unchanged and the admin sees it among everyone's
    mine = h.call("GET", f"/api/libraries/{library_id}", token=e["ada"]).json
    assert mine["name"] == "Old photos"
    assert library_id in {
        lib["id"] for lib in h.call("GET", "/api/libraries", token=e["admin"]).json
    }


def test_bad_library_input_is_refused_with_the_field_named(env) -> None:
    e, h = env, env["h"]
    for body, field in (
        ({"name": "x", "bucket": "Not_A_Bucket"}, "bucket"),
        ({"name": "x", "bucket": "ab"}, "bucket"),
        ({"name": "", "bucket": "fine-bucket"}, "name"),
        ({"name": "x", "bucket": "fine-bucket", "prefix": "/abs"}, "prefix"),
        ({"bucket": "fine-bucket"}, "name"),
    ):
        r = h.call("POST", "/api/libraries", body, token=e["ada"])
        assert r.status_code == 400, (body, r.body)
        assert field in r.body.decode(), (body, r.body)
    registered(e)
    r = h.call(
        "POST",
        "/api/libraries",
        {"name": "again", "bucket": e["bucket"], "prefix": "photos/"},
        token=e["ada"],
    )
    assert r.status_code == 409
    # A path that names no library (not even a UUID) is a 404, as for every noun
    r = h.call("GET", "/api/libraries/not-a-uuid", token=e["ada"])
    assert r.status_code == 404


def test_a_new_prefix_needs_approval_again(env) -> None:
    e, h = env, env["h"]
    library_id = registered(e)
    h.call("POST", f"/api/libraries/{library_id}/approve", token=e["admin"])
    r = h.call("PUT", f"/api/libraries/{library_id}", {"name": "Renamed"}, token=e["ada"])
    assert r.json["name"] == "Renamed" and r.json["isApproved"] is True
    r = h.call("PUT", f"/api/libraries/{library_id}", {"prefix": "elsewhere/"}, token=e["ada"])
    assert r.json["prefix"] == "elsewhere/" and r.json["isApproved"] is False
    r = h.call("POST", f"/api/libraries/{library_id}/scan", token=e["ada"])
    assert r.status_code == 409


def test_deleting_a_library_goes_batch_by_batch_and_stops_its_scan(env) -> None:
    from chalicelib.repositories.bulk_jobs import BulkJobRepository
    from chalicelib.services.bulk_jobs import BulkJobService, library_kinds

    e, h = env, env["h"]
    c = h.container
    c.__dict__["bulk_job_service"] = BulkJobService(
        BulkJobRepository(c.pool),
        c.queues,
        library_kinds(
            c.asset_service, c.requeue_service, c.users_repo.is_deleted, c.library_service
        ),
        batch_size=2,
    )
    library_id = registered(e)
    h.call("POST", f"/api/libraries/{library_id}/approve", token=e["admin"])
    scan(e, library_id)
    assert len(library_assets(h, e["ada"])) == 3
    before = objects(h, e["bucket"])
    # A scan in progress when the library is deleted stops at its next page.
    h.call("POST", f"/api/libraries/{library_id}/scan", token=e["ada"])
    started = h.call("DELETE", f"/api/libraries/{library_id}", token=e["ada"])
    # Another user cannot delete it (nor learn it exists); a second request is harmless.
    r = h.call("DELETE", f"/api/libraries/{library_id}", token=e["bob"])
    assert (r.status_code, r.json["message"]) == (404, "Library not found")
    assert h.drain(("library_scan",)) == 1  # the page message, which finds no library
    job = finish(h, started, e["ada"])
    assert (job["status"], job["processed"], job["total"]) == ("succeeded", 3, 3)
    assert library_assets(h, e["ada"]) == {}
    assert objects(h, e["bucket"]) == before
    again = h.call("DELETE", f"/api/libraries/{library_id}", token=e["ada"])
    assert (again.status_code, again.json["message"]) == (404, "Library not found")


def test_skyroll_library_delete_waits_for_its_job(env, tmp_path, monkeypatch) -> None:
    from typer.testing import CliRunner

    from chalicelib.cli.api import RetryPolicy, Transports
    from chalicelib.cli.main import Runtime, app
    from tests.support.bulk_jobs import run_jobs
    from tests.support.cli import api_transport, login

    e, h = env, env["h"]
    library_id = registered(e)
    h.call("POST", f"/api/libraries/{library_id}/approve", token=e["admin"])
    scan(e, library_id)
    monkeypatch.setenv("SKYROLL_CONFIG_DIR", str(tmp_path / "config"))
    # Each poll's pause runs the bulk_jobs worker: the job moves on between polls.
    runtime = Runtime(
        Transports(api=api_transport(h), retry=RetryPolicy(sleep=lambda _: run_jobs(h))),
        progress=False,
    )

    def skyroll(*args: str):  # noqa: ANN202 - typer's Result
        return CliRunner().invoke(app, list(args), obj=runtime)

    login(skyroll, "ada@example.com", "password-123")
    result = skyroll("library", "delete", library_id, "--wait")
    assert result.exit_code == 0, result.output
    first, last = result.output.strip().splitlines()
    job_id = first.removeprefix("Started delete-library job ").removesuffix("; waiting...")
    assert last == f"delete-library {job_id}: succeeded, 3/3 done"
    assert library_assets(h, e["ada"]) == {}
    result = skyroll("library", "delete", library_id)
    assert result.exit_code == 1 and "Library not found" in result.output


def test_ingest_reads_each_library_object_with_one_get_and_a_vanished_one_fails(env) -> None:
    """One GET per object, no HEAD: its answer carries the size ingest records, and an object
    gone between the scan and ingest fails its asset with the reason; nothing is deleted."""
    e, h = env, env["h"]
    library_id = registered(e)
    h.call("POST", f"/api/libraries/{library_id}/approve", token=e["admin"])
    r = h.call("POST", f"/api/libraries/{library_id}/scan", token=e["ada"])
    assert r.status_code == 202, r.body
    h.drain(("library_scan",))
    s3 = h.container.s3
    s3.delete_object(Bucket=e["bucket"], Key="photos/b.jpg")  # after the scan listed it
    before = objects(h, e["bucket"])
    asked: list[tuple[str, str, str]] = []

    def count(model: Any, params: dict[str, Any], **_: Any) -> None:
        asked.append((model.name, str(params.get("Bucket")), str(params.get("Key"))))

    s3.meta.events.register("before-parameter-build.s3", count)
    try:
        h.drain(("ingest",))
    finally:
        s3.meta.events.unregister("before-parameter-build.s3", count)

    assert sorted(asked) == [
        ("GetObject", e["bucket"], key)
        for key in ("photos/a.jpg", "photos/b.jpg", "photos/sub/c.jpeg")
    ]
    assets = library_assets(h, e["ada"])
    gone = assets["b.jpg"]
    assert (gone["status"], gone["failureReason"]) == (
        "failed",
        "The object is no longer in the library",
    )
    for name, key in (("a.jpg", "photos/a.jpg"), ("c.jpeg", "photos/sub/c.jpeg")):
        a = h.asset(e["ada"], assets[name]["id"])
        ingest = next(st for st in a["stages"] if st["stage"] == "ingest")
        assert ingest["status"] == "done", a
        assert a["checksum"] == b64sha(e["files"][key])
        assert a["exifInfo"]["fileSizeInByte"] == len(e["files"][key])
    assert objects(h, e["bucket"]) == before
