"""Let a CLIP text encoder run on a query's real tokens instead of all 77 (build time).

Immich's CLIP text exports take ``text`` int (1, 77): most queries are 5-15 tokens and the
rest is padding, yet every query pays for 77 (~74 ms on one core for ViT-B-32). CLIP's text
transformer masks attention causally and pools at the end-of-text token (the argmax of the
ids), so tokens after it cannot change the embedding: the ids cut after it give the same
vector. The export bakes the 77 in, so this rewrites ``CLIP_FOLDER/textual/model.onnx``:

- every initializer/Constant with a 77-long axis (positional embedding, causal masks) is
  sliced to the input's runtime length, ``Shape(text)[1]``;
- a 77 in a Reshape shape becomes -1 (several 77s: the shape is built from that length);
- the input's sequence axis becomes symbolic.

Matching is by shapes and values, never by node names (exports from other torch versions
name things differently). The rewritten graph is then VERIFIED with onnxruntime against the
original on ids of every length 2..77, real texts' ids and a text cut at 77: the cut ids
through the new graph must give the original's 77-token embedding (max |diff| <= 1e-4 after
normalisation, cosine >= 0.9999). Only then is the file replaced (temp file, fsync, rename);
otherwise the folder is left untouched. A text model that pools over all tokens, or sees
ahead, is refused: it keeps working at 77 tokens. A model whose axis is already dynamic is
verified the same way (cut ids against all of them). A verified graph carries the metadata
entry ``skyroll.text_trim``: ``ClipPack`` cuts ids only for such a graph; a second run
leaves it alone.

Needs ``onnx``, ``onnxruntime``, ``numpy``, ``tokenizers`` (the dev extra has them all):

    .venv/bin/python scripts/models/clip_text_trim.py CLIP_FOLDER [--check-only]

Exit 0: trimmed and marked (or would be, with --check-only), or already marked; 3: refused,
untouched; 2: not a readable CLIP text model; 1: the tool itself crashed (a bug: the image
build fails rather than ship an untrimmed model silently).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from chalicelib.ml.clip_tokenizer import END, START, clip_tokenizer_from_bpe  # noqa: E402

SEQ_AXIS = "sequence"
PREFIX = "clip_text_trim/"
MAX_ABS_DIFF = 1e-4
MIN_COSINE = 0.9999
# Inputs whose value is a shape: a 77 there is the sequence length, not data to slice.
SHAPE_INPUTS = {("Reshape", 1), ("Expand", 1), ("ConstantOfShape", 0), ("Tile", 1)}
TEXTS = (
    "a cat on a chair",
    "beach at sunset with two dogs running along the water",
    "Grandma's 80th birthday party in the garden, summer 2019!!",
    "photo " * 120,  # cut at the context by the tokenizer, end token kept
)


# Exit statuses: a refusal has its own (an uncaught exception exits 1: a crash must not pass
# for a refusal and ship an untrimmed model without a word).
REFUSED = 3
UNREADABLE = 2
# Written into the graph's metadata once verified: ClipPack cuts ids only for such a graph,
# never for a model that merely has a dynamic axis (it may pool over every token).
MARKER_KEY, MARKER_VALUE = "skyroll.text_trim", "verified-causal-end-token"


class TrimError(Exception):
    """Why a folder cannot be trimmed; ``code`` is the exit status."""

    def __init__(self, message: str, code: int = REFUSED) -> None:
        super().__init__(message)
        self.code = code


@dataclass
class Verified:
    cases: int
    max_abs_diff: float
    min_cosine: float


# --- reading ------------------------------------------------------------------------------


def load_model(path: Path) -> onnx.ModelProto:
    """The graph without loading external weight files (they stay where they are)."""
    if not path.is_file():
        raise TrimError(f"{path} does not exist", code=UNREADABLE)
    try:
        return onnx.load(str(path), load_external_data=False)
    except Exception as error:  # protobuf raises DecodeError or RuntimeWarning-ish types
        raise TrimError(
            f"{path} is not a readable ONNX model ({error})", code=UNREADABLE
        ) from error


def text_input(model: onnx.ModelProto) -> tuple[onnx.ValueInfoProto, int | None]:
    """The one integer (batch, sequence) input and its static length (None if dynamic)."""
    initializers = {t.name for t in model.graph.initializer}
    inputs = [i for i in model.graph.input if i.name not in initializers]
    if len(inputs) != 1:
        names = [i.name for i in inputs]
        raise TrimError(f"expected one text input, found {names}: not a CLIP text export")
    tensor = inputs[0].type.tensor_type
    dims = tensor.shape.dim
    if tensor.elem_type not in (TensorProto.INT32, TensorProto.INT64) or len(dims) != 2:
        raise TrimError(f"input {inputs[0].name!r} is not integer ids of shape (batch, length)")
    return inputs[0], (dims[1].dim_value if dims[1].HasField("dim_value") else None)


def _constants(graph: onnx.GraphProto) -> dict[str, tuple[TensorProto, onnx.NodeProto | None]]:
    """Every constant value by name: initializers, and Constant nodes' ``value`` tensors."""
    found: dict[str, tuple[TensorProto, onnx.NodeProto | None]] = {
        t.name: (t, None) for t in graph.initializer
    }
    for node in graph.node:
        if node.op_type == "Constant" and len(node.attribute) == 1:
            attribute = node.attribute[0]
            if attribute.name == "value" and attribute.type == onnx.AttributeProto.TENSOR:
                found[node.output[0]] = (attribute.t, node)
    return found


def _consumers(graph: onnx.GraphProto) -> dict[str, list[tuple[onnx.NodeProto, int]]]:
    found: dict[str, list[tuple[onnx.NodeProto, int]]] = defaultdict(list)
    for node in graph.node:
        for index, name in enumerate(node.input):
            found[name].append((node, index))
    return found


# --- rewriting ----------------------------------------------------------------------------


class Rewriter:
    """Rewrites one graph in place; ``front`` nodes go first, ``after`` follow a Constant."""

    def __init__(self, model: onnx.ModelProto, text: str, context: int) -> None:
        self.graph = model.graph
        self.context = context
        self.front: list[onnx.NodeProto] = []
        self.after: dict[str, list[onnx.NodeProto]] = defaultdict(list)
        self.seq = self._sequence_length(text)
        self._ends: dict[int, str] = {}
        self.sliced = 0
        self.reshaped = 0

    def _initializer(self, name: str, values: list[int]) -> str:
        self.graph.initializer.append(numpy_helper.from_array(np.array(values, np.int64), name))
        return name

    def _sequence_length(self, text: str) -> str:
        """``Shape(text)[1:2]``, a one-element int64 tensor, computed once."""
        axis = self._initializer(PREFIX + "axis_1", [1])
        self.front += [
            helper.make_node("Shape", [text], [PREFIX + "text_shape"]),
            helper.make_node("Gather", [PREFIX + "text_shape", axis], [PREFIX + "seq"], axis=0),
        ]
        return PREFIX + "seq"

    def _ends_for(self, count: int) -> str:
        if count not in self._ends:
            name = f"{PREFIX}ends_{count}"
            self.front.append(helper.make_node("Concat", [self.seq] * count, [name], axis=0))
            self._ends[count] = name
        return self._ends[count]

    def slice_data(self, name: str, tensor: TensorProto, producer: onnx.NodeProto | None) -> str:
        """A Slice of ``name`` to the runtime length on each of its context-long axes."""
        axes = [i for i, d in enumerate(tensor.dims) if d == self.context]
        out = f"{PREFIX}{name}_sliced"
        starts = self._initializer(f"{PREFIX}{name}_starts", [0] * len(axes))
        steps = self._initializer(f"{PREFIX}{name}_axes", axes)
        node = helper.make_node("Slice", [name, starts, self._ends_for(len(axes)), steps], [out])
        if producer is None:
            self.front.append(node)
        else:
            self.after[producer.output[0]].append(node)
        self.sliced += 1
        return out

    def dynamic_shape(self, name: str, values: list[int]) -> str:
        """The shape with the sequence length in place of the context: -1 when that is the
        only unknown, else concatenated from constant pieces and ``Shape(text)[1]``."""
        self.reshaped += 1
        if values.count(self.context) == 1 and -1 not in values:
            return self._initializer(
                f"{PREFIX}{name}_dynamic", [-1 if v == self.context else v for v in values]
            )
        pieces = [
            self.seq if v == self.context else self._initializer(f"{PREFIX}{name}_{i}", [v])
            for i, v in enumerate(values)
        ]
        out = f"{PREFIX}{name}_dynamic"
        self.front.append(helper.make_node("Concat", pieces, [out], axis=0))
        return out

    def finish(self) -> None:
        nodes = list(self.front)
        for node in self.graph.node:
            nodes.append(node)
            nodes += self.after.get(node.output[0] if node.output else "", [])
        del self.graph.node[:]
        self.graph.node.extend(nodes)


def _is_shape_vector(tensor: TensorProto) -> bool:
    """A few integers (a shape, axes, indices), not data such as a [77] position table."""
    integer = tensor.data_type in (TensorProto.INT64, TensorProto.INT32)
    return integer and len(tensor.dims) == 1 and tensor.dims[0] <= 8 and not tensor.external_data


def make_dynamic(model: onnx.ModelProto, context: int) -> tuple[int, int]:
    """Rewrites ``model`` in place (no copy of a 250 MB graph) so that its sequence axis
    follows the input; (constants sliced, shapes made dynamic)."""
    graph = model.graph
    text, _ = text_input(model)
    rewriter = Rewriter(model, text.name, context)
    consumers = _consumers(graph)
    for name, (tensor, producer) in _constants(graph).items():
        users = consumers.get(name, [])
        if not users or (context not in tensor.dims and not _is_shape_vector(tensor)):
            continue
        if _is_shape_vector(tensor):
            values = [int(v) for v in numpy_helper.to_array(tensor)]
            if context not in values:
                continue
            shape_users = [(n, i) for n, i in users if (n.op_type, i) in SHAPE_INPUTS]
            if shape_users:
                replacement = rewriter.dynamic_shape(name, values)
                for node, index in shape_users:
                    node.input[index] = replacement
            continue
        replacement = rewriter.slice_data(name, tensor, producer)
        for node, index in users:
            node.input[index] = replacement
    rewriter.finish()
    text.type.tensor_type.shape.dim[1].dim_param = SEQ_AXIS
    del graph.value_info[:]  # stale static shapes of intermediates; onnxruntime infers them
    return rewriter.sliced, rewriter.reshaped


# --- verifying ----------------------------------------------------------------------------


def _session(path: Path) -> Any:
    import onnxruntime as ort

    options = ort.SessionOptions()
    options.log_severity_level = 3
    options.intra_op_num_threads = 1
    return ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])


def _read_json(path: Path) -> dict[str, Any]:
    return json.loads(path.read_text(encoding="utf-8")) if path.is_file() else {}


def _token_ids(textual: Path, context: int) -> tuple[list[list[int]], int, int, int]:
    """Real texts' ids (unpadded, cut at the context) and the start, end and pad ids."""
    from tokenizers import Tokenizer

    if (textual / "tokenizer.json").is_file():
        tokenizer = Tokenizer.from_file(str(textual / "tokenizer.json"))
    elif (textual / "bpe_simple_vocab_16e6.txt.gz").is_file():
        tokenizer = clip_tokenizer_from_bpe(textual / "bpe_simple_vocab_16e6.txt.gz")
    else:
        raise TrimError(f"no tokenizer.json or BPE merges in {textual}", code=UNREADABLE)
    tokenizer.no_padding()
    tokenizer.enable_truncation(max_length=context)
    pad = _read_json(textual / "tokenizer_config.json").get("pad_token", END)
    pad = pad["content"] if isinstance(pad, dict) else pad
    ids = [list(e.ids) for e in tokenizer.encode_batch(list(TEXTS))]
    start, end, pad_id = (tokenizer.token_to_id(t) for t in (START, END, pad))
    if None in (start, end, pad_id):
        raise TrimError("the tokenizer has no CLIP start/end/pad tokens", code=UNREADABLE)
    return ids, start, end, pad_id


def verification_ids(textual: Path, context: int, seed: int = 0) -> list[list[int]]:
    """Unpadded id sequences ending in the end token: every length 2..context of random
    ordinary ids, then real texts' ids (one cut at the context)."""
    texts, start, end, _ = _token_ids(textual, context)
    rng = np.random.default_rng(seed)
    ordinary = min(start, end)  # CLIP's specials are the two highest ids
    randoms = [
        [start, *rng.integers(0, ordinary, length - 2).tolist(), end]
        for length in range(2, context + 1)
    ]
    return randoms + texts


def _unit(x: np.ndarray) -> np.ndarray:
    x = x.reshape(-1).astype(np.float64)
    return x / max(float(np.linalg.norm(x)), 1e-12)


def verify(original: Path, trimmed: Path, context: int) -> Verified:
    """Cut ids through ``trimmed`` vs padded ids through ``original``, every case."""
    textual = original.parent
    _, _, _, pad = _token_ids(textual, context)
    before, after = _session(original), _session(trimmed)
    dtype = np.int64 if "int64" in before.get_inputs()[0].type else np.int32
    name_before, name_after = before.get_inputs()[0].name, after.get_inputs()[0].name
    worst = Verified(0, 0.0, 1.0)
    for number, ids in enumerate(verification_ids(textual, context)):
        padded = np.array([ids + [pad] * (context - len(ids))], dtype)
        reference = _unit(before.run(None, {name_before: padded})[0])
        # Every 5th also with a few pads kept: a mixed batch's shorter rows look like that.
        cuts = [len(ids)] + ([min(len(ids) + 3, context)] if number % 5 == 0 else [])
        for cut in cuts:
            got = after.run(None, {name_after: padded[:, :cut]})[0]
            if not np.isfinite(got).all() or not np.isfinite(reference).all():
                raise TrimError(f"non-finite embedding at length {len(ids)}")
            vector = _unit(got)
            diff, cosine = float(np.abs(vector - reference).max()), float(vector @ reference)
            worst = Verified(
                worst.cases + 1, max(worst.max_abs_diff, diff), min(worst.min_cosine, cosine)
            )
            if diff > MAX_ABS_DIFF or cosine < MIN_COSINE:
                raise TrimError(
                    f"ids cut to {cut} of {context} give another embedding than all {context} "
                    f"(text of {len(ids)} tokens: max |diff| {diff:.2e}, cosine {cosine:.6f}): "
                    "the model does not pool causally at the end token"
                )
    return worst


# --- writing ------------------------------------------------------------------------------


def _write_temp(model: onnx.ModelProto, folder: Path) -> Path:
    """The new graph next to the original (external weights resolve the same), fsynced."""
    try:
        data = model.SerializeToString()
    except ValueError as error:  # protobuf's 2 GB limit
        raise TrimError(f"the rewritten graph cannot be serialised ({error})") from error
    handle, name = tempfile.mkstemp(prefix=".model.onnx.", suffix=".trim", dir=folder)
    with os.fdopen(handle, "wb") as out:
        out.write(data)
        out.flush()
        os.fsync(out.fileno())
    return Path(name)


def _replace(temp: Path, target: Path) -> None:
    os.chmod(temp, target.stat().st_mode & 0o777)
    os.replace(temp, target)
    directory = os.open(target.parent, os.O_RDONLY)
    try:
        os.fsync(directory)
    finally:
        os.close(directory)


def is_marked(model: onnx.ModelProto) -> bool:
    return any(p.key == MARKER_KEY and p.value == MARKER_VALUE for p in model.metadata_props)


def mark(model: onnx.ModelProto) -> None:
    entry = model.metadata_props.add()
    entry.key, entry.value = MARKER_KEY, MARKER_VALUE


def trim_folder(folder: Path, check_only: bool = False) -> str:
    """Trim ``folder/textual/model.onnx`` in place once verified; a line saying what happened.

    A graph whose sequence axis is already dynamic is verified as it is (cut ids against all
    of them) and only marked. Raises ``TrimError`` (folder untouched) when it cannot or must
    not."""
    path = folder / "textual" / "model.onnx"
    model = load_model(path)
    _, context = text_input(model)
    if is_marked(model):
        return f"{path}: already trimmed and verified; left as is"
    sliced = reshaped = 0
    if context is None:  # dynamic already: is it safe to cut?
        config = _read_json(folder / "config.json")
        context = int(config.get("text_cfg", {}).get("context_length", 77))
    else:
        sliced, reshaped = make_dynamic(model, context)
    mark(model)
    temp = _write_temp(model, path.parent)
    del model
    try:
        try:
            onnx.checker.check_model(str(temp))
            verified = verify(path, temp, context)
        except TrimError:
            raise
        except Exception as error:  # onnx checker / onnxruntime load or run failures
            raise TrimError(f"the rewritten graph does not run ({error})") from error
        summary = (
            f"{sliced} constants sliced, {reshaped} shapes made dynamic; verified on "
            f"{verified.cases} sequences (max |diff| {verified.max_abs_diff:.1e}, "
            f"min cosine {verified.min_cosine:.7f})"
        )
        if check_only:
            return f"{path}: trimmable, not written (--check-only): {summary}"
        _replace(temp, path)
        return f"{path}: sequence axis now dynamic: {summary}"
    finally:
        temp.unlink(missing_ok=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("folder", type=Path, help="an Immich-layout CLIP folder (has textual/)")
    parser.add_argument("--check-only", action="store_true", help="verify, do not write")
    args = parser.parse_args(argv)
    try:
        print(f"clip_text_trim: {trim_folder(args.folder, args.check_only)}")
    except TrimError as error:
        print(f"clip_text_trim: {args.folder}: refused, left untouched: {error}", file=sys.stderr)
        return error.code
    return 0


if __name__ == "__main__":
    sys.exit(main())
