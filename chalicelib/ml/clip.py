"""``ImageTextEncoder`` over an Immich-compatible CLIP ONNX folder.

Layout (what Immich's model exporter writes, e.g. ``ViT-B-32__openai/``)::

    config.json                 open_clip model config (embed_dim, text_cfg.context_length)
    visual/model.onnx           image (n|1, 3, S, S) float32 -> embedding (n|1, d)
    visual/preprocess_cfg.json  size, mean, std, interpolation, resize_mode
    textual/model.onnx          text (n|1, 77) int32 -> embedding (n|1, d)
    textual/tokenizer.json      (or the merges file bpe_simple_vocab_16e6.txt.gz)
    textual/tokenizer_config.json  pad_token

Immich exports with a fixed batch of 1; when the graph's batch axis is static we run one
image at a time, otherwise in batches. Its text graph takes all 77 ids; one whose sequence
axis is dynamic (``scripts/models/clip_text_trim.py`` makes it so, after checking that the
end token is where it pools) gets the ids cut after the end token: same vector, ~6x faster
for a short query.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Sequence
from functools import cached_property, partial
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
from PIL import Image
from tokenizers import Tokenizer

from chalicelib.ml.clip_tokenizer import END, clip_tokenizer_from_bpe
from chalicelib.ml.fetch import fetch_s3_folder
from chalicelib.ml.imaging import resize_center_crop, to_pil_rgb
from chalicelib.ml.session import l2_normalize, open_session

if TYPE_CHECKING:
    from numpy.typing import NDArray

    from chalicelib.ml.ports import ImageLike

DEFAULT_MODEL = "ViT-B-32__openai"
BATCH = 16
RESAMPLING = {
    "bicubic": Image.Resampling.BICUBIC,
    "bilinear": Image.Resampling.BILINEAR,
    "nearest": Image.Resampling.NEAREST,
}


def _read_json(path: Path) -> dict[str, Any]:
    return json.loads(path.read_text(encoding="utf-8")) if path.is_file() else {}


def _static_batch(session: Any) -> bool:
    return bool(session.get_inputs()[0].shape[0] == 1)


def cut_after_end(ids: NDArray[np.integer], end_id: int) -> NDArray[np.integer]:
    """The columns up to the end token of the row where it comes last. CLIP attends causally
    and pools at the end token, so the padding after it cannot change any row's vector.
    Unchanged if a row has no end token."""
    is_end = ids == end_id
    if not is_end.any(axis=1).all():
        return ids
    return ids[:, : int(is_end.argmax(axis=1).max()) + 1]


# What scripts/models/clip_text_trim.py writes into a text graph it verified: cutting the
# ids after the end token gives the same vectors. A graph that merely has a dynamic length
# may pool over every token, so it gets all of them.
TRIM_MARKER = ("skyroll.text_trim", "verified-causal-end-token")


def _verified_trim(session: Any) -> bool:
    key, value = TRIM_MARKER
    return bool(session.get_modelmeta().custom_metadata_map.get(key) == value)


class ClipPack:
    def __init__(self, directory: Path, model_name: str | None = None, threads: int = 0) -> None:
        self._name = model_name or directory.name
        config = _read_json(directory / "config.json")
        preprocess = _read_json(directory / "visual" / "preprocess_cfg.json")
        size = preprocess.get("size", config.get("vision_cfg", {}).get("image_size", 224))
        self._size = int(size[0] if isinstance(size, list) else size)
        self._mean = np.array(
            preprocess.get("mean", (0.48145466, 0.4578275, 0.40821073)), np.float32
        )
        self._std = np.array(
            preprocess.get("std", (0.26862954, 0.26130258, 0.27577711)), np.float32
        )
        self._resample = RESAMPLING[preprocess.get("interpolation", "bicubic")]
        self._resize_mode = preprocess.get("resize_mode", "shortest")
        self._context = int(config.get("text_cfg", {}).get("context_length", 77))

        # Each graph opens on first use: the text-encoder Lambda, which answers searches,
        # never needs the visual one, and the stages that embed images never need the
        # textual one (~300 MB and ~1 s of cold start each for ViT-B-32).
        self._visual_path = directory / "visual" / "model.onnx"
        self._textual_path = directory / "textual" / "model.onnx"
        for tower, graph in (("visual", self._visual_path), ("textual", self._textual_path)):
            if not graph.is_file():
                raise FileNotFoundError(f"no {tower} model at {graph}")
        self._threads = threads
        self._sessions: dict[Path, Any] = {}
        self._lock = threading.Lock()
        self._tokenizer = self._load_tokenizer(directory / "textual")
        end = self._tokenizer.token_to_id(END)
        self._end_id = -1 if end is None else end  # -1: nothing to cut after
        embed_dim = config.get("embed_dim")  # both towers share the space
        self._dimension = int(embed_dim) if embed_dim else self._text_width()

    def _session(self, path: Path) -> Any:
        if path not in self._sessions:
            with self._lock:
                if path not in self._sessions:
                    self._sessions[path] = open_session(path, self._threads)
        return self._sessions[path]

    @property
    def _textual(self) -> Any:
        return self._session(self._textual_path)

    def opened(self) -> set[str]:
        """Which towers have their graph open ("visual", "textual")."""
        names = {self._visual_path: "visual", self._textual_path: "textual"}
        return {names[path] for path in self._sessions}

    @cached_property
    def _text_input(self) -> str:
        return str(self._textual.get_inputs()[0].name)

    @cached_property
    def _text_dtype(self) -> type[np.integer]:
        return np.int64 if "int64" in self._textual.get_inputs()[0].type else np.int32

    @cached_property
    def _cut_text(self) -> bool:
        """Whether the textual graph takes ids cut after the end token (trimmed and
        verified by ``scripts/models/clip_text_trim.py``)."""
        length = self._textual.get_inputs()[0].shape[1]
        return _verified_trim(self._textual) and not isinstance(length, int)

    def _text_width(self) -> int:
        width = self._textual.get_outputs()[0].shape[-1]
        return width if isinstance(width, int) else self._visual_width()

    @property
    def _visual(self) -> Any:
        return self._session(self._visual_path)

    @property
    def _visual_input(self) -> str:
        return str(self._visual.get_inputs()[0].name)

    def _visual_width(self) -> int:
        return int(self._visual.get_outputs()[0].shape[-1])

    @classmethod
    def from_uri(
        cls,
        uri: str,
        s3: Any = None,
        cache_root: Path = Path("/tmp/skyroll-models"),  # noqa: S108
        threads: int = 0,
    ) -> ClipPack:
        """A local folder, or ``s3://bucket/prefix/ViT-B-32__openai`` fetched once via ``s3``."""
        if uri.startswith("s3://"):
            if s3 is None:
                raise ValueError("an S3 model URI needs an s3 client")
            return cls(fetch_s3_folder(uri, s3, cache_root), threads=threads)
        return cls(Path(uri), threads=threads)

    def _load_tokenizer(self, textual: Path) -> Tokenizer:
        if (textual / "tokenizer.json").is_file():
            tokenizer = Tokenizer.from_file(str(textual / "tokenizer.json"))
        else:
            tokenizer = clip_tokenizer_from_bpe(textual / "bpe_simple_vocab_16e6.txt.gz")
        pad = _read_json(textual / "tokenizer_config.json").get("pad_token", END)
        pad = pad["content"] if isinstance(pad, dict) else pad
        tokenizer.enable_padding(
            length=self._context, pad_token=pad, pad_id=tokenizer.token_to_id(pad)
        )
        tokenizer.enable_truncation(max_length=self._context)
        return tokenizer

    @property
    def model_id(self) -> str:
        return self._name

    @property
    def dimension(self) -> int:
        return self._dimension

    @property
    def uses_face_counts(self) -> bool:
        return False  # CLIP sees people itself

    @property
    def image_size(self) -> int:
        return self._size

    def preprocess(self, image: ImageLike) -> NDArray[np.float32]:
        picture = to_pil_rgb(image)
        if self._resize_mode == "squash":
            picture = picture.resize((self._size, self._size), self._resample)
        else:
            picture = resize_center_crop(picture, self._size, self._resample)
        pixels = np.asarray(picture, dtype=np.float32) / 255.0
        return ((pixels - self._mean) / self._std).transpose(2, 0, 1)

    def tokenize(self, texts: Sequence[str]) -> NDArray[np.integer]:
        ids = [e.ids for e in self._tokenizer.encode_batch(list(texts))]
        return np.array(ids, dtype=self._text_dtype)

    def text_inputs(self, texts: Sequence[str]) -> NDArray[np.integer]:
        """The ids the textual session runs on: ``tokenize``'s, cut after the end tokens
        when its graph takes any length."""
        ids = self.tokenize(texts)
        return cut_after_end(ids, self._end_id) if self._cut_text else ids

    def _run(
        self,
        session: Any,
        name: str,
        batch: NDArray[Any],
        prepare: Callable[[NDArray[Any]], NDArray[Any]] | None = None,
    ) -> NDArray[np.float32]:
        """``batch`` through ``session`` in chunks its batch axis takes, each ``prepare``d."""
        step = 1 if _static_batch(session) else BATCH
        chunks = (batch[i : i + step] for i in range(0, len(batch), step))
        rows = [session.run(None, {name: prepare(c) if prepare else c})[0] for c in chunks]
        return np.concatenate(rows).astype(np.float32)

    def embed_images(
        self, images: Sequence[ImageLike], face_counts: Sequence[int] | None = None
    ) -> NDArray[np.float32]:
        del face_counts  # CLIP sees people itself
        if not images:
            return np.zeros((0, self.dimension), dtype=np.float32)
        batch = np.stack([self.preprocess(image) for image in images])
        return l2_normalize(self._run(self._visual, self._visual_input, batch))

    def embed_texts(self, texts: Sequence[str]) -> NDArray[np.float32]:
        cut = partial(cut_after_end, end_id=self._end_id) if self._cut_text else None
        ids = self.tokenize(texts)  # cut per chunk: with a batch of 1, each text to its own
        return l2_normalize(self._run(self._textual, self._text_input, ids, cut))

    def embed_text(self, text: str) -> NDArray[np.float32]:
        result: NDArray[np.float32] = self.embed_texts([text])[0]
        return result
