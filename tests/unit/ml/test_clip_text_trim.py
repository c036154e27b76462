"""scripts/models/clip_text_trim.py: a CLIP text graph that takes any length gives the
77-token vectors from the query's own tokens; a graph it cannot prove that for is refused.

The transformer fixture is open_clip's real text tower (tiny, random weights) exported as
Immich does; the ``ViT-Tiny__random-*`` packs mean-pool every token, so trimming them would
change their vectors. Everything runs on copies in tmp_path: the cache is shared.
"""

from __future__ import annotations

import importlib.util
import shutil
import subprocess
import sys
from pathlib import Path
from types import ModuleType

import numpy as np
import pytest

from chalicelib.ml.clip import ClipPack, cut_after_end

TOOL = Path(__file__).resolve().parents[3] / "scripts" / "models" / "clip_text_trim.py"
END_ID = 49407
TEXTS = {
    "empty": "",
    "short": "cat",
    "medium": "a photo of a cat on a red chair",
    "long": "my grandmother's eightieth birthday party in the garden with all the cousins, "
    "the dog, a huge chocolate cake and far too many candles to count",
    "truncated": "photo " * 120,
}


def _tool() -> ModuleType:
    spec = importlib.util.spec_from_file_location("clip_text_trim", TOOL)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # its dataclass looks its module up there
    spec.loader.exec_module(module)
    return module


def _run_tool(folder: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(TOOL), str(folder), *args],
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )


def _model_bytes(folder: Path) -> bytes:
    return (folder / "textual" / "model.onnx").read_bytes()


def _leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in (folder / "textual").iterdir() if p.name.startswith("."))


@pytest.fixture(scope="module")
def packs(clip_transformer_dir: Path, tmp_path_factory: pytest.TempPathFactory):
    copy = tmp_path_factory.mktemp("trim") / clip_transformer_dir.name
    shutil.copytree(clip_transformer_dir, copy)
    message = _tool().trim_folder(copy)
    assert "sequence axis now dynamic" in message, message
    return ClipPack(clip_transformer_dir, threads=1), ClipPack(copy, threads=1), copy


def test_the_fixture_has_the_static_77_token_input(packs) -> None:
    original, trimmed, _ = packs
    assert original._textual.get_inputs()[0].shape == [1, 77]
    assert trimmed._textual.get_inputs()[0].shape[0] == 1
    assert isinstance(trimmed._textual.get_inputs()[0].shape[1], str)


@pytest.mark.parametrize("kind", TEXTS)
def test_trimmed_vectors_equal_the_77_token_ones(packs, kind: str) -> None:
    original, trimmed, _ = packs
    ids = trimmed.text_inputs([TEXTS[kind]])
    tokens = int((original.tokenize([TEXTS[kind]])[0] != END_ID).sum()) + 1
    assert ids.shape == (1, min(tokens, 77))  # the session sees the text's tokens only
    assert original.text_inputs([TEXTS[kind]]).shape == (1, 77)  # a static graph: as before
    np.testing.assert_allclose(
        trimmed.embed_text(TEXTS[kind]), original.embed_text(TEXTS[kind]), atol=1e-5
    )


def test_the_vectors_depend_on_the_text_and_its_end_token(packs) -> None:
    """The comparison above can fail: other texts, or ids cut before the end token (what a
    wrong cut would feed), give other vectors."""
    original, trimmed, _ = packs
    vectors = original.embed_texts(list(TEXTS.values()))
    assert np.abs(vectors[:, None] - vectors[None]).max(axis=-1)[np.triu_indices(5, 1)].min() > 0.05
    ids = trimmed.text_inputs([TEXTS["medium"]])
    without_end = trimmed._textual.run(None, {trimmed._text_input: ids[:, :-1]})[0][0]
    cosine = without_end @ original.embed_text(TEXTS["medium"]) / np.linalg.norm(without_end)
    assert cosine < 0.99


def test_a_mixed_length_batch(packs) -> None:
    original, trimmed, _ = packs
    texts = list(TEXTS.values())
    np.testing.assert_allclose(trimmed.embed_texts(texts), original.embed_texts(texts), atol=1e-5)
    # A dynamic-batch graph would get every row cut at the longest row's end token: shorter
    # rows keep some padding after theirs. Row by row, that is the same vector too.
    ids = cut_after_end(trimmed.tokenize(texts[:4]), END_ID)
    assert ids.shape[1] < 77
    for row, text in zip(ids, texts[:4], strict=True):
        got = trimmed._textual.run(None, {trimmed._text_input: row[None]})[0][0]
        np.testing.assert_allclose(got / np.linalg.norm(got), original.embed_text(text), atol=1e-5)


def test_cut_after_end() -> None:
    ids = np.array([[1, 5, END_ID, END_ID, END_ID], [1, 5, 6, 7, END_ID]], np.int32)
    assert cut_after_end(ids[:1], END_ID).tolist() == [[1, 5, END_ID]]
    assert cut_after_end(ids, END_ID).tolist() == ids.tolist()
    no_end = np.array([[1, 5, 6], [1, END_ID, END_ID]])
    assert cut_after_end(no_end, END_ID) is no_end


def test_a_trimmed_model_is_left_alone(packs) -> None:
    _, _, copy = packs
    before = _model_bytes(copy)
    result = _run_tool(copy)
    assert result.returncode == 0, result.stderr
    assert "already trimmed and verified" in result.stdout
    assert _model_bytes(copy) == before and _leftovers(copy) == []


def test_a_dynamic_model_is_cut_only_once_verified(packs, tmp_path: Path) -> None:
    """A graph whose axis is dynamic but that nobody verified (no marker) is not cut: it may
    pool over every token. The tool verifies it as it is and marks it."""
    import onnx

    _, _, trimmed = packs
    copy = tmp_path / "unmarked"
    shutil.copytree(trimmed, copy)
    model = onnx.load(str(copy / "textual" / "model.onnx"))
    del model.metadata_props[:]
    onnx.save(model, str(copy / "textual" / "model.onnx"))
    assert ClipPack(copy, threads=1).text_inputs(["cat"]).shape == (1, 77)  # not cut
    result = _run_tool(copy)
    assert result.returncode == 0, result.stderr
    assert "0 constants sliced" in result.stdout and "verified on" in result.stdout
    assert ClipPack(copy, threads=1).text_inputs(["cat"]).shape == (1, 3)  # start, cat, end


def test_check_only_writes_nothing(clip_transformer_dir: Path, tmp_path: Path) -> None:
    copy = tmp_path / "pack"
    shutil.copytree(clip_transformer_dir, copy)
    result = _run_tool(copy, "--check-only")
    assert result.returncode == 0, result.stderr
    assert "trimmable, not written" in result.stdout and "min cosine" in result.stdout
    assert _model_bytes(copy) == _model_bytes(clip_transformer_dir)
    assert _leftovers(copy) == []


def test_a_mean_pooling_model_is_refused_untouched(models_root: Path, tmp_path: Path) -> None:
    copy = tmp_path / "mean"
    shutil.copytree(models_root / "clip-fixtures" / "ViT-Tiny__random-batch1", copy)
    before = _model_bytes(copy)
    result = _run_tool(copy)
    assert result.returncode == 3  # refused (1 is reserved for a crash of the tool itself)
    assert "refused, left untouched" in result.stderr
    assert "does not pool causally at the end token" in result.stderr
    assert _model_bytes(copy) == before and _leftovers(copy) == []
    pack = ClipPack(copy, threads=1)  # still the 77-token model, still working
    assert pack.text_inputs(["cat"]).shape == (1, 77)


def test_weights_in_an_external_file_are_kept_as_they_are(
    clip_transformer_dir: Path, tmp_path: Path
) -> None:
    """Big exports keep their weights in a side file: only the graph is rewritten."""
    import onnx

    copy = tmp_path / "external"
    shutil.copytree(clip_transformer_dir, copy)
    model = copy / "textual" / "model.onnx"
    onnx.save(onnx.load(str(model)), str(model), save_as_external_data=True, location="w.bin")
    weights = (copy / "textual" / "w.bin").read_bytes()
    assert model.stat().st_size < len(weights) // 10
    result = _run_tool(copy)
    assert result.returncode == 0, result.stderr
    assert (copy / "textual" / "w.bin").read_bytes() == weights
    np.testing.assert_allclose(
        ClipPack(copy, threads=1).embed_text(TEXTS["medium"]),
        ClipPack(clip_transformer_dir, threads=1).embed_text(TEXTS["medium"]),
        atol=1e-5,
    )


@pytest.mark.parametrize("damage", ["truncated", "garbage", "missing"])
def test_a_broken_model_file_is_a_clear_error(
    clip_transformer_dir: Path, tmp_path: Path, damage: str
) -> None:
    copy = tmp_path / "broken"
    shutil.copytree(clip_transformer_dir, copy)
    model = copy / "textual" / "model.onnx"
    if damage == "truncated":
        model.write_bytes(model.read_bytes()[: model.stat().st_size // 2])
    elif damage == "garbage":
        model.write_bytes(b"this is not an ONNX model\n" * 10)
    else:
        model.unlink()
    before = model.read_bytes() if model.exists() else None
    result = _run_tool(copy)
    assert result.returncode == 2, result.stderr
    assert "refused, left untouched" in result.stderr
    assert ("not a readable ONNX model" if before else "does not exist") in result.stderr
    assert (model.read_bytes() if model.exists() else None) == before
    assert _leftovers(copy) == []
