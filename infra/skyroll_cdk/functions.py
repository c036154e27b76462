"""Builds Skyroll's Lambda functions the same way: in the VPC, one log group each, the
settings environment, code from chalicelib/ + functions/ (zip + layers, or a container
image with the repo root as build context)."""

from __future__ import annotations

from aws_cdk import Duration, IgnoreMode, RemovalPolicy, Size, Stack
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from constructs import Construct

from layers.build import LayerSpec, build, get_layer

from .code import staged_source
from .config import StageConfig
from .network import Network
from .paths import (
    ML_DOCKERFILE,
    REPO_ROOT,
    dockerfile_for,
    image_context_allowlist,
    lambda_handler,
)

RUNTIME = lambda_.Runtime.PYTHON_3_12
# Light workers get both layers; the API and the migration function only need "core".
WORKER_LAYERS = ("core", "media")
WORKER_EXCLUDES = ["app.py", ".chalice", ".complete"]
# Lambda's /tmp: 512 MB unless raised (up to 10 GB, billed per GB-second above 512 MB).
DEFAULT_EPHEMERAL_MB = 512
MAX_EPHEMERAL_MB = 10240


class FunctionFactory(Construct):
    def __init__(
        self,
        scope: Construct,
        id: str,
        *,
        config: StageConfig,
        network: Network,
        environment: dict[str, str],
    ) -> None:
        super().__init__(scope, id)
        self.config = config
        self.network = network
        self.environment = environment
        # chalicelib/ + functions/ with their bytecode (code.py); app.py is the API's.
        self.code = lambda_.Code.from_asset(
            str(staged_source()), exclude=WORKER_EXCLUDES, ignore_mode=IgnoreMode.DOCKER
        )
        self.layers = {spec: self._layer(get_layer(spec)) for spec in ("core", "media")}

    def _layer(self, spec: LayerSpec) -> lambda_.LayerVersion:
        # Built with pip for the Lambda platform (layers/build.py), cached between synths.
        return lambda_.LayerVersion(
            self,
            f"{spec.name.title()}Layer",
            code=lambda_.Code.from_asset(str(build(spec))),
            compatible_runtimes=[RUNTIME],
            compatible_architectures=[lambda_.Architecture.X86_64],
            description=spec.description,
        )

    def log_group(self, scope: Construct, name: str) -> logs.LogGroup:
        return logs.LogGroup(
            scope,
            f"{name}Logs",
            retention=_retention(self.config.log_retention_days),
            removal_policy=RemovalPolicy.RETAIN
            if self.config.protect_data
            else RemovalPolicy.DESTROY,
        )

    def _common(
        self,
        scope: Construct,
        name: str,
        memory_mb: int,
        timeout_seconds: int,
        reserved: int | None,
        ephemeral_mb: int = DEFAULT_EPHEMERAL_MB,
    ) -> dict:
        return dict(
            function_name=f"{self.config.prefix}{name}",
            memory_size=memory_mb,
            ephemeral_storage_size=Size.mebibytes(ephemeral_mb),
            timeout=Duration.seconds(timeout_seconds),
            reserved_concurrent_executions=reserved,
            architecture=lambda_.Architecture.X86_64,
            vpc=self.network.vpc,
            vpc_subnets=self.network.subnets,
            security_groups=[self.network.function_sg],
            environment=dict(self.environment),
            log_group=self.log_group(scope, name.title().replace("-", "")),
        )

    def zip_function(
        self,
        scope: Construct,
        id: str,
        *,
        name: str,
        handler: str,
        memory_mb: int,
        timeout_seconds: int,
        reserved: int | None = None,
        layers: tuple[str, ...] = WORKER_LAYERS,
        ephemeral_mb: int = DEFAULT_EPHEMERAL_MB,
    ) -> lambda_.Function:
        return lambda_.Function(
            scope,
            id,
            runtime=RUNTIME,
            handler=lambda_handler(handler),
            code=self.code,
            layers=[self.layers[layer] for layer in layers],
            **self._common(scope, name, memory_mb, timeout_seconds, reserved, ephemeral_mb),
        )

    def container_function(
        self,
        scope: Construct,
        id: str,
        *,
        name: str,
        handler: str,
        memory_mb: int,
        timeout_seconds: int,
        reserved: int | None = None,
        ephemeral_mb: int = DEFAULT_EPHEMERAL_MB,
    ) -> lambda_.DockerImageFunction:
        # Synthesizes without Docker; the image is built by `cdk deploy` (docs/deploy.md).
        dockerfile = dockerfile_for(handler)
        code = lambda_.DockerImageCode.from_image_asset(
            str(REPO_ROOT),
            file=dockerfile,
            cmd=[lambda_handler(handler)],
            exclude=image_context_allowlist(dockerfile),
            ignore_mode=IgnoreMode.DOCKER,
            build_args={
                "CLIP_MODEL": self.config.clip_model,
                "CLIP_REVISION": self.config.clip_revision,
                "CLIP_TEXT_INT8": "1" if self.config.clip_text_int8 else "0",
            }
            if dockerfile == ML_DOCKERFILE
            else None,
        )
        return lambda_.DockerImageFunction(
            scope,
            id,
            code=code,
            **self._common(scope, name, memory_mb, timeout_seconds, reserved, ephemeral_mb),
        )


_RETENTION = {
    7: logs.RetentionDays.ONE_WEEK,
    14: logs.RetentionDays.TWO_WEEKS,
    30: logs.RetentionDays.ONE_MONTH,
    60: logs.RetentionDays.TWO_MONTHS,
    90: logs.RetentionDays.THREE_MONTHS,
    180: logs.RetentionDays.SIX_MONTHS,
    365: logs.RetentionDays.ONE_YEAR,
}


def _retention(days: int) -> logs.RetentionDays:
    try:
        return _RETENTION[days]
    except KeyError:
        raise ValueError(f"log retention must be one of {sorted(_RETENTION)} days") from None


def region_of(scope: Construct) -> str:
    return Stack.of(scope).region
