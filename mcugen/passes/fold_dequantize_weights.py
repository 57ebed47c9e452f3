"""DEQUANTIZE of a constant (weight-only quantization): never executed.

The converter's weight-only and dynamic-range modes store some weights as int8 (per tensor or per channel)
and feed them to float layers through DEQUANTIZE of the constant. Executing that DEQUANTIZE every inference
would spend a float arena buffer and time on a value that never changes. This pass removes it:

* FULLY_CONNECTED, CONV_2D, DEPTHWISE_CONV_2D and BATCH_MATMUL that read the dequantized tensor as their
  weights (input 1; BATCH_MATMUL: its rhs) with a float32 input are rewired to the int8 constant itself and
  marked `op.attrs['weight_only']`: their handlers then pick the scheme 'w8' (float activations, int8
  weights and float scales read directly by the kernels mcu_<op>_w8.c). The weights stay int8 in flash, 4x
  smaller than float. Accepted: int8 weights, one scale or one scale per output channel (FULLY_CONNECTED
  and CONV_2D axis 0, DEPTHWISE_CONV_2D axis 3, BATCH_MATMUL the rhs axis of the output columns), finite
  scales, any zero point (as stored).
* Every other consumer (ADD, MUL, CONCATENATION, GATHER, an int16 weight, a scale along another axis, ...)
  reads the float32 constant this pass computes at build time: real = scale * (q - zero_point),
  per tensor or along the quantized axis, in float32 (a float32 scale times an integer of at most 16 bits
  rounded once: the same value as TFLM's and LiteRT's double product rounded to float). Those weights are
  float32 in flash (correct, not smaller).
* A DEQUANTIZE whose output is a model output is kept (it is executed).
"""
from __future__ import annotations

import numpy as np

from ..ir import Graph, Operator, Tensor

_INTEGER = ("int8", "uint8", "int16")
WEIGHT_ONLY = "weight_only"
#: operator -> the axis of its weights that the output channels run along
_WEIGHT_ONLY_OPS = {"FULLY_CONNECTED": 0, "CONV_2D": 0, "DEPTHWISE_CONV_2D": 3}


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


def weight_only_reader(op: Operator, y: Tensor, x: Tensor) -> bool:
    """True when `op` can read the int8 constant `x` (whose DEQUANTIZE gives `y`) as its weights directly."""
    if op.op == "BATCH_MATMUL" and len(x.shape) >= 2:  # the rhs; per channel along the output columns
        axis = len(x.shape) - (2 if op.options.get("adj_y") else 1)
    else:
        axis = _WEIGHT_ONLY_OPS.get(op.op)
    if axis is None or len(op.inputs) < 2 or op.inputs[1] is not y or op.inputs[0] is None:
        return False
    if sum(t is y for t in op.inputs) != 1 or op.inputs[0].dtype != "float32":
        return False
    if x.dtype != "int8" or tuple(x.shape) != tuple(y.shape):
        return False
    if op.op != "BATCH_MATMUL" and len(x.shape) not in (2, 4):
        return False
    scale = np.asarray(x.quant.scale, np.float64).reshape(-1)
    zp = np.asarray(x.quant.zero_point).reshape(-1)
    if scale.size == 0 or not np.all(np.isfinite(scale)) or zp.size != scale.size:
        return False
    if scale.size > 1 and (x.quant.axis % len(x.shape) != axis or scale.size != x.shape[axis]):
        return False
    return True


def fold_dequantize_weights(graph: Graph) -> None:
    consumers = graph.consumers()
    kept = []
    for op in graph.operators:
        x = op.inputs[0] if op.op == "DEQUANTIZE" and op.inputs else None
        y = op.outputs[0] if op.outputs else None
        if (x is not None and x.is_const and x.dtype in _INTEGER and x.quant is not None
                and y is not None and y.dtype == "float32" and y not in graph.outputs):
            others = False
            for user in {id(u): u for u in consumers.get(id(y), [])}.values():
                if weight_only_reader(user, y, x):
                    user.inputs[1] = x
                    user.attrs[WEIGHT_ONLY] = True
                else:
                    others = True
            if others:
                y.data = dequantized(x).reshape(y.shape)
            continue
        kept.append(op)
    graph.operators = kept
