"""Builds the CDK app; shared by infra/cdk_app.py and the tests."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from aws_cdk import App, Environment, Validations
from cdk_nag import AwsSolutionsChecks

from .account import ACCOUNT_STACK, AccountStack
from .config import StageConfig, from_context
from .paths import REPO_ROOT
from .stack import SkyrollStack

CDK_JSON = REPO_ROOT / "infra" / "cdk.json"
CHALICE_OUT = REPO_ROOT / "infra" / "chalice.out"


def cdk_json_context() -> dict[str, Any]:
    """cdk.json's context (feature flags + skyroll settings): App() alone doesn't read it."""
    return dict(json.loads(CDK_JSON.read_text())["context"])


def build_app(
    *,
    outdir: str | None = None,
    context: dict[str, Any] | None = None,
    nag: bool = True,
    env: Environment | None = None,
    chalice_out: Path = CHALICE_OUT,
) -> tuple[App, SkyrollStack]:
    app = App(outdir=outdir, context=context)
    config: StageConfig = from_context(
        app.node.try_get_context("stage"), app.node.try_get_context("skyroll")
    )
    account = AccountStack(app, ACCOUNT_STACK, env=env)
    stack = SkyrollStack(
        app,
        config.stack_name,
        config=config,
        chalice_out=chalice_out,
        env=env,
        description=f"Skyroll photo library ({config.name})",
    )
    # The API's access logs need the account's CloudWatch role in place first.
    stack.add_dependency(account)
    if nag:
        # FINDINGS: the Validations form works; the old Aspects form fails with this version.
        Validations.of(app).add_plugins(AwsSolutionsChecks(app, verbose=True))
    return app, stack


def default_env_from_os() -> Environment | None:
    """Deploys target CDK_DEFAULT_ACCOUNT/REGION when the CLI provides them."""
    import os

    account, region = os.environ.get("CDK_DEFAULT_ACCOUNT"), os.environ.get("CDK_DEFAULT_REGION")
    if account and region:
        return Environment(account=account, region=region)
    return None


def clean_chalice_out(path: Path = CHALICE_OUT) -> None:
    import shutil

    shutil.rmtree(path, ignore_errors=True)
