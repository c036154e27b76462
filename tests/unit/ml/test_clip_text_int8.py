"""scripts/models/clip_text_int8.py: a CLIP text graph gets int8 MatMul weights only once its
vectors are verified close to the fp32 ones; otherwise it is left as it was.

The transformer fixture is open_clip's real text tower (tiny, random weights) exported as
Immich does. Everything runs on copies in tmp_path: the model cache is shared.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import onnx
import pytest

from chalicelib.ml.clip import ClipPack

TOOLS = Path(__file__).resolve().parents[3] / "scripts" / "models"
TEXTS = [
    "",
    "cat",
    "a photo of a cat on a red chair",
    "my grandmother's eightieth birthday party in the garden with all the cousins",
    "photo " * 120,
]


def _run(tool: str, folder: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(TOOLS / tool), str(folder), *args],
        capture_output=True,
        text=True,
        check=False,
        timeout=180,
    )


def _model_path(folder: Path) -> Path:
    return folder / "textual" / "model.onnx"


def _leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in (folder / "textual").iterdir() if p.name.startswith("."))


def _markers(folder: Path) -> dict[str, str]:
    model = onnx.load(str(_model_path(folder)))
    return {p.key: p.value for p in model.metadata_props}


def _copy(source: Path, target: Path, trimmed: bool) -> Path:
    shutil.copytree(source, target)
    if trimmed:
        result = _run("clip_text_trim.py", target)
        assert result.returncode == 0, result.stderr
    return target


@pytest.fixture(scope="module")
def quantized(clip_transformer_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = _copy(clip_transformer_dir, tmp_path_factory.mktemp("int8") / "pack", True)
    result = _run("clip_text_int8.py", folder)
    assert result.returncode == 0, result.stderr
    assert "MatMul weights now int8" in result.stdout and "min cosine to fp32" in result.stdout
    return folder


def test_the_graph_now_multiplies_int8_weights(quantized: Path) -> None:
    model = onnx.load(str(_model_path(quantized)))
    ops = {node.op_type for node in model.graph.node}
    assert "MatMulInteger" in ops or "DynamicQuantizeMatMul" in ops, sorted(ops)
    int8 = [t for t in model.graph.initializer if t.data_type == onnx.TensorProto.INT8]
    assert len(int8) >= 4  # the towers' projections, per layer
    markers = _markers(quantized)
    assert markers["skyroll.text_int8"] == "verified-dynamic-int8-weights"
    assert markers["skyroll.text_trim"] == "verified-causal-end-token"  # still cut


def test_the_vectors_stay_close_to_the_fp32_ones(
    quantized: Path, clip_transformer_dir: Path
) -> None:
    fp32, int8 = ClipPack(clip_transformer_dir, threads=1), ClipPack(quantized, threads=1)
    assert int8.text_inputs(["cat"]).shape == (1, 3)  # still fed the query's own tokens
    reference, got = fp32.embed_texts(TEXTS), int8.embed_texts(TEXTS)
    np.testing.assert_allclose(np.linalg.norm(got, axis=1), 1.0, atol=1e-5)
    cosines = (reference * got).sum(axis=1)
    assert cosines.min() >= 0.995, cosines
    assert not np.array_equal(reference, got)  # it did change the graph
    # Each text still lands nearest its own fp32 vector, never another text's.
    assert (got @ reference.T).argmax(axis=1).tolist() == list(range(len(TEXTS)))


def test_a_second_run_leaves_it_alone(quantized: Path) -> None:
    before = _model_path(quantized).read_bytes()
    result = _run("clip_text_int8.py", quantized)
    assert result.returncode == 0, result.stderr
    assert "already int8 and verified" in result.stdout
    assert _model_path(quantized).read_bytes() == before and _leftovers(quantized) == []


def test_an_untrimmed_77_token_graph_is_verified_padded(
    clip_transformer_dir: Path, tmp_path: Path
) -> None:
    folder = _copy(clip_transformer_dir, tmp_path / "static", False)
    result = _run("clip_text_int8.py", folder)
    assert result.returncode == 0, result.stderr
    pack = ClipPack(folder, threads=1)
    assert pack.text_inputs(["cat"]).shape == (1, 77)
    reference = ClipPack(clip_transformer_dir, threads=1).embed_text(TEXTS[2])
    assert float(pack.embed_text(TEXTS[2]) @ reference) >= 0.995


def test_check_only_writes_nothing(clip_transformer_dir: Path, tmp_path: Path) -> None:
    folder = _copy(clip_transformer_dir, tmp_path / "check", True)
    before = _model_path(folder).read_bytes()
    result = _run("clip_text_int8.py", folder, "--check-only")
    assert result.returncode == 0, result.stderr
    assert "quantizable, not written" in result.stdout
    assert _model_path(folder).read_bytes() == before and _leftovers(folder) == []


def test_vectors_that_move_too_far_are_refused_untouched(
    clip_transformer_dir: Path, tmp_path: Path
) -> None:
    folder = _copy(clip_transformer_dir, tmp_path / "strict", True)
    before = _model_path(folder).read_bytes()
    result = _run("clip_text_int8.py", folder, "--min-cosine", "0.9999999")
    assert result.returncode == 3, result.stderr
    assert "refused, left untouched" in result.stderr and "kept fp32" in result.stderr
    assert _model_path(folder).read_bytes() == before and _leftovers(folder) == []
    assert "skyroll.text_int8" not in _markers(folder)


def test_an_unverified_dynamic_graph_is_refused(clip_transformer_dir: Path, tmp_path: Path) -> None:
    """Dynamic length but no trim marker: nobody showed that cut ids give the right vector,
    so there is nothing safe to verify against. The trim tool must run first."""
    folder = _copy(clip_transformer_dir, tmp_path / "unmarked", True)
    model = onnx.load(str(_model_path(folder)))
    del model.metadata_props[:]
    onnx.save(model, str(_model_path(folder)))
    before = _model_path(folder).read_bytes()
    result = _run("clip_text_int8.py", folder)
    assert result.returncode == 3
    assert "run it first" in result.stderr
    assert _model_path(folder).read_bytes() == before


def test_weights_in_an_external_file_are_refused(
    clip_transformer_dir: Path, tmp_path: Path
) -> None:
    folder = _copy(clip_transformer_dir, tmp_path / "external", False)
    path = _model_path(folder)
    onnx.save(onnx.load(str(path)), str(path), save_as_external_data=True, location="w.bin")
    graph, weights = path.read_bytes(), (folder / "textual" / "w.bin").read_bytes()
    result = _run("clip_text_int8.py", folder)
    assert result.returncode == 3
    assert "external file" in result.stderr
    assert path.read_bytes() == graph and (folder / "textual" / "w.bin").read_bytes() == weights


@pytest.mark.parametrize("damage", ["truncated", "missing"])
def test_a_broken_model_file_is_a_clear_error(
    clip_transformer_dir: Path, tmp_path: Path, damage: str
) -> None:
    folder = _copy(clip_transformer_dir, tmp_path / "broken", False)
    path = _model_path(folder)
    if damage == "truncated":
        path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])
    else:
        path.unlink()
    before = path.read_bytes() if path.exists() else None
    result = _run("clip_text_int8.py", folder)
    assert result.returncode == 2, result.stderr
    assert "refused, left untouched" in result.stderr
    assert ("not a readable ONNX model" if before else "does not exist") in result.stderr
    assert (path.read_bytes() if path.exists() else None) == before
    assert _leftovers(folder) == []
