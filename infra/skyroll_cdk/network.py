"""VPC: isolated subnets only (no internet route), S3 through a free gateway endpoint.

Lambdas also call Secrets Manager (the DSN at cold start), SQS (a finished stage enqueues
its followers) and Lambda (the API invokes the text encoder and the jobs function). Either
interface endpoints or a NAT gateway provide that; for a family library the endpoints in
one AZ are the cheaper default (3 x $7.30/month against $32.85/month + per-GB for NAT).
See docs/deploy.md.
"""

from __future__ import annotations

from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_logs as logs
from constructs import Construct

from .config import StageConfig

INTERFACE_SERVICES = {
    "SecretsManager": ec2.InterfaceVpcEndpointAwsService.SECRETS_MANAGER,
    "Sqs": ec2.InterfaceVpcEndpointAwsService.SQS,
    # The API invokes the text encoder (smart search) and the jobs function (admin runs).
    "Lambda": ec2.InterfaceVpcEndpointAwsService.LAMBDA_,
}


class Network(Construct):
    def __init__(self, scope: Construct, id: str, *, config: StageConfig) -> None:
        super().__init__(scope, id)
        nat = config.egress == "nat"
        subnets = [
            ec2.SubnetConfiguration(
                name="private", cidr_mask=22, subnet_type=ec2.SubnetType.PRIVATE_ISOLATED
            )
        ]
        if nat:
            subnets = [
                ec2.SubnetConfiguration(
                    name="public", cidr_mask=24, subnet_type=ec2.SubnetType.PUBLIC
                ),
                ec2.SubnetConfiguration(
                    name="private", cidr_mask=22, subnet_type=ec2.SubnetType.PRIVATE_WITH_EGRESS
                ),
            ]
        self.vpc = ec2.Vpc(
            self,
            "Vpc",
            max_azs=config.max_azs,
            nat_gateways=1 if nat else 0,
            subnet_configuration=subnets,
            gateway_endpoints={
                "S3": ec2.GatewayVpcEndpointOptions(service=ec2.GatewayVpcEndpointAwsService.S3)
            },
        )
        self.subnet_type = (
            ec2.SubnetType.PRIVATE_WITH_EGRESS if nat else ec2.SubnetType.PRIVATE_ISOLATED
        )
        self.function_sg = ec2.SecurityGroup(
            self,
            "FunctionSg",
            vpc=self.vpc,
            allow_all_outbound=True,
            description="Skyroll Lambda functions",
        )
        if config.flow_logs:
            self.vpc.add_flow_log(
                "FlowLog",
                destination=ec2.FlowLogDestination.to_cloud_watch_logs(
                    logs.LogGroup(self, "FlowLogs", retention=logs.RetentionDays.THREE_MONTHS)
                ),
            )
        if not nat:
            self._interface_endpoints(config)

    @property
    def subnets(self) -> ec2.SubnetSelection:
        return ec2.SubnetSelection(subnet_type=self.subnet_type)

    def _interface_endpoints(self, config: StageConfig) -> None:
        endpoint_sg = ec2.SecurityGroup(
            self,
            "EndpointSg",
            vpc=self.vpc,
            allow_all_outbound=False,
            description="AWS API endpoints for Skyroll functions",
        )
        endpoint_sg.add_ingress_rule(self.function_sg, ec2.Port.tcp(443), "HTTPS from functions")
        # Endpoints are billed per AZ: the first N AZs' subnets are enough for Lambda, which
        # reaches an endpoint in another AZ of the same VPC (a few cents of cross-AZ traffic).
        selection = ec2.SubnetSelection(
            subnet_type=self.subnet_type,
            availability_zones=self.vpc.availability_zones[: config.endpoint_azs],
        )
        for name, service in INTERFACE_SERVICES.items():
            self.vpc.add_interface_endpoint(
                name,
                service=service,
                subnets=selection,
                security_groups=[endpoint_sg],
                private_dns_enabled=True,
                open=False,
            )
