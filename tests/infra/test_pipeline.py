"""Queues, DLQs, functions and mappings: one set per declared stage (iterates STAGES)."""

from __future__ import annotations

import json

import pytest
from aws_cdk import App, Stack
from aws_cdk.assertions import Template
from skyroll_cdk.config import DEFAULTS
from skyroll_cdk.environment import settings_env
from skyroll_cdk.functions import FunctionFactory
from skyroll_cdk.network import Network
from skyroll_cdk.paths import lambda_handler
from skyroll_cdk.pipeline import Pipeline
from skyroll_cdk.storage import Storage

from chalicelib.pipeline import S3_ORIGINAL, STAGES, Stage
from chalicelib.settings import Settings

NAMES = Settings(queue_prefix="skyroll-dev-")


def _by_name(synth, type_, key="QueueName"):
    return {r["Properties"].get(key): (lid, r) for lid, r in synth.resources(type_).items()}


@pytest.mark.parametrize("stage", STAGES, ids=lambda s: s.name)
def test_queue_and_dlq_per_stage(dev, stage: Stage):
    queues = _by_name(dev, "AWS::SQS::Queue")
    dlq_id, dlq = queues[NAMES.dlq_name(stage.name)]
    _, queue = queues[NAMES.queue_name(stage.name)]
    props = queue["Properties"]
    assert props["VisibilityTimeout"] == stage.visibility_timeout_seconds
    assert props["VisibilityTimeout"] >= 6 * stage.timeout_seconds
    assert props["RedrivePolicy"] == {
        "deadLetterTargetArn": {"Fn::GetAtt": [dlq_id, "Arn"]},
        "maxReceiveCount": stage.max_receive_count,
    }
    assert dlq["Properties"]["MessageRetentionPeriod"] == 14 * 24 * 3600
    assert props["SqsManagedSseEnabled"] is True


@pytest.mark.parametrize("stage", STAGES, ids=lambda s: s.name)
def test_function_and_mapping_per_stage(dev, stage: Stage):
    functions = _by_name(dev, "AWS::Lambda::Function", "FunctionName")
    fn_id, fn = functions[f"skyroll-dev-{stage.name}"]
    props = fn["Properties"]
    assert props["Timeout"] == stage.timeout_seconds
    assert props["MemorySize"] == stage.memory_mb
    assert props.get("ReservedConcurrentExecutions") == stage.reserved_concurrency
    assert props["VpcConfig"]["SubnetIds"]
    if stage.container:
        assert props["PackageType"] == "Image"
        assert props["ImageConfig"]["Command"] == [lambda_handler(stage.handler)]
    else:
        assert props["Handler"] == lambda_handler(stage.handler)
        assert props["Runtime"] == "python3.12"
        assert len(props["Layers"]) == 2
    assert props["Environment"]["Variables"]["SKYROLL_QUEUE_PREFIX"] == "skyroll-dev-"

    queue_id, _ = _by_name(dev, "AWS::SQS::Queue")[NAMES.queue_name(stage.name)]
    mappings = [
        m["Properties"]
        for m in dev.resources("AWS::Lambda::EventSourceMapping").values()
        if m["Properties"]["EventSourceArn"] == {"Fn::GetAtt": [queue_id, "Arn"]}
    ]
    assert len(mappings) == 1
    (mapping,) = mappings
    assert mapping["FunctionName"] == {"Ref": fn_id}
    assert mapping["FunctionResponseTypes"] == ["ReportBatchItemFailures"]
    assert mapping["BatchSize"] == stage.batch_size
    assert mapping.get("MaximumBatchingWindowInSeconds", 0) == stage.batching_window_seconds
    if stage.reserved_concurrency:
        assert mapping["ScalingConfig"]["MaximumConcurrency"] <= max(2, stage.reserved_concurrency)


def test_s3_stages_subscribe_to_uploads_and_others_do_not(dev):
    topic_id = dev.logical_id(dev.stack.storage.uploads_topic)
    queues = _by_name(dev, "AWS::SQS::Queue")
    subscribed = {
        sub["Properties"]["Endpoint"]["Fn::GetAtt"][0]
        for sub in dev.resources("AWS::SNS::Subscription").values()
        if sub["Properties"]["TopicArn"] == {"Ref": topic_id}
    }
    for stage in STAGES:
        queue_id, _ = queues[NAMES.queue_name(stage.name)]
        assert (queue_id in subscribed) == stage.is_s3_triggered, stage.name
    for sub in dev.resources("AWS::SNS::Subscription").values():
        # Workers unwrap the SNS envelope, as locally.
        assert not sub["Properties"].get("RawMessageDelivery", False)


def test_lambda_environment_uses_settings_field_names(dev):
    fields = {f"SKYROLL_{name.upper()}" for name in Settings.model_fields}
    functions = [
        *dev.resources("AWS::Lambda::Function").values(),
        *dev.resources("AWS::Serverless::Function").values(),
    ]
    ours = [
        f
        for f in functions
        if "SKYROLL_BUCKET" in f["Properties"].get("Environment", {}).get("Variables", {})
    ]
    assert len(ours) >= len(STAGES) + 3  # stages + migrate + jobs + API
    # Besides settings fields, only runtime switches of libraries (documented in stack.py).
    runtime = {"PYDANTIC_DISABLE_PLUGINS"}
    for fn in ours:
        assert set(fn["Properties"]["Environment"]["Variables"]) <= fields | runtime
    with pytest.raises(KeyError):
        settings_env(bucket_name="x")


def test_container_and_follower_stages(tmp_path):
    # A declaration with a heavy follower: built as an image, fed by its predecessor.
    stages = (
        Stage(
            name="ingest",
            trigger=S3_ORIGINAL,
            handler="functions.ingest.handler:handler",
            timeout_seconds=60,
            reserved_concurrency=4,
        ),
        Stage(
            name="heavy-thing",
            trigger="ingest",
            container=True,
            timeout_seconds=300,
            memory_mb=3008,
            handler="functions.heavy_thing.handler:handler",
            batch_size=1,
        ),
    )
    app = App(outdir=str(tmp_path))
    stack = Stack(app, "T")
    config = DEFAULTS["dev"]
    network = Network(stack, "Network", config=config)
    storage = Storage(stack, "Storage", config=config)
    factory = FunctionFactory(
        stack, "Functions", config=config, network=network, environment=settings_env(bucket="b")
    )
    pipeline = Pipeline(
        stack,
        "Pipeline",
        factory=factory,
        uploads_topic=storage.uploads_topic,
        names=NAMES,
        stages=stages,
    )
    template = Template.from_stack(stack)
    template.has_resource_properties(
        "AWS::Lambda::Function",
        {
            "FunctionName": "skyroll-dev-heavy-thing",
            "PackageType": "Image",
            "MemorySize": 3008,
            "Timeout": 300,
            "ImageConfig": {"Command": ["functions.heavy_thing.handler.handler"]},
        },
    )
    template.has_resource_properties(
        "AWS::SQS::Queue", {"QueueName": "skyroll-dev-heavy-thing", "VisibilityTimeout": 1800}
    )
    # ingest may enqueue its follower; the image is built from the generic Dockerfile.
    heavy_queue = stack.get_logical_id(pipeline.stages["heavy-thing"].queue.node.default_child)
    ingest_role = stack.get_logical_id(
        pipeline.stages["ingest"].function.role.node.find_child("DefaultPolicy").node.default_child
    )
    policy = template.to_json()["Resources"][ingest_role]["Properties"]["PolicyDocument"]
    assert any(
        s["Resource"] == {"Fn::GetAtt": [heavy_queue, "Arn"]} and "sqs:SendMessage" in s["Action"]
        for s in policy["Statement"]
    )
    app.synth()
    images = json.loads((tmp_path / "T.assets.json").read_text())["dockerImages"]
    assert [i["source"]["dockerFile"] for i in images.values()] == [
        "functions/_container/Dockerfile"
    ]
    # The build context is the repo root, cut down to what the image copies.
    (image,) = images.values()
    context = tmp_path / image["source"]["directory"]
    assert {p.name for p in context.iterdir()} == {
        "chalicelib",
        "functions",
        "pyproject.toml",
        "README.md",
    }


def test_visibility_below_six_times_timeout_is_refused(tmp_path):
    class Short(Stage):
        @property
        def visibility_timeout_seconds(self) -> int:
            return self.timeout_seconds

    app = App(outdir=str(tmp_path))
    stack = Stack(app, "T")
    config = DEFAULTS["dev"]
    network = Network(stack, "Network", config=config)
    storage = Storage(stack, "Storage", config=config)
    factory = FunctionFactory(
        stack, "Functions", config=config, network=network, environment=settings_env(bucket="b")
    )
    bad = Short(name="ingest", trigger=S3_ORIGINAL, handler="functions.ingest.handler:handler")
    with pytest.raises(ValueError, match="6x"):
        Pipeline(
            stack,
            "Pipeline",
            factory=factory,
            uploads_topic=storage.uploads_topic,
            names=NAMES,
            stages=(bad,),
        )


def test_bulk_jobs_worker_may_send_to_every_stage_queue(dev):
    # It re-queues any stage for every asset, and sends its own next batch.
    function = dev.stack.pipeline.stages["bulk_jobs"].function
    role = function.role.node.find_child("DefaultPolicy").node.default_child
    policy = dev.json["Resources"][dev.stack.get_logical_id(role)]["Properties"]["PolicyDocument"]
    may_send = {
        resource["Fn::GetAtt"][0]
        for s in policy["Statement"]
        if "sqs:SendMessage" in s["Action"]
        for resource in (s["Resource"] if isinstance(s["Resource"], list) else [s["Resource"]])
        if isinstance(resource, dict) and "Fn::GetAtt" in resource
    }
    queues = {dev.logical_id(r.queue) for r in dev.stack.pipeline.stages.values()}
    assert queues <= may_send
    # Not the dead-letter queues: only the API redrives those.
    assert not {dev.logical_id(r.dlq) for r in dev.stack.pipeline.stages.values()} & may_send
