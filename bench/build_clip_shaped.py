"""A full-size CLIP ViT-B-32 ONNX folder with RANDOM weights, for timing only.

The production encoder is CLIP ViT-B-32 (Immich's ``ViT-B-32__openai`` folder), whose
weights cannot be had offline here. Its compute does not depend on its weights, so this
builds the same architecture (open_clip's ``ViT-B-32-quickgelu``, the OpenAI variant:
width 768, 12 layers, patch 32, 224 px; text 512 wide, 12 layers, 77 tokens) with seeded
random weights and exports it the way Immich's model exporter does: batch 1 (static),
``image`` float32 (1, 3, 224, 224) / ``text`` int32 (1, 77) -> normalised ``embedding``
(1, 512), fp32. Same shapes, same FLOPs, meaningless embeddings.

NEVER a model for the app: ``bench/bench_ml_stages.py`` builds it (when missing) into
``.skyroll/bench-models/ViT-B-32__random-weights-bench-only`` (gitignored, outside the
``make models`` cache) to measure the smart_search stage's overhead at the production
model's cost. The folder name is the model id any embedding it writes would carry.

Runs in the model build venv (``make models`` creates it: Python 3.11, CPU torch 2.13.0,
open-clip-torch installed without its dependencies):

    .skyroll/model-build-venv/bin/python bench/build_clip_shaped.py --out DIR
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import shutil
import sys
import time
import types
import warnings
from pathlib import Path
from typing import Any

MODEL = "ViT-B-32-quickgelu"
NAME = "ViT-B-32__random-weights-bench-only"
OPSET = 17
SEED = 20240501
NOTICE = (
    "RANDOM WEIGHTS - BENCHMARK ONLY. Built by bench/build_clip_shaped.py: the CLIP ViT-B-32\n"
    "architecture (same shapes and FLOPs as Immich's ViT-B-32__openai) with seeded random\n"
    "weights. Its embeddings are meaningless. Never point SKYROLL_CLIP_MODEL_URI at it.\n"
)


def _stub_torchvision() -> None:
    """open_clip imports torchvision (image transforms, a ResNet batch-norm helper) and ftfy
    (text cleaning) at package import; building and exporting a ViT uses neither, and the
    build venv has neither (a torchvision wheel must match torch exactly). Empty modules whose
    every attribute is a placeholder class let ``import open_clip`` succeed."""

    class Placeholder(type):
        def __getattr__(cls, attr: str) -> type:
            if attr.startswith("__"):
                raise AttributeError(attr)
            return cls  # InterpolationMode.BICUBIC and the like, read as defaults

    def placeholder(attr: str) -> type:
        if attr.startswith("__"):  # __file__, __spec__...: a module without them
            raise AttributeError(attr)
        return Placeholder(attr, (), {})

    def module(name: str) -> types.ModuleType:
        stub = types.ModuleType(name)
        stub.__getattr__ = placeholder  # type: ignore[method-assign]
        stub.__path__ = []  # a package, so submodules resolve
        return stub

    missing = {r for r in ("torchvision", "ftfy") if importlib.util.find_spec(r) is None}
    for name in (
        "torchvision",
        "torchvision.transforms",
        "torchvision.transforms.functional",
        "torchvision.ops",
        "torchvision.ops.misc",
        "ftfy",
    ):
        if name.split(".")[0] in missing:
            sys.modules[name] = module(name)
            parent, _, child = name.rpartition(".")
            if parent:
                setattr(sys.modules[parent], child, sys.modules[name])


def export_towers(model: Any, out: Path, size: int, context: int) -> None:
    """Both towers of an open_clip model into ``out/{visual,textual}/model.onnx`` the way
    Immich's exporter does: batch 1, ``image`` float32 (1, 3, size, size) / ``text`` int32
    (1, context) -> normalised ``embedding``, fp32, plain ONNX ops (no fused attention)."""
    import torch

    class Encoder(torch.nn.Module):
        def __init__(self, encode: object) -> None:
            super().__init__()
            self.clip = model
            self.encode = encode

        def forward(self, x: torch.Tensor) -> torch.Tensor:
            return self.encode(x, normalize=True)  # type: ignore[operator]

    torch.backends.mha.set_fastpath_enabled(False)
    exports = (
        ("visual", model.encode_image, torch.randn(1, 3, size, size), "image"),
        ("textual", model.encode_text, torch.ones(1, context, dtype=torch.int32), "text"),
    )
    for folder, encode, dummy, input_name in exports:
        (out / folder).mkdir(parents=True, exist_ok=True)
        started = time.monotonic()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            torch.onnx.export(
                Encoder(encode),
                (dummy,),
                str(out / folder / "model.onnx"),
                input_names=[input_name],
                output_names=["embedding"],
                opset_version=OPSET,
                dynamo=False,
            )
        print(f"{out.name}: {folder} exported in {time.monotonic() - started:.0f}s", flush=True)


def write_pack_files(out: Path, config: dict[str, Any], vocab: Path) -> None:
    """The rest of Immich's folder layout: preprocessing, model config, tokenizer files."""
    import open_clip

    size = config["vision_cfg"]["image_size"]
    context = config["text_cfg"]["context_length"]
    preprocess = {
        "size": [size, size],
        "mode": "RGB",
        "mean": list(open_clip.OPENAI_DATASET_MEAN),
        "std": list(open_clip.OPENAI_DATASET_STD),
        "interpolation": "bicubic",
        "resize_mode": "shortest",
    }
    (out / "visual" / "preprocess_cfg.json").write_text(json.dumps(preprocess, indent=2))
    (out / "config.json").write_text(json.dumps(config, indent=2))
    (out / "textual" / "tokenizer_config.json").write_text(
        json.dumps({"pad_token": "<|endoftext|>", "model_max_length": context})
    )
    shutil.copy(vocab, out / "textual" / vocab.name)


def build(out: Path) -> None:
    import torch

    _stub_torchvision()
    import open_clip

    torch.manual_seed(SEED)
    torch.backends.mha.set_fastpath_enabled(False)  # as Immich's exporter: plain ONNX ops
    model = open_clip.create_model(MODEL, pretrained=None)
    model.eval()
    for param in model.parameters():
        param.requires_grad_(False)
    config = open_clip.get_model_config(MODEL)

    partial = out.with_name(out.name + ".partial")
    shutil.rmtree(partial, ignore_errors=True)
    export_towers(
        model, partial, config["vision_cfg"]["image_size"], config["text_cfg"]["context_length"]
    )
    write_pack_files(
        partial, config, Path(open_clip.__file__).parent / "bpe_simple_vocab_16e6.txt.gz"
    )
    params = sum(p.numel() for p in model.parameters())
    (partial / "BENCH-ONLY-RANDOM-WEIGHTS.txt").write_text(
        f"{NOTICE}\nopen_clip {open_clip.__version__} {MODEL}, seed {SEED}, "
        f"{params / 1e6:.2f}M parameters, torch {torch.__version__}, opset {OPSET}.\n"
    )
    shutil.rmtree(out, ignore_errors=True)
    partial.rename(out)  # last: an interrupted build never looks complete


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, required=True, help=f"the folder, named {NAME}")
    args = parser.parse_args()
    started = time.monotonic()
    build(args.out.resolve())
    print(f"{NAME}: built in {time.monotonic() - started:.0f}s into {args.out}")


if __name__ == "__main__":
    main()
