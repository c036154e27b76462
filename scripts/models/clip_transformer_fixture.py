"""A tiny CLIP with open_clip's real towers and random weights, exported as Immich does.

``clip_fixture``'s packs are hand-built graphs that mean-pool their tokens; this one is
open_clip's own text transformer (causal mask, positional embedding, argmax pooling at the
end token) and ViT, 64 wide, 2 layers, 2 heads, the real 77-token context and 49408-token
vocabulary, exported the way ``bench/build_clip_shaped.py`` exports ViT-B-32 (and Immich's
exporter does): batch 1, ``text`` int32 (1, 77) / ``image`` (1, 3, 32, 32) -> normalised
``embedding`` (1, 64), fp32, opset 17. So its ONNX graph has the structure of the production
text encoder, baked-in 77s included: ``scripts/models/clip_text_trim.py``'s tests trim it.
Random weights: meaningless vectors. Builds in a few seconds in the model build venv.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "bench"))

from build_clip_shaped import _stub_torchvision, export_towers, write_pack_files  # noqa: E402

NAME = "ViT-TinyTransformer__random"
SEED = 20240917
CONFIG: dict[str, Any] = {
    "embed_dim": 64,
    "quick_gelu": True,  # as the OpenAI weights Immich's ViT-B-32__openai comes from
    "vision_cfg": {"image_size": 32, "patch_size": 16, "width": 64, "head_width": 32, "layers": 2},
    "text_cfg": {"context_length": 77, "vocab_size": 49408, "width": 64, "heads": 2, "layers": 2},
}


def _model() -> Any:
    import torch
    from open_clip.model import CLIP

    torch.manual_seed(SEED)
    model = CLIP(**CONFIG)
    model.eval()
    with torch.no_grad():
        for param in model.parameters():
            # open_clip initialises norms to exactly 1/0 and the positions very small: a
            # trained model's layers differ and its positions matter, so the test should too.
            param.add_(torch.randn_like(param) * 0.05)
    for param in model.parameters():
        param.requires_grad_(False)
    return model


def build(out: Path, bpe_gz: Path) -> Path:
    """The pack into ``out/NAME`` (Immich's folder layout, like the other CLIP fixtures)."""
    _stub_torchvision()  # before open_clip's first import (it is not installed)

    pack = out / NAME
    export_towers(
        _model(), pack, CONFIG["vision_cfg"]["image_size"], CONFIG["text_cfg"]["context_length"]
    )
    write_pack_files(pack, CONFIG, bpe_gz)
    return pack
