"""What API Gateway keeps once per account and region, not per stage: the CloudWatch role
its access logs are written with. It lives in its own stack, ``Skyroll-account``, that
every stage depends on: two stages in one account share it instead of overwriting each
other's setting (and deleting one stage leaves the other's logging alone)."""

from __future__ import annotations

from typing import Any

from aws_cdk import Stack
from aws_cdk import aws_apigateway as apigw
from aws_cdk import aws_iam as iam
from constructs import Construct

from . import nag

ACCOUNT_STACK = "Skyroll-account"


class AccountStack(Stack):
    def __init__(self, scope: Construct, id: str = ACCOUNT_STACK, **kwargs: Any) -> None:
        super().__init__(
            scope,
            id,
            description="Skyroll: API Gateway's per-account CloudWatch logging role",
            **kwargs,
        )
        role = iam.Role(
            self,
            "ApiGatewayCloudWatchRole",
            assumed_by=iam.ServicePrincipal("apigateway.amazonaws.com"),
            managed_policies=[
                iam.ManagedPolicy.from_aws_managed_policy_name(
                    "service-role/AmazonAPIGatewayPushToCloudWatchLogs"
                )
            ],
        )
        self.apigateway_account = apigw.CfnAccount(
            self, "ApiGatewayAccount", cloud_watch_role_arn=role.role_arn
        )
        nag.suppress(self, [nag.LAMBDA_MANAGED_POLICIES])
