"""Database, secret, migration resource, API, schedules, alarms, network, cdk-nag."""

from __future__ import annotations

import json

import pytest
from aws_cdk import App, Stack, Validations
from aws_cdk import aws_s3 as s3
from cdk_nag import AwsSolutionsChecks
from skyroll_cdk.config import MANUAL_JOBS, SCHEDULED_JOBS, from_context
from skyroll_cdk.environment import clip_settings
from skyroll_cdk.migration import fingerprint
from skyroll_cdk.paths import ML_DOCKERFILE, REPO_ROOT

from chalicelib.jobs import JOBS
from chalicelib.pipeline import STAGES


def _one(synth, type_):
    (resource,) = synth.resources(type_).values()
    return resource


def test_aurora_serverless_v2_postgres16_scales_to_zero_in_dev(dev):
    cluster = _one(dev, "AWS::RDS::DBCluster")
    props = cluster["Properties"]
    assert props["Engine"] == "aurora-postgresql"
    assert props["EngineVersion"].startswith("16.")
    assert props["ServerlessV2ScalingConfiguration"]["MinCapacity"] == 0
    assert props["ServerlessV2ScalingConfiguration"]["MaxCapacity"] == 2
    assert props["StorageEncrypted"] is True
    assert props["DeletionProtection"] is False
    assert cluster["DeletionPolicy"] == "Delete"
    instance = _one(dev, "AWS::RDS::DBInstance")
    assert instance["Properties"]["DBInstanceClass"] == "db.serverless"
    assert instance["Properties"].get("PubliclyAccessible") is not True


def test_prod_protects_the_database(prod):
    cluster = _one(prod, "AWS::RDS::DBCluster")
    assert cluster["Properties"]["DeletionProtection"] is True
    assert cluster["DeletionPolicy"] == "Snapshot"
    assert cluster["Properties"]["ServerlessV2ScalingConfiguration"]["MaxCapacity"] == 4
    assert prod.resources("AWS::EC2::FlowLog")


def test_credentials_live_in_secrets_manager_and_reach_functions(dev):
    secret_id, secret = next(iter(dev.resources("AWS::SecretsManager::Secret").items()))
    generate = secret["Properties"]["GenerateSecretString"]
    assert json.loads(generate["SecretStringTemplate"]) == {"username": "skyroll"}
    assert generate["GenerateStringKey"] == "password"
    attachment_id = next(iter(dev.resources("AWS::SecretsManager::SecretTargetAttachment")))
    for fn in dev.resources("AWS::Lambda::Function").values():
        env = fn["Properties"].get("Environment", {}).get("Variables", {})
        if "SKYROLL_BUCKET" in env:
            assert env["SKYROLL_DATABASE_SECRET_ARN"] == {"Ref": attachment_id}
            assert "SKYROLL_DATABASE_URL" not in env


def test_migration_custom_resource_runs_after_the_database(dev):
    resource = _one(dev, "Custom::SkyrollMigrations")
    assert resource["Properties"]["Fingerprint"] == fingerprint()
    cluster_id = next(iter(dev.resources("AWS::RDS::DBCluster")))
    writer_id = next(iter(dev.resources("AWS::RDS::DBInstance")))
    assert {cluster_id, writer_id} <= set(resource["DependsOn"])
    assert any("SecretsManager" in d for d in resource["DependsOn"])  # its VPC endpoint
    functions = dev.resources("AWS::Lambda::Function")
    migrate = [
        f
        for f in functions.values()
        if f["Properties"].get("Handler") == "functions.migrate.handler.handler"
    ]
    assert len(migrate) == 1
    assert migrate[0]["Properties"]["Timeout"] >= 120  # an auto-paused Aurora must resume


def test_api_is_chalice_in_the_vpc_with_throttling_and_access_logs(dev):
    api = _one(dev, "AWS::Serverless::Api")["Properties"]
    (settings,) = api["MethodSettings"]
    assert settings["ThrottlingRateLimit"] == dev.stack.config.api_throttle_rate
    assert settings["ThrottlingBurstLimit"] == dev.stack.config.api_throttle_burst
    assert settings["ResourcePath"] == "/*" and settings["HttpMethod"] == "*"
    logs_id = dev.logical_id(dev.stack.api.access_logs)
    assert api["AccessLogSetting"]["DestinationArn"] == {"Fn::GetAtt": [logs_id, "Arn"]}
    assert "$context.requestId" in api["AccessLogSetting"]["Format"]
    assert "/api/server/ping" in api["DefinitionBody"]["paths"]
    handler = _one(dev, "AWS::Serverless::Function")["Properties"]
    assert handler["Runtime"] == "python3.12"
    assert handler["VpcConfig"]["SubnetIds"]
    assert handler["Layers"] == [{"Ref": dev.logical_id(dev.stack.factory.layers["core"])}]
    assert handler["Role"] == {"Fn::GetAtt": [dev.logical_id(dev.stack.api.role), "Arn"]}
    # The CloudWatch role API Gateway writes them with is per account: see test_deploy_fixes.
    assert not dev.resources("AWS::ApiGateway::Account")


def test_schedules_start_each_job_with_its_name(dev):
    rules = dev.resources("AWS::Events::Rule")
    jobs_fn = dev.logical_id(dev.stack.schedules.function)
    backup_fn = dev.logical_id(dev.stack.backups.function)
    seen = {}
    for rule in rules.values():
        (target,) = rule["Properties"]["Targets"]
        if target["Arn"] == {"Fn::GetAtt": [backup_fn, "Arn"]}:
            continue  # the nightly database export has its own function (pg_dump)
        assert target["Arn"] == {"Fn::GetAtt": [jobs_fn, "Arn"]}
        seen[json.loads(target["Input"])["job"]] = rule["Properties"]["ScheduleExpression"]
    # Every rule names a job the handler knows; every known job has a schedule.
    assert set(seen) == set(SCHEDULED_JOBS) & set(JOBS)
    assert set(JOBS) <= set(SCHEDULED_JOBS) | MANUAL_JOBS
    assert all(seen[job] == SCHEDULED_JOBS[job] for job in seen)
    assert {"purge-trash", "expire-pending-uploads"} <= set(seen)


def test_alarms_on_every_dlq_and_function_errors(dev):
    alarms = list(dev.resources("AWS::CloudWatch::Alarm").values())
    topic = {"Ref": dev.logical_id(dev.stack.monitoring.topic)}
    assert all(a["Properties"]["AlarmActions"] == [topic] for a in alarms)
    dlq_alarms = {
        json.dumps(a["Properties"]["Dimensions"])
        for a in alarms
        if a["Properties"]["MetricName"] == "ApproximateNumberOfMessagesVisible"
    }
    error_alarms = [a for a in alarms if a["Properties"]["MetricName"] == "Errors"]
    assert len(dlq_alarms) == len(STAGES)
    assert len(error_alarms) == len(STAGES) + 3  # + API + jobs + backup
    for a in alarms:
        assert a["Properties"]["Threshold"] == 1
        assert a["Properties"]["ComparisonOperator"] == "GreaterThanOrEqualToThreshold"


def test_network_is_isolated_with_s3_gateway_and_interface_endpoints(dev):
    assert not dev.resources("AWS::EC2::NatGateway")
    assert not dev.resources("AWS::EC2::InternetGateway")
    endpoints = [e["Properties"] for e in dev.resources("AWS::EC2::VPCEndpoint").values()]
    kinds = {(e.get("VpcEndpointType", "Gateway"), json.dumps(e["ServiceName"])) for e in endpoints}
    assert any(k == "Gateway" and "s3" in name for k, name in kinds)
    interface = [e for e in endpoints if e.get("VpcEndpointType") == "Interface"]
    # ServiceName is ["com.amazonaws.", {"Ref": "AWS::Region"}, ".<service>"] joined.
    services = sorted(e["ServiceName"]["Fn::Join"][1][-1].lstrip(".") for e in interface)
    # Secrets Manager (the DSN), SQS (hand-offs), Lambda (the API invokes the text encoder
    # and the jobs function): the isolated subnets have no other route to AWS APIs.
    assert services == ["lambda", "secretsmanager", "sqs"]
    assert all(len(e["SubnetIds"]) == dev.stack.config.endpoint_azs for e in interface)


def test_nat_egress_is_one_nat_gateway_and_no_interface_endpoints(tmp_path):
    from skyroll_cdk.network import Network

    stack = Stack(App(outdir=str(tmp_path)), "T")
    Network(stack, "Network", config=from_context("dev", {"dev": {"egress": "nat"}}))
    from aws_cdk.assertions import Template

    template = Template.from_stack(stack)
    template.resource_count_is("AWS::EC2::NatGateway", 1)
    endpoints = template.find_resources("AWS::EC2::VPCEndpoint")
    assert all(e["Properties"].get("VpcEndpointType") != "Interface" for e in endpoints.values())


def test_stage_config_rejects_typos():
    with pytest.raises(ValueError, match="aurora_max_acus"):
        from_context("dev", {"dev": {"aurora_max_acus": 8}})
    with pytest.raises(ValueError, match="unknown stage"):
        from_context("staging", None)


def test_whole_app_passes_cdk_nag(dev, prod):
    # The fixtures synthesized with AwsSolutionsChecks: any unacknowledged error raised.
    for synth in (dev, prod):
        report = (
            json.loads((synth.outdir / "validation-report.json").read_text())
            if (synth.outdir / "validation-report.json").exists()
            else {"pluginReports": []}
        )
        nag_findings = [
            v
            for p in report["pluginReports"]
            for v in p.get("violations", [])
            if "AwsSolutions" in v.get("ruleName", "")
        ]
        assert nag_findings == []


def test_cdk_nag_is_able_to_fail(tmp_path):
    app = App(outdir=str(tmp_path))
    stack = Stack(app, "Bad")
    s3.Bucket(stack, "Open")  # no TLS policy, no access logs
    Validations.of(app).add_plugins(AwsSolutionsChecks(app))
    with pytest.raises(Exception, match="AwsSolutions-S10"):
        app.synth()


def test_api_embeds_queries_through_the_text_encoder_function(dev):
    encoder_id = dev.logical_id(dev.stack.text_encoder)
    encoder = dev.resources("AWS::Lambda::Function")[encoder_id]["Properties"]
    assert encoder["PackageType"] == "Image" and encoder["ImageConfig"]["Command"] == [
        "functions.smart_search.text.handler"
    ]
    api = _one(dev, "AWS::Serverless::Function")["Properties"]
    assert api["Environment"]["Variables"]["SKYROLL_TEXT_ENCODER_FUNCTION"] == {"Ref": encoder_id}
    assert _may_invoke(dev, encoder_id)


def _may_invoke(synth, function_id: str) -> bool:
    """Some IAM statement of the stack allows invoking the function (the API's role)."""

    def listed(value: object) -> list:
        return value if isinstance(value, list) else [value]

    return any(
        "lambda:InvokeFunction" in listed(s["Action"])
        and {"Fn::GetAtt": [function_id, "Arn"]} in listed(s["Resource"])
        for p in synth.resources("AWS::IAM::Policy").values()
        for s in p["Properties"]["PolicyDocument"]["Statement"]
    )


ML_COMMANDS = {
    "functions.faces.handler.handler",
    "functions.smart_search.handler.handler",
    "functions.smart_search.text.handler",
}


def test_ml_functions_share_one_clip_image_with_the_model_cache(dev):
    """faces, smart_search and the text encoder run one image: built with the CLIP model to
    fetch, from a context that holds the model cache `make models` built (offline pack, face
    models) and the CLIP trimming and int8 scripts, and nothing else of .skyroll/."""
    functions = dev.resources("AWS::Lambda::Function").values()
    commands = {
        f["Properties"]["ImageConfig"]["Command"][0]
        for f in functions
        if f["Properties"].get("PackageType") == "Image"
    }
    assert commands >= ML_COMMANDS
    images = json.loads((dev.outdir / "Skyroll-dev.assets.json").read_text())["dockerImages"]
    ml = [i for i in images.values() if i["source"]["dockerFile"] == ML_DOCKERFILE]
    assert len(ml) == 1, images  # one image asset, whatever the command
    assert ml[0]["source"]["dockerBuildArgs"] == {
        "CLIP_MODEL": "ViT-B-32__openai",
        "CLIP_REVISION": "",
        "CLIP_TEXT_INT8": "1",
    }
    context = dev.outdir / ml[0]["source"]["directory"]
    assert (context / "scripts" / "models" / "clip_text_trim.py").is_file()
    assert (context / "scripts" / "models" / "clip_text_int8.py").is_file()
    assert not (context / ".venv").exists() and not (context / "tests").exists()
    if (REPO_ROOT / ".skyroll" / "models" / "MANIFEST.json").is_file():  # `make test` builds it
        assert {p.name for p in (context / ".skyroll").iterdir()} == {"models"}
        models = context / ".skyroll" / "models"
        assert {p.name for p in models.iterdir()} == {"MANIFEST.json", "offline", "faces"}
        assert (models / "faces" / "yunet.onnx").is_file()


def test_every_function_is_told_the_clip_model(dev):
    """The ML stages load it; the API and the jobs need its model id (the folder name) to
    search and re-queue vectors of that model only."""
    for function in [
        *dev.resources("AWS::Lambda::Function").values(),
        *dev.resources("AWS::Serverless::Function").values(),
    ]:
        variables = function["Properties"].get("Environment", {}).get("Variables", {})
        if "SKYROLL_BUCKET" not in variables:
            continue  # CDK's own helpers (log retention, custom resource providers)
        assert variables["SKYROLL_IMAGE_ENCODER"] == "clip"
        assert variables["SKYROLL_CLIP_MODEL_URI"] == "/opt/models/clip/ViT-B-32__openai"


def test_no_clip_model_means_the_offline_pack():
    config = from_context("dev", {"dev": {"clip_model": ""}})
    assert clip_settings(config) == {}
    assert clip_settings(from_context("dev", {})) == {
        "image_encoder": "clip",
        "clip_model_uri": "/opt/models/clip/ViT-B-32__openai",
    }
    with pytest.raises(ValueError, match="clip_model"):
        from_context("dev", {"dev": {"clip_model": "../../etc"}})


def test_int8_text_weights_are_on_unless_turned_off():
    assert from_context("dev", {}).clip_text_int8 is True
    assert from_context("prod", {"prod": {"clip_text_int8": False}}).clip_text_int8 is False
    with pytest.raises(ValueError, match="clip_text_int8 must be true or false"):
        from_context("dev", {"dev": {"clip_text_int8": "no"}})  # a truthy string


def test_the_api_starts_jobs_in_the_jobs_function(dev):
    jobs_id = dev.logical_id(dev.stack.schedules.function)
    api = _one(dev, "AWS::Serverless::Function")["Properties"]
    assert api["Environment"]["Variables"]["SKYROLL_JOBS_FUNCTION"] == {"Ref": jobs_id}
    assert _may_invoke(dev, jobs_id)


def test_the_jobs_function_may_hand_a_long_job_over_to_itself(dev):
    """The re-cluster continues in a new invocation before the 15-minute limit."""
    jobs_id = dev.logical_id(dev.stack.schedules.function)
    jobs = dev.resources("AWS::Lambda::Function")[jobs_id]["Properties"]
    name = jobs["FunctionName"]
    assert jobs["Environment"]["Variables"]["SKYROLL_JOBS_FUNCTION"] == name
    statements = [
        s
        for p in dev.resources("AWS::IAM::Policy").values()
        for s in p["Properties"]["PolicyDocument"]["Statement"]
        if "lambda:InvokeFunction" in json.dumps(s["Action"])
    ]
    assert any(name in json.dumps(s["Resource"]) for s in statements)
