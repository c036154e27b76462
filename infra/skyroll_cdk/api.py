"""The REST API: app.py packaged by chalice.cdk (API only), placed in the VPC, with
stage throttling and JSON access logs. Workers are not Chalice's business (FINDINGS:
``on_sqs_message`` cannot report partial batch failures)."""

from __future__ import annotations

import json
import os
from pathlib import Path

from aws_cdk import RemovalPolicy
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from chalice.cdk import Chalice
from constructs import Construct

from .code import staged_source
from .config import StageConfig
from .functions import FunctionFactory, _retention

API_STAGE = "api"
API_FUNCTION = "APIHandler"
REST_API = "RestAPI"
ACCESS_LOG_FORMAT = json.dumps(
    {
        "requestId": "$context.requestId",
        "ip": "$context.identity.sourceIp",
        "time": "$context.requestTime",
        "method": "$context.httpMethod",
        "path": "$context.path",
        "status": "$context.status",
        "latencyMs": "$context.responseLatency",
        "bytes": "$context.responseLength",
    }
)


# What API Gateway answers itself, before the function runs, in the API's one error shape
# ({statusCode, error, message}; chalicelib/api/http.py). An unknown path is a 404 (the
# gateway's own answer is a 403 "Missing Authentication Token"; with an Authorization header
# that is not SigV4, it is a 403 that echoes the header back: no route here uses IAM
# signatures, so those mean an unknown path too). Messages are fixed, never the gateway's,
# so nothing from the request is echoed. DEFAULT_4XX / DEFAULT_5XX cover the other types.
GATEWAY_ERRORS: dict[str, tuple[int, str, str]] = {
    "MISSING_AUTHENTICATION_TOKEN": (404, "Not Found", "Not found"),
    "INVALID_SIGNATURE": (404, "Not Found", "Not found"),
    "EXPIRED_TOKEN": (404, "Not Found", "Not found"),
    "RESOURCE_NOT_FOUND": (404, "Not Found", "Not found"),
    "UNSUPPORTED_MEDIA_TYPE": (415, "Unsupported Media Type", "Unsupported media type"),
    "REQUEST_TOO_LARGE": (413, "Payload Too Large", "Request is too large"),
    "THROTTLED": (429, "Too Many Requests", "Too many requests; retry later"),
    "QUOTA_EXCEEDED": (429, "Too Many Requests", "Too many requests; retry later"),
    "ACCESS_DENIED": (403, "Forbidden", "Forbidden"),
    "WAF_FILTERED": (403, "Forbidden", "Forbidden"),
    "INTEGRATION_TIMEOUT": (504, "Gateway Timeout", "The request took too long; retry"),
    "INTEGRATION_FAILURE": (502, "Bad Gateway", "The API failed to answer; retry"),
    "DEFAULT_4XX": (400, "Bad Request", "Bad request"),
    "DEFAULT_5XX": (500, "Internal Server Error", "Internal server error"),
}


def gateway_responses() -> dict[str, dict[str, object]]:
    """SAM ``GatewayResponses``: each a JSON body in the error shape, with a fixed status so
    the body's ``statusCode`` is the one sent."""
    responses: dict[str, dict[str, object]] = {}
    for kind, (status, error, message) in GATEWAY_ERRORS.items():
        body = {"statusCode": status, "error": error, "message": message}
        responses[kind] = {
            "StatusCode": str(status),
            "ResponseTemplates": {"application/json": json.dumps(body)},
            "ResponseParameters": {"Headers": {"Content-Type": "'application/json'"}},
        }
    return responses


class Api(Construct):
    def __init__(
        self,
        scope: Construct,
        id: str,
        *,
        config: StageConfig,
        factory: FunctionFactory,
        chalice_out: Path,
    ) -> None:
        super().__init__(scope, id)
        self.role = iam.Role(
            self,
            "Role",
            assumed_by=iam.ServicePrincipal("lambda.amazonaws.com"),
            managed_policies=[
                iam.ManagedPolicy.from_aws_managed_policy_name(
                    "service-role/AWSLambdaVPCAccessExecutionRole"
                )
            ],
        )
        network = factory.network
        stage_config = {
            "api_gateway_stage": API_STAGE,
            "manage_iam_role": False,
            "iam_role_arn": self.role.role_arn,
            "environment_variables": dict(factory.environment),
            "subnet_ids": network.vpc.select_subnets(subnet_type=network.subnet_type).subnet_ids,
            "security_group_ids": [network.function_sg.security_group_id],
            "layers": [factory.layers["core"].layer_version_arn],
            "lambda_memory_size": config.api_memory_mb,
            "lambda_timeout": config.api_timeout_seconds,
        }
        self.chalice = _package(self, stage_config, chalice_out)
        self.access_logs = logs.LogGroup(
            self,
            "AccessLogs",
            retention=_retention(config.log_retention_days),
            removal_policy=RemovalPolicy.RETAIN if config.protect_data else RemovalPolicy.DESTROY,
        )
        rest_api = self.chalice.get_resource(REST_API)
        rest_api.add_property_override(
            "MethodSettings",
            [
                {
                    "ResourcePath": "/*",
                    "HttpMethod": "*",
                    "MetricsEnabled": True,
                    "ThrottlingRateLimit": config.api_throttle_rate,
                    "ThrottlingBurstLimit": config.api_throttle_burst,
                }
            ],
        )
        rest_api.add_property_override(
            "AccessLogSetting",
            {"DestinationArn": self.access_logs.log_group_arn, "Format": ACCESS_LOG_FORMAT},
        )
        rest_api.add_property_override("GatewayResponses", gateway_responses())
        # The function's own log group, with retention (Lambda would make one that never
        # expires); the CloudWatch role for access logs is per account (account.py).
        self.function_logs = logs.LogGroup(
            self,
            "FunctionLogs",
            retention=_retention(config.log_retention_days),
            removal_policy=RemovalPolicy.RETAIN if config.protect_data else RemovalPolicy.DESTROY,
        )
        function = self.chalice.get_resource(API_FUNCTION)
        function.add_property_override(
            "LoggingConfig", {"LogGroup": self.function_logs.log_group_name}
        )
        self.function_name = function.ref
        self.url = f"https://{rest_api.ref}.execute-api.{_region(self)}.amazonaws.com/{API_STAGE}/"

    def function(self) -> lambda_.IFunction:
        return self.chalice.get_function(API_FUNCTION)


def _package(scope: Construct, stage_config: dict, chalice_out: Path) -> Chalice:
    # chalice.cdk writes its package under <cwd>/chalice.out: pin that to a known place
    # (gitignored) whatever directory the synth was started from.
    chalice_out.parent.mkdir(parents=True, exist_ok=True)
    # Packaging builds a boto3 client to learn a region it only writes as ${AWS::Region};
    # any region lets a credential-less synth work.
    os.environ.setdefault("AWS_DEFAULT_REGION", "us-east-1")
    previous = os.getcwd()
    # Loading the app for packaging copies the stage's environment variables (CDK tokens
    # such as ${Token[AWS.Region]}) into os.environ: put the process environment back.
    saved_env = dict(os.environ)
    os.chdir(chalice_out.parent)
    try:
        # The staged copy: the same sources with their bytecode (code.py).
        return Chalice(scope, "Chalice", source_dir=str(staged_source()), stage_config=stage_config)
    finally:
        os.chdir(previous)
        os.environ.clear()
        os.environ.update(saved_env)


def _region(scope: Construct) -> str:
    from aws_cdk import Stack

    return Stack.of(scope).region
