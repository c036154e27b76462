"""What a first real `cdk deploy` would hit, each checked on the synthesized templates:
engine version, the API's route to Lambda, its DLQ rights, /tmp and the upload limit, the
alarm topic's policy, the per-account API Gateway setting, least privilege, log retention."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from skyroll_cdk.account import ACCOUNT_STACK
from skyroll_cdk.database import IDLE_SESSION_TIMEOUT_SECONDS
from skyroll_cdk.pipeline import ORIGINAL_STAGES, TMP_HEADROOM_BYTES
from skyroll_cdk.stack import DLQ_ACTIONS

from chalicelib.settings import Settings

MAX_EPHEMERAL_MB = 10240


def _one(synth: Any, type_: str) -> dict[str, Any]:
    (resource,) = synth.resources(type_).values()
    return resource


def _functions(synth: Any) -> dict[str, dict[str, Any]]:
    return {
        **synth.resources("AWS::Lambda::Function"),
        **synth.resources("AWS::Serverless::Function"),
    }


def _ours(synth: Any) -> dict[str, dict[str, Any]]:
    return {
        k: f
        for k, f in _functions(synth).items()
        if "SKYROLL_BUCKET" in f["Properties"].get("Environment", {}).get("Variables", {})
    }


def test_aurora_version_can_create_clusters_that_pause(dev):
    props = _one(dev, "AWS::RDS::DBCluster")["Properties"]
    major, minor = (int(p) for p in props["EngineVersion"].split(".")[:2])
    # 16.8 and older cannot create new clusters any more (cfn-lint W3690); >= 16.3 pauses.
    assert (major, minor) >= (16, 9)
    assert props["ServerlessV2ScalingConfiguration"]["MinCapacity"] == 0
    # The server closes sessions a frozen Lambda environment left open, so the cluster can
    # pause (docs/deploy.md: idle_session_timeout + auto-pause delay).
    group = _one(dev, "AWS::RDS::DBClusterParameterGroup")["Properties"]
    assert group["Parameters"] == {"idle_session_timeout": str(IDLE_SESSION_TIMEOUT_SECONDS * 1000)}
    assert props["DBClusterParameterGroupName"] == {
        "Ref": next(iter(dev.resources("AWS::RDS::DBClusterParameterGroup")))
    }


def test_api_role_reads_and_redrives_exactly_the_dlqs(dev):
    dlqs = {
        k
        for k, q in dev.resources("AWS::SQS::Queue").items()
        if "RedrivePolicy" not in q["Properties"]
    }
    assert dlqs
    statements = [
        st
        for policy in dev.resources("AWS::IAM::Policy").values()
        for st in policy["Properties"]["PolicyDocument"]["Statement"]
        if set(_list(st["Action"])) == set(DLQ_ACTIONS)
    ]
    assert len(statements) == 1
    (statement,) = statements
    arns = {r["Fn::GetAtt"][0] for r in _list(statement["Resource"])}
    assert arns == dlqs


def test_stages_that_copy_originals_get_the_largest_tmp_and_uploads_fit_it(dev):
    by_name = {f["Properties"].get("FunctionName"): f["Properties"] for f in _ours(dev).values()}
    for stage in ORIGINAL_STAGES:
        props = by_name[f"skyroll-dev-{stage}"]
        assert props["EphemeralStorage"]["Size"] == MAX_EPHEMERAL_MB, stage
    for props in _ours(dev).values():
        limit = int(props["Properties"]["Environment"]["Variables"]["SKYROLL_MAX_UPLOAD_BYTES"])
        # The original, transcode's largest output and room for ffmpeg/libvips fit in /tmp.
        assert limit + TMP_HEADROOM_BYTES <= MAX_EPHEMERAL_MB * 1024**2
        assert limit + Settings().transcode_max_output_bytes < MAX_EPHEMERAL_MB * 1024**2
        assert limit >= 7 * 1024**3  # still room for long 4K videos


def test_cloudwatch_may_publish_this_stages_alarms_to_the_topic(dev):
    monitoring = dev.stack.monitoring
    topic_id = dev.logical_id(monitoring.topic)
    (policy,) = [
        p["Properties"]
        for p in dev.resources("AWS::SNS::TopicPolicy").values()
        if {"Ref": topic_id} in p["Properties"]["Topics"]
    ]
    statements = policy["PolicyDocument"]["Statement"]
    allow = [s for s in statements if s["Effect"] == "Allow"]
    assert len(allow) == 1
    (publish,) = allow
    assert publish["Principal"] == {"Service": "cloudwatch.amazonaws.com"}
    assert publish["Action"] == "sns:Publish"
    source = json.dumps(publish["Condition"]["ArnLike"]["aws:SourceArn"])
    assert ":cloudwatch:" in source and ":alarm:skyroll-dev-*" in source
    assert "aws:SourceAccount" in publish["Condition"]["StringEquals"]
    # TLS is still enforced for everyone else.
    assert any(s["Effect"] == "Deny" for s in statements)
    for alarm in dev.resources("AWS::CloudWatch::Alarm").values():
        assert alarm["Properties"]["AlarmName"].startswith("skyroll-dev-")


def test_api_gateway_account_setting_is_shared_by_stages(dev, prod):
    # Neither stage owns the per-account setting; both depend on the one account stack.
    assert not dev.resources("AWS::ApiGateway::Account")
    assert not prod.resources("AWS::ApiGateway::Account")
    templates = []
    for synth in (dev, prod):
        assert ACCOUNT_STACK in {s.stack_name for s in synth.stack.dependencies}
        account = json.loads((synth.outdir / f"{ACCOUNT_STACK}.template.json").read_text())
        kinds = [r["Type"] for r in account["Resources"].values()]
        assert kinds.count("AWS::ApiGateway::Account") == 1
        templates.append(account["Resources"])
    assert templates[0] == templates[1]  # deploying prod after dev changes nothing there


# Least privilege -------------------------------------------------------------------------
VERSION_OR_LOCK = re.compile(r"Version|Retention|LegalHold|BypassGovernance", re.IGNORECASE)
# Actions CDK's own helpers need on "*" (the API has no resource-level form for them).
STAR_RESOURCE_OK = {
    # BucketNotificationsHandler (S3 -> SNS wiring at deploy time).
    "s3:PutBucketNotification",
    # Lambda's ENI management in the VPC, as AWSLambdaVPCAccessExecutionRole grants it.
    "ec2:CreateNetworkInterface",
    "ec2:DescribeNetworkInterfaces",
    "ec2:DeleteNetworkInterface",
    "ec2:AssignPrivateIpAddresses",
    "ec2:UnassignPrivateIpAddresses",
}


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def _statements(template: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    found = []
    for logical_id, resource in template["Resources"].items():
        props = resource.get("Properties", {})
        if resource["Type"] in ("AWS::IAM::Policy", "AWS::IAM::ManagedPolicy"):
            found += [(logical_id, s) for s in props["PolicyDocument"]["Statement"]]
        if resource["Type"] == "AWS::IAM::Role":
            for policy in props.get("Policies", []):
                found += [(logical_id, s) for s in policy["PolicyDocument"]["Statement"]]
    return found


# CDK's BucketDeployment role copies the built web client into the site bucket with CDK's
# own read/write grant (action families); it never touches the media bucket, whose
# originals are what the rule below protects (acknowledged in infra/skyroll_cdk/web.py).
SITE_DEPLOYER = "CustomCDKBucketDeployment"


@pytest.mark.parametrize("stage", ["dev", "prod"])
def test_no_policy_grants_wildcard_or_version_actions(stage, request):
    synth = request.getfixturevalue(stage)
    assert len(_statements(synth.json)) > 20
    for template in (
        synth.json,
        json.loads((synth.outdir / f"{ACCOUNT_STACK}.template.json").read_text()),
    ):
        statements = _statements(template)
        for owner, statement in statements:
            if statement.get("Effect") != "Allow" or owner.startswith(SITE_DEPLOYER):
                continue
            actions = _list(statement["Action"])
            for action in actions:
                assert "*" not in action, (owner, action)
                assert not (action.startswith("s3:") and VERSION_OR_LOCK.search(action)), (
                    owner,
                    action,
                )
            if "*" in _list(statement.get("Resource", [])):
                assert set(actions) <= STAR_RESOURCE_OK, (owner, actions)


def test_function_roles_can_use_objects_but_never_their_versions(dev):
    actions = {
        a
        for owner, st in _statements(dev.json)
        for a in _list(st["Action"])
        if a.startswith("s3:")
        and st.get("Effect") == "Allow"
        and not owner.startswith(SITE_DEPLOYER)
    }
    assert {"s3:GetObject", "s3:PutObject", "s3:DeleteObject", "s3:AbortMultipartUpload"} <= actions
    assert not {a for a in actions if VERSION_OR_LOCK.search(a)}


# Log retention ---------------------------------------------------------------------------
# CDK's singleton helpers create their functions without a log group property; they run
# once per deploy and their groups are small (docs/deploy.md).
CDK_HELPERS = (
    "BucketNotificationsHandler",
    "CustomVpcRestrictDefaultSG",
    "CustomS3AutoDeleteObjects",  # empties the web client's site bucket on stack deletion
    SITE_DEPLOYER,
)


@pytest.mark.parametrize("stage", ["dev", "prod"])
def test_every_log_group_expires_and_every_function_uses_one(stage, request):
    synth = request.getfixturevalue(stage)
    groups = synth.resources("AWS::Logs::LogGroup")
    for logical_id, group in groups.items():
        assert group["Properties"]["RetentionInDays"] == synth.stack.config.log_retention_days or (
            "FlowLogs" in logical_id
        ), logical_id
    for logical_id, function in _functions(synth).items():
        if logical_id.startswith(CDK_HELPERS):
            continue
        target = function["Properties"].get("LoggingConfig", {}).get("LogGroup")
        assert target and target["Ref"] in groups, logical_id


def test_the_database_log_export_lands_in_a_group_that_expires(dev):
    cluster = dev.resources("AWS::RDS::DBCluster")
    ((cluster_id, resource),) = cluster.items()
    identifier = resource["Properties"]["DBClusterIdentifier"]
    assert resource["Properties"]["EnableCloudwatchLogsExports"] == ["postgresql"]
    (logs_id,) = [
        k
        for k, g in dev.resources("AWS::Logs::LogGroup").items()
        if g["Properties"].get("LogGroupName") == f"/aws/rds/cluster/{identifier}/postgresql"
    ]
    assert logs_id in resource["DependsOn"]  # created before RDS would create it unexpiring
