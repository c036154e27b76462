"""One Skyroll deployment: network, storage, database, pipeline, API, schedules, alarms."""

from __future__ import annotations

from pathlib import Path

from aws_cdk import CfnOutput, RemovalPolicy, Stack
from aws_cdk import aws_iam as iam
from aws_cdk import aws_secretsmanager as secretsmanager
from constructs import Construct

from chalicelib.messaging import BULK_JOBS_STAGE
from chalicelib.settings import Settings

from . import nag
from .api import Api
from .backups import Backups
from .config import StageConfig
from .database import Database
from .environment import clip_settings, settings_env
from .functions import FunctionFactory
from .migration import Migration
from .monitoring import Monitoring
from .network import Network
from .pipeline import Pipeline, max_upload_bytes
from .schedules import Schedules
from .storage import Storage, grant_external_read, grant_objects
from .web import SITE, Web

DLQ_ACTIONS = [
    "sqs:GetQueueAttributes",
    "sqs:GetQueueUrl",
    "sqs:ReceiveMessage",
    "sqs:DeleteMessage",
]


class SkyrollStack(Stack):
    def __init__(
        self, scope: Construct, id: str, *, config: StageConfig, chalice_out: Path, **kwargs: object
    ) -> None:
        super().__init__(scope, id, **kwargs)  # type: ignore[arg-type]
        self.config = config
        names = Settings(queue_prefix=config.prefix, uploads_topic=f"{config.prefix}uploads")
        self.network = Network(self, "Network", config=config)
        self.storage = Storage(self, "Storage", config=config)
        self.database = Database(self, "Database", config=config, network=self.network)
        environment = settings_env(
            environment=config.name,
            aws_region=self.region,
            bucket=self.storage.bucket.bucket_name,
            database_secret_arn=self.database.secret.secret_arn,
            queue_prefix=names.queue_prefix,
            uploads_topic=names.uploads_topic,
            admin_email=config.admin_email,
            # A 413 at ticket time for what the stages' /tmp cannot hold (pipeline.py).
            max_upload_bytes=str(max_upload_bytes()),
            backup_retention_days=str(config.backup_export_days),
            **({"public_url": config.public_url} if config.public_url else {}),
            **clip_settings(config),
        )
        # pydantic looks for plugins through importlib.metadata when it builds its first
        # model (~30 ms of every cold start); Skyroll uses none.
        environment["PYDANTIC_DISABLE_PLUGINS"] = "__all__"
        self.factory = FunctionFactory(
            self, "Functions", config=config, network=self.network, environment=environment
        )
        self.pipeline = Pipeline(
            self,
            "Pipeline",
            factory=self.factory,
            uploads_topic=self.storage.uploads_topic,
            names=names,
        )
        self.migration = Migration(self, "Migration", factory=self.factory)
        self.migration.resource.node.add_dependency(self.database.cluster, self.network.vpc)
        self.schedules = Schedules(self, "Schedules", factory=self.factory)
        # Search queries are embedded by a warm function from the ML image (the API zip can't
        # carry onnxruntime + the text model): the API invokes it synchronously (docs/ml.md).
        self.text_encoder = self.factory.container_function(
            self,
            "TextEncoder",
            name="text-encoder",
            handler="functions.smart_search.text:handler",
            # CLIP's text graph is ~250 MB (ClipPack opens the visual one only for images);
            # 2 GB buys more than one vCPU for the query's transformer.
            memory_mb=2048,
            timeout_seconds=30,
        )
        self.factory.environment["SKYROLL_TEXT_ENCODER_FUNCTION"] = self.text_encoder.function_name
        # POST /api/admin/jobs/{name}/run starts the job there (it may outlast the API's 29 s).
        self.factory.environment["SKYROLL_JOBS_FUNCTION"] = self.schedules.function.function_name
        self.backups = Backups(self, "Backups", factory=self.factory)
        # POST /api/admin/backups starts an export there (the API has no pg_dump).
        self.factory.environment["SKYROLL_BACKUP_FUNCTION"] = self.backups.function.function_name
        # CloudFront's proof to the API that it wrote the viewer's address (per-client
        # throttling behind the distribution: chalicelib/api/client_address.py).
        self.origin_secret = secretsmanager.Secret(
            self,
            "OriginVerify",
            description="Sent by CloudFront to the API: the viewer address it adds is true",
            generate_secret_string=secretsmanager.SecretStringGenerator(
                exclude_punctuation=True, password_length=48
            ),
            removal_policy=RemovalPolicy.DESTROY,
        )
        origin_secret = self.origin_secret.secret_value.unsafe_unwrap()
        self.factory.environment["SKYROLL_ORIGIN_VERIFY_SECRET"] = origin_secret
        self.api = Api(self, "Api", config=config, factory=self.factory, chalice_out=chalice_out)
        self.web = Web(
            self,
            "Web",
            api_url=self.api.url,
            origin_secret=origin_secret,
            media_bucket=self.storage.bucket,
            cors_origins=config.cors_origins,
            site=SITE,
            log_retention_days=config.log_retention_days,
        )
        self._grant()
        self.monitoring = Monitoring(self, "Monitoring", config=config)
        self.monitoring.watch_pipeline(self.pipeline)
        self.monitoring.watch_function(
            "ApiErrors",
            self.api.function_name,
            "API function errors (unhandled exceptions, timeouts)",
        )
        self.monitoring.watch_function(
            "JobsErrors", self.schedules.function.function_name, "A scheduled job failed"
        )
        self.monitoring.watch_function(
            "BackupErrors", self.backups.function.function_name, "A database export failed"
        )
        CfnOutput(self, "ApiUrl", value=self.api.url)
        CfnOutput(self, "WebUrl", value=self.web.url)
        CfnOutput(self, "BucketName", value=self.storage.bucket.bucket_name)
        CfnOutput(self, "MigrationLogGroup", value=self.migration.function.log_group.log_group_name)
        self._suppress()

    def _grant(self) -> None:
        bucket, secret = self.storage.bucket, self.database.secret
        workers = [s.function for s in self.pipeline.stages.values()]
        for function in [*workers, self.schedules.function, self.backups.function]:
            grant_objects(bucket, function)
            secret.grant_read(function)
        secret.grant_read(self.migration.function)
        grant_objects(bucket, self.api.role)
        secret.grant_read(self.api.role)
        # External libraries: the scan lists them, the stages and the API (a presigned GET of
        # an original) read them; nothing may write or delete there.
        for grantee in [*workers, self.api.role]:
            grant_external_read(self.config.external_buckets, grantee)
        # The function itself, not grant_invoke's "<arn>:*" (no versions or aliases are used).
        self.api.role.add_to_principal_policy(
            iam.PolicyStatement(
                actions=["lambda:InvokeFunction"],
                resources=[
                    self.text_encoder.function_arn,
                    self.schedules.function.function_arn,
                    self.backups.function.function_arn,
                ],
            )
        )
        # The API (re-run a job) and the jobs (re-queue stuck assets) may enqueue any stage.
        for queue in self.pipeline.queues:
            queue.grant_send_messages(self.api.role)
            queue.grant_send_messages(self.schedules.function)
        # The bulk_jobs worker re-queues stages for every asset and queues its own next batch.
        bulk_jobs = self.pipeline.stages[BULK_JOBS_STAGE].function
        for queue in self.pipeline.queues:
            queue.grant_send_messages(bulk_jobs)
        # /api/jobs shows each DLQ's depth, peeks at its messages (receive with visibility
        # 0) and redrives them (send to the stage's queue, then delete from the DLQ).
        self.api.role.add_to_principal_policy(
            iam.PolicyStatement(
                actions=DLQ_ACTIONS,
                resources=[s.dlq.queue_arn for s in self.pipeline.stages.values()],
            )
        )

    def _suppress(self) -> None:
        nag.suppress(
            self,
            [
                nag.LAMBDA_MANAGED_POLICIES,
                nag.RUNTIME_PINNED,
                nag.bucket_wildcards(self.storage.bucket.node.default_child),
                nag.invoke_versions(self.migration.function.node.default_child),
                *(
                    [nag.external_bucket_wildcards(self.config.external_buckets)]
                    if self.config.external_buckets
                    else []
                ),
            ],
        )
        nag.suppress(self.storage.bucket, [nag.NO_SERVER_ACCESS_LOGS])
        nag.suppress(self.storage.uploads_topic, [nag.SNS_NO_KMS])
        nag.suppress(self.monitoring.topic, [nag.SNS_NO_KMS])
        nag.suppress(self.database, [nag.NO_ROTATION, nag.NO_IAM_DB_AUTH, nag.DEFAULT_PORT])
        nag.suppress(self.api, nag.API_AUTH_IN_APP)
        nag.suppress(
            self.origin_secret,
            [
                nag.Suppression(
                    "AwsSolutions-SMG4",
                    "The origin-verify value is resolved into the distribution's origin and "
                    "the API's environment at deploy time, which a rotation Lambda cannot "
                    "update; rotating is a new value and a deploy (docs/deploy.md). Leaked, "
                    "it only lets a caller choose the address its password guesses are "
                    "counted under (the per-account bucket still holds), never access.",
                )
            ],
        )
        if not self.config.protect_data:
            nag.suppress(self.database, [nag.DEV_NO_DELETION_PROTECTION])
        if not self.config.flow_logs:
            nag.suppress(self.network, [nag.DEV_NO_FLOW_LOGS])
