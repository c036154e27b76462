"""Aurora Serverless v2 (PostgreSQL 16) with generated credentials in Secrets Manager.

Connections: neither RDS Proxy nor the Data API. RDS Proxy bills a minimum of 8 ACU-hours
of capacity (~$88/month) and its idle connections stop the cluster from auto-pausing at
0 ACU; the Data API cannot carry psycopg + pgvector. Functions connect directly with small
pools, and the pipeline's reserved concurrency caps the total (see docs/deploy.md).
"""

from __future__ import annotations

from aws_cdk import Duration, RemovalPolicy
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_logs as logs
from aws_cdk import aws_rds as rds
from constructs import Construct

from .config import StageConfig
from .functions import _retention
from .network import Network

# Min capacity 0 (auto-pause) needs Aurora PostgreSQL 16.3 or later; new clusters can no
# longer be created on 16.8 and older (cfn-lint W3690). 16.13 ships pgvector 0.8.x, which
# the first migration requires (halfvec, HNSW, hnsw.iterative_scan).
ENGINE_VERSION = rds.AuroraPostgresEngineVersion.VER_16_13
DATABASE_NAME = "skyroll"
# The server ends sessions idle this long: a Lambda environment frozen between requests
# cannot close its pooled connection itself, and an open connection keeps the cluster from
# pausing. The pool notices the closed connection before its next use (db/pool.py).
IDLE_SESSION_TIMEOUT_SECONDS = 180


class Database(Construct):
    def __init__(self, scope: Construct, id: str, *, config: StageConfig, network: Network) -> None:
        super().__init__(scope, id)
        self.security_group = ec2.SecurityGroup(
            self,
            "Sg",
            vpc=network.vpc,
            allow_all_outbound=False,
            description="Skyroll Aurora cluster",
        )
        self.security_group.add_ingress_rule(
            network.function_sg, ec2.Port.tcp(5432), "PostgreSQL from Skyroll functions"
        )
        pause = None
        if config.aurora_min_acu == 0:
            pause = Duration.minutes(config.aurora_auto_pause_minutes)
        engine = rds.DatabaseClusterEngine.aurora_postgres(version=ENGINE_VERSION)
        self.identifier = f"{config.prefix}db"
        # RDS would create the exported log group itself, without retention: own it first.
        self.postgres_logs = logs.LogGroup(
            self,
            "PostgresLogs",
            log_group_name=f"/aws/rds/cluster/{self.identifier}/postgresql",
            retention=_retention(config.log_retention_days),
            removal_policy=RemovalPolicy.RETAIN if config.protect_data else RemovalPolicy.DESTROY,
        )
        self.cluster = rds.DatabaseCluster(
            self,
            "Cluster",
            cluster_identifier=self.identifier,
            engine=engine,
            parameter_group=rds.ParameterGroup(
                self,
                "Parameters",
                engine=engine,
                description="Skyroll: close idle sessions so the cluster can pause",
                parameters={"idle_session_timeout": str(IDLE_SESSION_TIMEOUT_SECONDS * 1000)},
            ),
            writer=rds.ClusterInstance.serverless_v2("writer"),
            serverless_v2_min_capacity=config.aurora_min_acu,
            serverless_v2_max_capacity=config.aurora_max_acu,
            serverless_v2_auto_pause_duration=pause,
            credentials=rds.Credentials.from_generated_secret(
                "skyroll", secret_name=f"{config.prefix}database"
            ),
            default_database_name=DATABASE_NAME,
            vpc=network.vpc,
            vpc_subnets=ec2.SubnetSelection(subnet_type=network.subnet_type),
            security_groups=[self.security_group],
            storage_encrypted=True,
            backup=rds.BackupProps(retention=Duration.days(config.backup_retention_days)),
            deletion_protection=config.protect_data,
            # prod: a final snapshot when the cluster is replaced or the stack deleted.
            removal_policy=RemovalPolicy.SNAPSHOT if config.protect_data else RemovalPolicy.DESTROY,
            cloudwatch_logs_exports=["postgresql"],
        )
        self.cluster.node.add_dependency(self.postgres_logs)
        assert self.cluster.secret is not None  # from_generated_secret always makes one
        self.secret = self.cluster.secret
