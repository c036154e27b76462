"""cfn-lint over every synthesized template (each stage and the account stack): no error,
and every warning left is one acknowledged below with its reason (as the cdk-nag
suppressions are)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow

CFN_LINT = Path(sys.executable).with_name("cfn-lint")
ACKNOWLEDGED = {
    "W3005": (
        "CDK writes an explicit DependsOn next to a Ref/GetAtt to the same resource (a "
        "function on its role's default policy, the topic policy before the notification); "
        "redundant, and CloudFormation orders them the same way"
    ),
}


def _lint(templates: list[Path]) -> list[dict]:
    done = subprocess.run(
        [str(CFN_LINT), "--format", "json", "--regions", "us-east-1", "--", *map(str, templates)],
        capture_output=True,
        text=True,
        check=False,
    )
    # Exit codes are a bitmask of the levels found (2 error, 4 warning, 8 info); 1 = crash.
    assert done.returncode != 1, done.stderr
    return list(json.loads(done.stdout or "[]"))


@pytest.mark.parametrize("stage", ["dev", "prod"])
def test_templates_have_no_error_and_only_acknowledged_warnings(stage, request):
    synth = request.getfixturevalue(stage)
    templates = sorted(synth.outdir.glob("*.template.json"))
    assert {t.name for t in templates} == {
        f"Skyroll-{stage}.template.json",
        "Skyroll-account.template.json",
    }
    findings = _lint(templates)
    errors = [f for f in findings if f["Level"] == "Error"]
    assert not errors, json.dumps(errors, indent=1)[:4000]
    unexplained = [f for f in findings if f["Rule"]["Id"] not in ACKNOWLEDGED]
    assert not unexplained, json.dumps(unexplained, indent=1)[:4000]


def test_lint_catches_an_engine_version_aurora_cannot_create(tmp_path, dev):
    # The check this file relies on is alive: 16.6 (the version first shipped) is flagged.
    template = json.loads((dev.outdir / "Skyroll-dev.template.json").read_text())
    for resource in template["Resources"].values():
        if resource["Type"] == "AWS::RDS::DBCluster":
            resource["Properties"]["EngineVersion"] = "16.6"
    old = tmp_path / "old.template.json"
    old.write_text(json.dumps(template))
    assert "W3690" in {f["Rule"]["Id"] for f in _lint([old])}
