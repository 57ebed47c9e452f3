"""Legacy uint8 models: quantized uint8 tensors become int8 at build time, where that is exact.

Older converters wrote uint8 activations and asymmetric uint8 weights. A uint8 value q with zero point z
stands for the same real number as the int8 value q - 128 with zero point z - 128, and every operator in
SHIFT_EXACT computes only from (q - zero point) and clamps to its type's range, which shifts with it, so the
int8 kernels give the uint8 results shifted by 128, bit for bit. The pass rewrites every quantized uint8
tensor that only such operators touch (constant data shifted, zero points lowered by 128). The model's own
inputs and outputs keep their uint8 type, so the caller still passes and receives uint8: a
MCU_UINT8_TO_INT8 step after each input and a MCU_INT8_TO_UINT8 step before each output flip the top bit.

Operators outside SHIFT_EXACT keep their uint8 tensors and are reported by their support rules (AVERAGE_POOL_2D,
for instance, rounds uint8 sums half up and int8 sums half away from zero: shifting changes its results).
TFLM no longer runs most uint8 kernels; the reference for these models is LiteRT (mcugen.oracle.litert).
"""
from __future__ import annotations

import numpy as np

from ..ir import Graph, Operator, Quant, Tensor

#: operators whose int8 kernel is exact on uint8 data shifted by 128 (each checked against LiteRT in
#: tests/models/test_uint8_models.py)
SHIFT_EXACT = frozenset({
    "CONV_2D", "DEPTHWISE_CONV_2D", "FULLY_CONNECTED", "MAX_POOL_2D", "RESHAPE", "SQUEEZE", "EXPAND_DIMS",
    "CONCATENATION", "ADD", "SUB", "MUL", "SOFTMAX", "LOGISTIC", "QUANTIZE", "DEQUANTIZE",
    "MCU_UINT8_TO_INT8", "MCU_INT8_TO_UINT8",
})
TO_INT8, TO_UINT8 = "MCU_UINT8_TO_INT8", "MCU_INT8_TO_UINT8"
#: the (input, output) types of a QUANTIZE touching uint8 that the reference (LiteRT) runs; others keep
#: their uint8 tensor and are refused (e.g. int16 -> uint8, which neither TFLM nor LiteRT prepares)
QUANTIZE_PAIRS = {("uint8", "int8"), ("int8", "uint8"), ("uint8", "uint8"), ("float32", "uint8"),
                  ("uint8", "int16")}


def _exact(op: Operator) -> bool:
    if op.op not in SHIFT_EXACT:
        return False
    if op.op == "QUANTIZE":
        return (op.inputs[0].dtype, op.outputs[0].dtype) in QUANTIZE_PAIRS
    return True


def _shifted_quant(q: Quant) -> Quant:
    return Quant(scale=q.scale.copy(), zero_point=q.zero_point - 128, axis=q.axis)


def _convert(t: Tensor) -> None:
    t.dtype = "int8"
    t.quant = _shifted_quant(t.quant)
    if t.data is not None:
        t.data = (t.data.astype(np.int16) - 128).astype(np.int8)


def uint8_to_int8(graph: Graph) -> None:
    candidates = [t for t in graph.tensors if t.dtype == "uint8" and t.quant is not None]
    if not candidates:
        return
    touching: dict[int, list[Operator]] = {}
    for op in graph.operators:
        for t in op.inputs + op.outputs:
            if t is not None:
                touching.setdefault(id(t), []).append(op)
    io = {id(t) for t in graph.inputs} | {id(t) for t in graph.outputs}
    both = {id(t) for t in graph.inputs} & {id(t) for t in graph.outputs}
    exact = [t for t in candidates if id(t) not in both
             and all(_exact(op) for op in touching.get(id(t), []))]
    if not exact:
        return
    head: list[Operator] = []
    tail: list[Operator] = []
    for t in exact:
        if id(t) not in io:
            _convert(t)
            continue
        inner = Tensor(f"{t.name}/int8", t.shape, "int8", _shifted_quant(t.quant), index=t.index)
        graph.tensors.append(inner)
        for op in touching.get(id(t), []):
            op.inputs = [inner if x is t else x for x in op.inputs]
            op.outputs = [inner if x is t else x for x in op.outputs]
        if id(t) in {id(x) for x in graph.inputs}:
            head.append(Operator(TO_INT8, [t], [inner], index=-1))
        else:
            tail.append(Operator(TO_UINT8, [inner], [t], index=-1))
    graph.operators = head + graph.operators + tail
