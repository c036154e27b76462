"""The nightly database export (its image function, schedule, retention) and external
libraries' buckets (read-only grants from a context list), on the synthesized template."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from aws_cdk.assertions import Template
from skyroll_cdk.app_factory import build_app, cdk_json_context
from skyroll_cdk.backups import SCHEDULE
from skyroll_cdk.config import from_context

from tests.infra.conftest import Synth, own_chalice_out

EXTERNAL = ("family-photos", "old.scans")


@pytest.fixture(scope="module")
def with_libraries(tmp_path_factory: pytest.TempPathFactory) -> Synth:
    tmp: Path = tmp_path_factory.mktemp("cdk-libraries")
    context = {
        **cdk_json_context(),
        "stage": "dev",
        "skyroll": {"dev": {"external_buckets": list(EXTERNAL), "backup_export_days": 7}},
    }
    app, stack = build_app(
        outdir=str(tmp), context=context, nag=True, chalice_out=own_chalice_out(tmp)
    )
    app.synth()  # any unacknowledged cdk-nag finding fails here
    return Synth(stack, Template.from_stack(stack), tmp)


def _statements(synth: Synth) -> list[tuple[str, dict]]:
    found = []
    for logical_id, policy in synth.resources("AWS::IAM::Policy").items():
        for statement in policy["Properties"]["PolicyDocument"]["Statement"]:
            found.append((logical_id, statement))
    return found


def _function(synth: Synth, name: str) -> tuple[str, dict]:
    for logical_id, fn in synth.resources("AWS::Lambda::Function").items():
        if fn["Properties"].get("FunctionName") == name:
            return logical_id, fn
    raise AssertionError(f"no function {name}")


def test_backup_function_is_an_image_run_nightly_that_the_api_can_start(dev) -> None:
    logical_id, fn = _function(dev, "skyroll-dev-backup")
    props = fn["Properties"]
    assert props["PackageType"] == "Image"
    assert props["ImageConfig"]["Command"] == ["functions.backup.handler.handler"]
    assert props["EphemeralStorage"]["Size"] == 4096 and props["Timeout"] == 900
    rules = [
        r["Properties"]
        for r in dev.resources("AWS::Events::Rule").values()
        if r["Properties"].get("ScheduleExpression") == SCHEDULE
    ]
    (rule,) = rules
    (target,) = rule["Targets"]
    assert target["Arn"] == {"Fn::GetAtt": [logical_id, "Arn"]}
    assert json.loads(target["Input"]) == {"action": "backup"}
    # The API starts it (POST /api/admin/backups) and knows its name
    api_env = next(
        f["Properties"]["Environment"]["Variables"]
        for f in dev.resources("AWS::Serverless::Function").values()
    )
    assert api_env["SKYROLL_BACKUP_FUNCTION"] == {"Ref": logical_id}
    assert api_env["SKYROLL_BACKUP_RETENTION_DAYS"] == "14"
    invoke = [
        s
        for _, s in _statements(dev)
        if s["Action"] == "lambda:InvokeFunction"
        # One resource is a dict, several a list (the jobs function invokes itself too).
        and {"Fn::GetAtt": [logical_id, "Arn"]} in _as_list(s["Resource"])
    ]
    assert invoke


def test_backups_expire_by_a_lifecycle_rule_on_their_prefix(dev, with_libraries) -> None:
    for synth, days in ((dev, 14), (with_libraries, 7)):
        (bucket,) = [
            b
            for b in synth.resources("AWS::S3::Bucket").values()
            if b["Properties"].get("VersioningConfiguration")
        ]
        rules = {r["Id"]: r for r in bucket["Properties"]["LifecycleConfiguration"]["Rules"]}
        rule = rules["expire-database-backups"]
        assert rule["Prefix"] == "backups/" and rule["ExpirationInDays"] == days + 1


def test_library_scan_stage_has_its_queue_and_function(dev) -> None:
    names = {q["Properties"].get("QueueName") for q in dev.resources("AWS::SQS::Queue").values()}
    assert {"skyroll-dev-library_scan", "skyroll-dev-library_scan-dlq"} <= names
    _function(dev, "skyroll-dev-library_scan")


def _resources(statement: dict) -> list[str]:
    found = statement["Resource"]
    return [
        json.dumps(r) if not isinstance(r, str) else r
        for r in (found if isinstance(found, list) else [found])
    ]


def _actions(statement: dict) -> list[str]:
    found = statement["Action"]
    return found if isinstance(found, list) else [found]


def test_external_buckets_are_read_only_for_the_functions(dev, with_libraries) -> None:
    arns = {f"arn:aws:s3:::{b}" for b in EXTERNAL} | {f"arn:aws:s3:::{b}/*" for b in EXTERNAL}
    touching = [(lid, s) for lid, s in _statements(with_libraries) if arns & set(_resources(s))]
    # Only reads, and every statement naming those buckets names nothing else
    assert {a for _, s in touching for a in _actions(s)} == {"s3:GetObject", "s3:ListBucket"}
    assert all(set(_resources(s)) <= arns for _, s in touching)
    # The scan function's role and the API's role are among those that may read them
    roles = {
        json.dumps(r)
        for lid, _ in touching
        for r in with_libraries.json["Resources"][lid]["Properties"]["Roles"]
    }
    scan_role = _function(with_libraries, "skyroll-dev-library_scan")[1]["Properties"]["Role"]
    assert json.dumps({"Ref": scan_role["Fn::GetAtt"][0]}) in roles
    assert len(roles) >= 5  # the stages and the API
    # Without the context list, nothing outside Skyroll's own bucket is granted
    assert not [s for _, s in _statements(dev) if "arn:aws:s3:::" in json.dumps(s["Resource"])]


def test_external_bucket_names_are_checked() -> None:
    with pytest.raises(ValueError, match="external_buckets"):
        from_context("dev", {"dev": {"external_buckets": ["Bad_Name"]}})
    assert from_context("dev", {"dev": {"external_buckets": ["a-b.c"]}}).external_buckets == (
        "a-b.c",
    )


def _as_list(resource: Any) -> list[Any]:
    return resource if isinstance(resource, list) else [resource]
