"""Constant folding: evaluate at build time every operator whose inputs are known.

Converters emit SHAPE -> STRIDED_SLICE -> PACK -> RESHAPE chains for Flatten
and dynamic reshapes; SHAPE of a tensor with a static shape is a constant, and
the rest of the chain then folds. Only shape-like integer arithmetic and data
movement are evaluated here (never quantized math), so folding cannot change
a result.
"""
from __future__ import annotations

import numpy as np

from ..ir import Graph, Operator


def _strided_slice(op: Operator, x, begin, end, strides):
    o = op.options
    idx = []
    for d in range(len(begin)):
        b, e, s = int(begin[d]), int(end[d]), int(strides[d])
        if o.get("begin_mask", 0) >> d & 1:
            b = None
        if o.get("end_mask", 0) >> d & 1:
            e = None
        if o.get("shrink_axis_mask", 0) >> d & 1:
            idx.append(b)
            continue
        idx.append(slice(b, e, s))
    return np.asarray(x[tuple(idx)])


def _reshape(op: Operator, x, *rest):
    return x.reshape(op.outputs[0].shape)


EVAL = {
    "SHAPE": lambda op, x: np.array(op.inputs[0].shape, dtype=op.outputs[0].dtype),
    "STRIDED_SLICE": _strided_slice,
    "PACK": lambda op, *xs: np.stack(xs, axis=op.options.get("axis", 0)),
    "CONCATENATION": lambda op, *xs: np.concatenate(xs, axis=op.options.get("axis", 0)),
    "RESHAPE": _reshape,
    "SQUEEZE": _reshape,
    "EXPAND_DIMS": _reshape,
    "CAST": lambda op, x: x,
    "GATHER": lambda op, x, i: np.take(x, i, axis=op.options.get("axis", 0)),
    "TRANSPOSE": lambda op, x, perm: np.transpose(x, perm),
    "MUL": lambda op, a, b: a * b,
    "ADD": lambda op, a, b: a + b,
    "SUB": lambda op, a, b: a - b,
}
_QUANTIZED_MATH = ("MUL", "ADD", "SUB")


def _foldable(op: Operator) -> bool:
    if op.op not in EVAL:
        return False
    if op.op == "SHAPE":
        return all(d > 0 for d in op.inputs[0].shape)
    if op.op in _QUANTIZED_MATH and any(t.quant is not None for t in op.inputs + op.outputs if t is not None):
        return False
    if op.op in ("RESHAPE", "SQUEEZE", "EXPAND_DIMS"):
        return op.inputs[0].is_const
    return all(t is None or t.is_const for t in op.inputs)


def fold_constants(graph: Graph) -> None:
    kept = []
    for op in graph.operators:
        if not _foldable(op):
            kept.append(op)
            continue
        args = [t.data for t in op.inputs if t is not None]
        value = EVAL[op.op](op, *args)
        out = op.outputs[0]
        out.data = np.asarray(value).astype(out.dtype).reshape(out.shape)
    graph.operators = kept
