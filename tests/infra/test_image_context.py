"""What CDK's fingerprint walks in the image build contexts.

A synth hashes each image's context. A folder it does not skip whole is walked file by
file, and `.skyroll` holds the test databases of other pytest workers, which add and drop
files while a synth walks (a vanished file fails the synth with ENOENT).
"""

from __future__ import annotations

import aws_cdk as cdk
import pytest

from infra.skyroll_cdk.paths import (
    IMAGE_CONTEXT_ALLOWLIST,
    ML_IMAGE_CONTEXT_ALLOWLIST,
    REPO_ROOT,
)


def strategy(patterns: list[str]) -> cdk.DockerIgnoreStrategy:
    # DockerImageAsset adds the Dockerfile's own name the same way.
    return cdk.IgnoreStrategy.docker(str(REPO_ROOT), [*patterns, "!Dockerfile"])


@pytest.mark.parametrize("patterns", [IMAGE_CONTEXT_ALLOWLIST, ML_IMAGE_CONTEXT_ALLOWLIST])
@pytest.mark.parametrize(
    "folder", [".skyroll/test-pg", ".skyroll/code", ".skyroll/layers", ".skyroll/model-build-venv"]
)
def test_changing_folders_are_skipped_whole(patterns: list[str], folder: str) -> None:
    assert strategy(patterns).completely_ignores(str(REPO_ROOT / folder))


def test_ml_context_keeps_the_models_and_sources() -> None:
    ml = strategy(ML_IMAGE_CONTEXT_ALLOWLIST)
    for kept in (
        ".skyroll/models/MANIFEST.json",
        ".skyroll/models/faces/det.onnx",
        ".skyroll/models/offline/clip/model.onnx",
        "chalicelib/app.py",
        "functions/faces/handler.py",
        "scripts/models/clip_text_trim.py",
    ):
        assert not ml.ignores(str(REPO_ROOT / kept)), kept
    assert ml.ignores(str(REPO_ROOT / ".skyroll/models/other/x.onnx"))
