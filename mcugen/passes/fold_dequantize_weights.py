"""DEQUANTIZE of a constant (weight-only quantization): evaluated at build time.

The converter's weight-only and dynamic-range modes store some weights as int8 (per tensor or per channel)
and feed them to float layers through DEQUANTIZE of the constant. Executing that DEQUANTIZE every inference
would spend a float arena buffer and time on a value that never changes; this pass replaces its output by
the float constant it computes: real = scale * (q - zero_point), per tensor or along the quantized axis, in
float32 (a float32 scale times an integer of at most 16 bits rounded once: the same value as TFLM's and
LiteRT's double product rounded to float).

Limitation: the folded weights are float32 in flash (correct, but not smaller); a float kernel that reads the
int8 weights and their scales directly would keep them 4x smaller.
"""
from __future__ import annotations

import numpy as np

from ..ir import Graph

_INTEGER = ("int8", "uint8", "int16")


def dequantized(t) -> np.ndarray:
    """The float32 value of a quantized constant tensor."""
    q = t.data.astype(np.int64)
    scale = np.asarray(t.quant.scale, np.float32).reshape(-1)
    zp = np.asarray(t.quant.zero_point, np.int64).reshape(-1)
    if scale.size > 1:
        shape = [1] * q.ndim
        shape[t.quant.axis] = scale.size
        scale, zp = scale.reshape(shape), zp.reshape(shape)
    return (scale * (q - zp).astype(np.float32)).astype(np.float32)


def fold_dequantize_weights(graph: Graph) -> None:
    kept = []
    for op in graph.operators:
        x = op.inputs[0] if op.op == "DEQUANTIZE" and op.inputs else None
        y = op.outputs[0] if op.outputs else None
        if (x is not None and x.is_const and x.dtype in _INTEGER and x.quant is not None
                and y is not None and y.dtype == "float32" and y not in graph.outputs):
            y.data = dequantized(x).reshape(y.shape)
            continue
        kept.append(op)
    graph.operators = kept
