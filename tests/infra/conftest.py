"""Synthesizes the app once per session per stage (with cdk-nag on: a nag error fails the
synth) and hands tests the template."""

from __future__ import annotations

import json
import os
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]
sys.path[:0] = [str(REPO_ROOT / "infra"), str(REPO_ROOT)]
os.environ.setdefault("JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION", "20")
os.environ.setdefault("AWS_DEFAULT_REGION", "us-east-1")

from aws_cdk.assertions import Template  # noqa: E402
from skyroll_cdk.app_factory import (  # noqa: E402
    build_app,
    cdk_json_context,
    clean_chalice_out,
)
from skyroll_cdk.stack import SkyrollStack  # noqa: E402

# Synthesizing takes ~10 s: run every infra test in one xdist worker.


@dataclass
class Synth:
    stack: SkyrollStack
    template: Template
    outdir: Path

    @property
    def json(self) -> dict[str, Any]:
        return self.template.to_json()

    def resources(self, type_: str) -> dict[str, dict[str, Any]]:
        return {k: v for k, v in self.json["Resources"].items() if v["Type"] == type_}

    def logical_id(self, construct: Any) -> str:
        return self.stack.get_logical_id(construct.node.default_child)


def own_chalice_out(tmp: Path) -> Path:
    """Where this synth's API package goes: a directory of its own. The shared
    infra/chalice.out is written by every synth and removed by each test worker's session
    at its end, so two workers synthesizing at once read each other's half-written or
    removed package."""
    return tmp.parent / f"{tmp.name}-chalice" / "chalice.out"


def synth(stage: str, tmp: Path) -> Synth:
    context = {**cdk_json_context(), "stage": stage}
    app, stack = build_app(
        outdir=str(tmp), context=context, nag=True, chalice_out=own_chalice_out(tmp)
    )
    app.synth()  # raises on any unacknowledged cdk-nag finding
    return Synth(stack, Template.from_stack(stack), tmp)


@pytest.fixture(scope="session")
def dev(tmp_path_factory: pytest.TempPathFactory) -> Synth:
    return synth("dev", tmp_path_factory.mktemp("cdk-dev"))


@pytest.fixture(scope="session")
def prod(tmp_path_factory: pytest.TempPathFactory) -> Synth:
    return synth("prod", tmp_path_factory.mktemp("cdk-prod"))


def dumps(value: Any) -> str:
    return json.dumps(value, sort_keys=True)


@pytest.fixture(scope="session", autouse=True)
def _no_chalice_leftovers():
    # chalice.cdk leaves a package per synth (FINDINGS); keep the tree clean.
    yield
    clean_chalice_out()
