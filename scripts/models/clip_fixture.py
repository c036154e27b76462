"""A tiny CLIP-shaped ONNX pack with random weights, for the CLIP loader's tests.

Same folder layout, input/output names and dtypes as Immich's CLIP exports, so the loader
is exercised exactly as with ViT-B-32: a patch-embedding convolution pooled and projected for
images; token embeddings pooled and projected for text. Outputs are deliberately NOT
normalised, so tests prove the loader normalises. Built with the ``onnx`` helper API.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

EMBED_DIM = 64
IMAGE_SIZE = 64
PATCH = 16
WIDTH = 32
VOCAB = 49408
CONTEXT = 77
OPSET = 17


def _save(graph: onnx.GraphProto, path: Path) -> None:
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", OPSET)])
    model.ir_version = 8
    onnx.checker.check_model(model)
    path.parent.mkdir(parents=True, exist_ok=True)
    onnx.save(model, str(path))


def visual_graph(rng: np.random.Generator, batch: int | str) -> onnx.GraphProto:
    patch_w = rng.normal(0, 0.05, (WIDTH, 3, PATCH, PATCH)).astype(np.float32)
    proj = rng.normal(0, 0.2, (WIDTH, EMBED_DIM)).astype(np.float32)
    nodes = [
        helper.make_node("Conv", ["image", "patch_w"], ["patches"], strides=[PATCH, PATCH]),
        helper.make_node("Relu", ["patches"], ["act"]),
        helper.make_node("ReduceMean", ["act"], ["pooled"], axes=[2, 3], keepdims=0),
        helper.make_node("MatMul", ["pooled", "proj"], ["embedding"]),
    ]
    return helper.make_graph(
        nodes,
        "visual",
        [
            helper.make_tensor_value_info(
                "image", TensorProto.FLOAT, [batch, 3, IMAGE_SIZE, IMAGE_SIZE]
            )
        ],
        [helper.make_tensor_value_info("embedding", TensorProto.FLOAT, [batch, EMBED_DIM])],
        [numpy_helper.from_array(patch_w, "patch_w"), numpy_helper.from_array(proj, "proj")],
    )


def textual_graph(rng: np.random.Generator, batch: int | str) -> onnx.GraphProto:
    table = rng.normal(0, 1.0, (VOCAB, WIDTH)).astype(np.float32)
    proj = rng.normal(0, 0.2, (WIDTH, EMBED_DIM)).astype(np.float32)
    nodes = [
        helper.make_node("Gather", ["token_table", "text"], ["tokens"], axis=0),
        helper.make_node("ReduceMean", ["tokens"], ["pooled"], axes=[1], keepdims=0),
        helper.make_node("MatMul", ["pooled", "proj"], ["embedding"]),
    ]
    return helper.make_graph(
        nodes,
        "textual",
        [helper.make_tensor_value_info("text", TensorProto.INT32, [batch, CONTEXT])],
        [helper.make_tensor_value_info("embedding", TensorProto.FLOAT, [batch, EMBED_DIM])],
        [numpy_helper.from_array(table, "token_table"), numpy_helper.from_array(proj, "proj")],
    )


def write_pack(out: Path, bpe_gz: Path, batch: int | str, seed: int = 7) -> None:
    rng = np.random.default_rng(seed)
    _save(visual_graph(rng, batch), out / "visual" / "model.onnx")
    _save(textual_graph(rng, batch), out / "textual" / "model.onnx")
    config = {
        "embed_dim": EMBED_DIM,
        "vision_cfg": {"image_size": IMAGE_SIZE, "patch_size": PATCH, "width": WIDTH, "layers": 0},
        "text_cfg": {"context_length": CONTEXT, "vocab_size": VOCAB, "width": WIDTH, "layers": 0},
    }
    (out / "config.json").write_text(json.dumps(config, indent=2))
    preprocess = {
        "size": [IMAGE_SIZE, IMAGE_SIZE],
        "mode": "RGB",
        "mean": [0.48145466, 0.4578275, 0.40821073],
        "std": [0.26862954, 0.26130258, 0.27577711],
        "interpolation": "bicubic",
        "resize_mode": "shortest",
    }
    (out / "visual" / "preprocess_cfg.json").write_text(json.dumps(preprocess, indent=2))
    (out / "textual" / "tokenizer_config.json").write_text(
        json.dumps({"pad_token": "<|endoftext|>", "model_max_length": CONTEXT})
    )
    # The merges file, not a tokenizer.json: the loader builds the tokenizer from it.
    shutil.copy(bpe_gz, out / "textual" / bpe_gz.name)


def build(out: Path, bpe_gz: Path) -> None:
    write_pack(out / "ViT-Tiny__random-batch1", bpe_gz, batch=1)
    write_pack(out / "ViT-Tiny__random-dynamic", bpe_gz, batch="batch")
