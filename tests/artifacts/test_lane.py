"""What `cdk deploy` ships, run: every function imports from its artifact alone, and the
photo flow runs through the artifacts against PostgreSQL + moto.

The tests run in order (one module, one lane): the migration function makes the schema of
an empty database first, then the API artifact, the workers and the jobs work on it.
"""

from __future__ import annotations

import hashlib
import json
import re
import uuid

import boto3
import httpx
import psycopg
import pytest

from layers.build import UNZIPPED_LIMIT_BYTES, unzipped_size
from scripts.smoke import Smoke
from tests.artifacts.conftest import REGION, Lane
from tests.support.samples import photo

pytestmark = pytest.mark.slow

# Design rule: the API's cold start loads no media or ML library.
API_MUST_NOT_IMPORT = ("PIL", "pyvips", "numpy", "onnxruntime", "aws_xray_sdk")
LOADED_ON_USE = ("onnxruntime", "tokenizers", "numpy", "PIL", "pyvips", "rawpy", "scipy")
STAGES_OF_A_PHOTO = {"ingest", "thumbnail", "faces", "smart_search", "duplicates"}


def test_every_function_starts_from_its_artifact_alone(lane: Lane):
    # Given every Python function of the template, each in a clean interpreter with only
    # its code and layers (or its image's packages) on sys.path
    started = {name: lane.host(name).ready for name in sorted(lane.build.functions)}
    # Then each handler imports (a ModuleNotFoundError here is a broken deployment)
    failed = {name: r.get("error", "")[-1500:] for name, r in started.items() if not r["ready"]}
    assert not failed, "\n\n".join(f"{name}:\n{error}" for name, error in failed.items())
    assert {"api", "skyroll-dev-migrate", "skyroll-dev-jobs", "skyroll-dev-bulk_jobs"} <= set(
        started
    )
    assert {f"skyroll-dev-{s}" for s in ("ingest", "thumbnail", "faces", "smart_search")} <= set(
        started
    )
    # And nothing pulled in the X-Ray SDK at import: tracing is not on.
    for name, ready in started.items():
        assert "aws_xray_sdk" not in ready["modules"], name
    loaded = set(started["api"]["modules"])
    assert not {m for m in API_MUST_NOT_IMPORT if m in loaded}
    # No handler's cold start loads a media or ML library: each stage loads what it uses
    # when a record needs it (the import-time table: bench/bench_cold_start.py).
    for name, ready in started.items():
        heavy = {m for m in LOADED_ON_USE if m in set(ready["modules"])}
        assert not heavy, (name, heavy)


def test_zip_functions_fit_lambdas_unzipped_limit(lane: Lane):
    for name, artifact in lane.build.functions.items():
        if artifact.kind == "image":
            continue
        total = sum(unzipped_size(p) for p in artifact.code_dirs)
        assert total < UNZIPPED_LIMIT_BYTES, f"{name}: {total / 2**20:.0f} MB"


def test_migration_function_creates_the_schema_and_first_admin(lane: Lane):
    # Given an empty database, when CloudFormation creates the custom resource
    event = {
        "RequestType": "Create",
        "ResourceType": "Custom::SkyrollMigrations",
        "LogicalResourceId": "Migrations",
        "RequestId": "r-1",
        "StackId": "arn:aws:cloudformation:us-east-1:123456789012:stack/Skyroll-dev/x",
        "ResourceProperties": {},
    }
    result = lane.host("skyroll-dev-migrate").invoke(event)
    assert result["PhysicalResourceId"] == "skyroll-schema"
    assert "0001_init.sql" in result["Data"]["Applied"].split(",")
    with psycopg.connect(lane.dsn) as conn:
        assert conn.execute(
            "SELECT extversion FROM pg_extension WHERE extname = 'vector'"
        ).fetchone()
        admins = conn.execute("SELECT email FROM users WHERE is_admin").fetchall()
    assert admins == [("admin@skyroll.local",)]
    # The generated password is shown once, in the function's log only.
    assert _admin_password(lane)
    # A second deploy applies nothing.
    again = lane.host("skyroll-dev-migrate").invoke({**event, "RequestType": "Update"})
    assert again["Data"]["Applied"] == "none"


def test_photos_go_ready_and_are_searchable_through_the_artifacts(lane: Lane):
    # Given the API behind API Gateway's proxy and every stage behind its event source
    gateway = lane.gateway()
    runner = lane.runner()
    runner.start()
    try:
        smoke = _LaneSmoke(lane, gateway.url, "admin@skyroll.local", _admin_password(lane))
        report = smoke.run()
    finally:
        runner.stop()
        gateway.close()
    print(report.render())
    # Then upload -> ingest -> thumbnail -> faces + smart_search -> ready, thumbnail, preview,
    # smart search (the API invoking the text encoder), a shared album, and cleanup all pass.
    assert report.ok, report.render()
    assert ("skyroll-dev-text-encoder", "RequestResponse") in lane.lambda_api.calls
    assert smoke.stages_seen >= STAGES_OF_A_PHOTO


def test_scheduled_job_runs_in_the_jobs_function(lane: Lane):
    result = lane.host("skyroll-dev-jobs").invoke({"job": "expire-pending-uploads"})
    assert result["job"] == "expire-pending-uploads"
    assert "result" in result


def test_backup_function_exports_the_database_with_its_own_pg_dump(lane: Lane):
    # The image carries PostgreSQL 16's client tools (its requirements list, nothing else)
    result = lane.host("skyroll-dev-backup").invoke({"action": "backup"})
    name = result["backup"]["name"]
    s3 = boto3.client("s3", region_name="us-east-1", endpoint_url=lane.moto)
    body = s3.get_object(Bucket=lane.names.bucket, Key=f"backups/{name}")["Body"].read()
    assert body[:5] == b"PGDMP" and len(body) == result["backup"]["size"]
    # And restores it over the database (the operator's event), in one transaction
    assert lane.host("skyroll-dev-backup").invoke({"action": "restore", "name": name}) == {
        "restored": name
    }
    with psycopg.connect(lane.dsn) as conn:
        assert conn.execute("SELECT email FROM users WHERE is_admin").fetchall() == [
            ("admin@skyroll.local",)
        ]


def test_library_scan_runs_in_its_function_and_ingest_reads_the_users_bucket(lane: Lane):
    # Given an approved library on a bucket of the user's own, with one photo
    s3 = boto3.client("s3", region_name="us-east-1", endpoint_url=lane.moto)
    bucket = f"own-{uuid.uuid4().hex[:8]}"
    s3.create_bucket(Bucket=bucket)
    data = photo(seed=7)
    s3.put_object(Bucket=bucket, Key="p/one.jpg", Body=data)
    scan_id = uuid.uuid4()
    with psycopg.connect(lane.dsn) as conn:
        library_id = conn.execute(
            "INSERT INTO libraries (owner_id, name, bucket, prefix, approved_at, scan_id)"
            " SELECT id, 'own', %s, 'p/', now(), %s FROM users WHERE is_admin RETURNING id",
            (bucket, scan_id),
        ).fetchone()[0]
    sqs = boto3.client("sqs", region_name="us-east-1", endpoint_url=lane.moto)
    url = sqs.get_queue_url(QueueName="skyroll-dev-library_scan")["QueueUrl"]
    sqs.send_message(
        QueueUrl=url,
        MessageBody=json.dumps({"libraryId": str(library_id), "scanId": str(scan_id)}),
    )
    # When the deployed library_scan, ingest and thumbnail functions take their messages
    runner = lane.runner()
    for stage in ("library_scan", "ingest", "thumbnail"):
        assert runner.run_once(stage, wait_seconds=1).size == 1, stage
    # Then the asset is ready, hashed from the user's object, which is still there
    with psycopg.connect(lane.dsn) as conn:
        row = conn.execute(
            "SELECT status, checksum, source_bucket FROM assets WHERE library_id = %s",
            (library_id,),
        ).fetchone()
    assert row == ("ready", hashlib.sha256(data).digest(), bucket)
    assert s3.get_object(Bucket=bucket, Key="p/one.jpg")["Body"].read() == data


def test_emptying_the_trash_runs_in_the_bulk_jobs_function(lane: Lane):
    # Given a trashed photo of the admin's: its row and an object under its prefix (derived/,
    # which S3 does not announce to ingest)
    asset_id = uuid.uuid4()
    with psycopg.connect(lane.dsn) as conn:
        row = conn.execute("SELECT id FROM users WHERE email = 'admin@skyroll.local'").fetchone()
        assert row is not None
        owner = row[0]
        conn.execute(
            "INSERT INTO assets (id, owner_id, status, original_file_name, original_mime_type,"
            " checksum, file_size, storage_key, file_created_at, file_modified_at, trashed_at)"
            " VALUES (%s, %s, 'ready', 'a.jpg', 'image/jpeg', %s, 3, %s, now(), now(),"
            " now() - interval '1 minute')",
            (asset_id, owner, b"x" * 32, f"users/{owner}/{asset_id}/original.jpg"),
        )
    s3 = boto3.client("s3", region_name=REGION, endpoint_url=lane.moto)
    bucket = lane.settings().bucket
    # (this asset's own prefix: earlier lane tests leave the admin other derived files)
    derived = f"derived/{owner}/{asset_id}/"
    s3.put_object(Bucket=bucket, Key=f"{derived}thumbnail.webp", Body=b"w")
    gateway, runner = lane.gateway(), lane.runner()
    try:
        api = httpx.Client(base_url=gateway.url, timeout=60)
        login = {"email": "admin@skyroll.local", "password": _admin_password(lane)}
        token = api.post("/api/auth/login", json=login).json()["accessToken"]
        auth = {"Authorization": f"Bearer {token}"}
        # When the API artifact is asked to empty the trash: a job, nothing deleted yet
        started = api.post("/api/trash/empty", headers=auth)
        assert started.status_code == 202, started.text
        assert s3.list_objects_v2(Bucket=bucket, Prefix=derived)["KeyCount"] == 1
        # And the bulk_jobs function from its artifact takes the job's messages
        handled = 0
        while batch := runner.run_once("bulk_jobs", wait_seconds=1).size:
            handled += batch
        job = api.get(f"/api/bulk-jobs/{started.json()['id']}", headers=auth).json()
    finally:
        gateway.close()
    # Then the job is done, the row and the object are gone
    # (the queue may also hold jobs earlier lane tests started, e.g. the smoke test's
    # delete-user: they run here too)
    assert handled >= 1
    assert (job["status"], job["processed"], job["total"]) == ("succeeded", 1, 1), job
    with psycopg.connect(lane.dsn) as conn:
        assert conn.execute("SELECT 1 FROM assets WHERE id = %s", (asset_id,)).fetchone() is None
    assert s3.list_objects_v2(Bucket=bucket, Prefix=derived)["KeyCount"] == 0
    assert "skyroll-dev-bulk_jobs" in lane.hosts


def test_no_function_wrote_into_its_code(lane: Lane):
    # Lambda's task root and /opt are read-only: a function writing next to its code
    # (a cache, bytecode) works here only as root, so check that nothing changed.
    from tests.artifacts.conftest import _code_dirs
    from tests.artifacts.lane import snapshot

    assert snapshot(_code_dirs(lane.build)) == lane.before


class _LaneSmoke(Smoke):
    """``make smoke``, plus a look into the database before it cleans up."""

    def __init__(self, lane: Lane, *args: object) -> None:
        super().__init__(*args)  # type: ignore[arg-type]
        self.lane = lane
        self.stages_seen: set[str] = set()

    def _scenario(self) -> None:
        super()._scenario()
        with self.step("every stage done in the database"):
            ids = [asset_id for _, asset_id in self.made["assets"]]
            with psycopg.connect(self.lane.dsn) as conn:
                rows = conn.execute(
                    "SELECT stage, status FROM asset_stages WHERE asset_id = ANY(%s::uuid[])",
                    (ids,),
                ).fetchall()
                vectors = conn.execute(
                    "SELECT count(*) FROM smart_search_384 WHERE asset_id = ANY(%s::uuid[])",
                    (ids,),
                ).fetchone()
            not_done = [(s, st) for s, st in rows if st not in ("done", "skipped")]
            assert not not_done, not_done
            self.stages_seen = {s for s, _ in rows}
            assert vectors == (len(ids),)


def _admin_password(lane: Lane) -> str:
    log = (lane.tmp / "skyroll-dev-migrate.log").read_text()
    match = re.search(r"generated password (\S+)", log)
    assert match, log[-2000:]
    return match.group(1)
