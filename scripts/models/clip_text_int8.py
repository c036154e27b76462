"""Store a CLIP text encoder's weights as int8 (build time), once it gives the same vectors.

A search waits for its text embedding. Trimmed to a query's own tokens
(``clip_text_trim.py``), ViT-B-32's text tower does a handful of rows per MatMul, so it is
bound by reading its fp32 weights (150 MB a query), not by arithmetic: ~14 ms on one core.
onnxruntime's dynamic quantization stores the MatMul weights as int8, per output channel,
and quantizes the activations per call: ~3 ms, same graph otherwise (the token embedding
table is a Gather and stays fp32; attention's activation-by-activation MatMuls stay fp32).

Only the query side changes: the image vectors in the database come from the visual tower,
which stays fp32, so the model id stays. Quantization moves the vector a little, so the new
graph is VERIFIED with onnxruntime against the fp32 one on the trim tool's cases (random
ids of every length 2..77, real texts' ids), fed the way ``ClipPack`` feeds it (cut after
the end token when the graph is marked trimmed): every vector must keep cosine >=
``--min-cosine`` (0.995; ~0.9995 measured for ViT-B-32's shapes) to the fp32 one. For scale:
a text and its right photo score ~0.3 in CLIP and the wrong photos ~0.03 less; a 0.995
cosine moves a score by ~0.005 at most in practice. Only then is the file replaced (temp
file, fsync, rename) and marked ``skyroll.text_int8``; a second run leaves it alone. Run it
AFTER the trim tool: trimming verifies cut ids against padded ones exactly, which a graph
that quantizes its activations over the whole (padded) input no longer gives.

Needs ``onnx``, ``onnxruntime``, ``numpy``, ``tokenizers`` (the dev extra has them all):

    .venv/bin/python scripts/models/clip_text_int8.py CLIP_FOLDER [--check-only] [--min-cosine C]

Exit 0: quantized and marked (or would be, with --check-only), or already marked; 3:
refused, untouched (still fp32, still works); 2: not a readable CLIP text model; 1: the tool
itself crashed.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
import tempfile
from pathlib import Path

import numpy as np
import onnx

sys.path.insert(0, str(Path(__file__).resolve().parent))

import clip_text_trim as trim  # noqa: E402

MIN_COSINE = 0.995
MARKER_KEY, MARKER_VALUE = "skyroll.text_int8", "verified-dynamic-int8-weights"
TrimError = trim.TrimError  # one error type for both tools: ``code`` is the exit status


def is_marked(model: onnx.ModelProto) -> bool:
    return any(p.key == MARKER_KEY and p.value == MARKER_VALUE for p in model.metadata_props)


def _external_weights(model: onnx.ModelProto) -> bool:
    return any(t.data_location == onnx.TensorProto.EXTERNAL for t in model.graph.initializer)


def quantize(source: Path, target: Path) -> None:
    """``source``'s graph with int8 MatMul weights (per channel) into ``target``, marked."""
    from onnxruntime.quantization import QuantType, quantize_dynamic

    logging.getLogger().setLevel(logging.ERROR)  # its "consider pre-processing" hint
    quantize_dynamic(
        str(source),
        str(target),
        weight_type=QuantType.QInt8,
        per_channel=True,
        op_types_to_quantize=["MatMul", "Gemm"],
        extra_options={"MatMulConstBOnly": True},
    )
    model = onnx.load(str(target))
    entry = model.metadata_props.add()
    entry.key, entry.value = MARKER_KEY, MARKER_VALUE
    onnx.save(model, str(target))


def verify(
    original: Path, quantized: Path, context: int, cut: bool, minimum: float
) -> tuple[int, float]:
    """(cases, the lowest cosine between the two graphs' vectors); raises below
    ``minimum``. ``cut``: the ids go in cut after the end token, as ClipPack gives them."""
    _, _, _, pad = trim._token_ids(original.parent, context)
    before, after = trim._session(original), trim._session(quantized)
    dtype = np.int64 if "int64" in before.get_inputs()[0].type else np.int32
    name_before, name_after = before.get_inputs()[0].name, after.get_inputs()[0].name
    worst, cases = 1.0, trim.verification_ids(original.parent, context)
    for ids in cases:
        row = ids if cut else ids + [pad] * (context - len(ids))
        batch = np.array([row], dtype)
        reference = trim._unit(before.run(None, {name_before: batch})[0])
        got = after.run(None, {name_after: batch})[0]
        if not np.isfinite(got).all():
            raise TrimError(f"non-finite int8 embedding at length {len(ids)}")
        cosine = float(trim._unit(got) @ reference)
        worst = min(worst, cosine)
        if cosine < minimum:
            raise TrimError(
                f"int8 weights move the vector of a {len(ids)}-token text to cosine "
                f"{cosine:.5f} of the fp32 one (< {minimum}): kept fp32"
            )
    return len(cases), worst


def quantize_folder(folder: Path, check_only: bool = False, minimum: float = MIN_COSINE) -> str:
    """Quantize ``folder/textual/model.onnx`` in place once verified; a line saying what
    happened. Raises ``TrimError`` (folder untouched) when it cannot or must not."""
    path = folder / "textual" / "model.onnx"
    model = trim.load_model(path)
    _, length = trim.text_input(model)
    if is_marked(model):
        return f"{path}: already int8 and verified; left as is"
    if _external_weights(model):
        raise TrimError("its weights are in an external file: not quantized (kept fp32)")
    cut = trim.is_marked(model)
    if length is None and not cut:
        raise TrimError("a dynamic length that clip_text_trim.py did not verify: run it first")
    text_cfg = trim._read_json(folder / "config.json").get("text_cfg", {})
    context = length or int(text_cfg.get("context_length", 77))
    del model
    with tempfile.TemporaryDirectory(prefix=".int8.", dir=path.parent) as scratch:
        temp = Path(scratch) / "model.onnx"
        try:
            quantize(path, temp)
            cases, cosine = verify(path, temp, context, cut, minimum)
        except TrimError:
            raise
        except Exception as error:  # quantizer / onnxruntime load or run failures
            raise TrimError(f"the int8 graph could not be made or run ({error})") from error
        summary = (
            f"{path.stat().st_size / 1e6:.0f} -> {temp.stat().st_size / 1e6:.0f} MB, verified "
            f"on {cases} texts "
            f"(min cosine to fp32 {cosine:.5f})"
        )
        if check_only:
            return f"{path}: quantizable, not written (--check-only): {summary}"
        with temp.open("rb+") as handle:
            os.fsync(handle.fileno())
        trim._replace(temp, path)
    return f"{path}: MatMul weights now int8: {summary}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("folder", type=Path, help="an Immich-layout CLIP folder (has textual/)")
    parser.add_argument("--check-only", action="store_true", help="verify, do not write")
    parser.add_argument("--min-cosine", type=float, default=MIN_COSINE, help="per text vector")
    args = parser.parse_args(argv)
    try:
        line = quantize_folder(args.folder, args.check_only, args.min_cosine)
    except TrimError as error:
        print(f"clip_text_int8: {args.folder}: refused, left untouched: {error}", file=sys.stderr)
        return error.code
    print(f"clip_text_int8: {line}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
