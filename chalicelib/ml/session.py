"""onnxruntime sessions configured for Lambda-sized machines."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    import onnxruntime as ort
    from numpy.typing import NDArray


def open_session(path: Path | str, threads: int = 0) -> ort.InferenceSession:
    """A CPU session. ``threads=0`` lets onnxruntime use every core it sees.

    Graph optimisations are on (constant folding makes the exported graphs faster);
    the memory arena is kept because batches repeat the same shapes.
    """
    import onnxruntime as ort

    options = ort.SessionOptions()
    options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    options.intra_op_num_threads = threads
    options.inter_op_num_threads = 1
    options.log_severity_level = 3  # errors only: the exported graphs trigger harmless warnings
    return ort.InferenceSession(str(path), sess_options=options, providers=["CPUExecutionProvider"])


def l2_normalize(x: NDArray[np.floating]) -> NDArray[np.float32]:
    """Unit rows (or a unit vector); an all-zero row stays zero instead of becoming NaN."""
    norms = np.linalg.norm(x, axis=-1, keepdims=True)
    result: NDArray[np.float32] = (x / np.maximum(norms, 1e-12)).astype(np.float32)
    return result
