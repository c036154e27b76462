"""all-MiniLM-L6-v2 sentence embeddings with onnxruntime + tokenizers (no torch)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
from tokenizers import Tokenizer

from chalicelib.ml.session import l2_normalize, open_session

if TYPE_CHECKING:
    from numpy.typing import NDArray

MAX_TOKENS = 128  # the model was trained on 128-token inputs; queries are far shorter


class SentenceEmbedder:
    def __init__(self, model_path: Path, tokenizer_path: Path, threads: int = 0) -> None:
        self._session = open_session(model_path, threads)
        self._tokenizer = Tokenizer.from_file(str(tokenizer_path))
        self._tokenizer.enable_padding(pad_id=0, pad_token="[PAD]")  # noqa: S106 - a token, not a secret
        self._tokenizer.enable_truncation(max_length=MAX_TOKENS)
        self.dimension = int(self._session.get_outputs()[0].shape[-1])

    def embed(self, texts: Sequence[str]) -> NDArray[np.float32]:
        """(n, 384) unit vectors."""
        encodings = self._tokenizer.encode_batch(list(texts))
        feeds = {
            "input_ids": np.array([e.ids for e in encodings], dtype=np.int64),
            "attention_mask": np.array([e.attention_mask for e in encodings], dtype=np.int64),
        }
        (vectors,) = self._session.run(None, feeds)
        return l2_normalize(vectors)
