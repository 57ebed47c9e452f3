"""GATHER (kernels: runtime_c/shape/mcu_gather_index.c; constant indices: the strided gather).

output = input[..batch.., outer.., indices[batch][...], inner..]: the output
shape is input.shape[:axis] + indices.shape[batch_dims:] + input.shape[axis+1:].
TFLM (gather.cc, checked against the pip interpreter): input int8 or float32
(int16, int32, uint8, int64 and bool refused at Prepare), indices int32 (int64
refused), `axis` and `batch_dims` negative counting from the input's / the
indices' rank, batch_dims <= axis, the first batch_dims dimensions of input and
indices equal. An index outside the axis fails TFLM's invoke: mcugen refuses a
constant one at build time and writes a zero slice for a run-time one.
Constant indices go to flash and run through the same kernel; a constant input
(an embedding table) is read from flash.
"""
from __future__ import annotations

import numpy as np

from .base import Layer, OpHandler, register
from .transpose import data_ptr

TYPES = ("int8", "float32")


def _dims(op) -> tuple[int, int]:
    x, idx = op.inputs[0], op.inputs[1]
    axis = int(op.options.get("axis", 0))
    bd = int(op.options.get("batch_dims", 0))
    axis += len(x.shape) if axis < 0 else 0
    bd += len(idx.shape) if bd < 0 else 0
    return axis, bd


@register
class Gather(OpHandler):
    ops = ("GATHER",)

    def rule_types(self, op):
        """Input and output are int8 or float32 (one type) and the indices int32 (TFLM's types)."""
        x, idx, y = op.inputs[0], op.inputs[1], op.outputs[0]
        if x.dtype not in TYPES:
            return f"input has type {x.dtype}, needs {' or '.join(TYPES)}"
        if y.dtype != x.dtype:
            return f"output has type {y.dtype}, the input {x.dtype}"
        if idx is None or idx.dtype != "int32":
            return f"indices have type {idx.dtype if idx is not None else '-'}, needs int32"
        return None

    def rule_geometry(self, op):
        """axis lies within the input's dimensions, 0 <= batch_dims <= axis and batch_dims <= the
        indices' rank, the first batch_dims dimensions of input and indices are equal, constant
        indices lie within the axis, and the output shape is input[:axis] + indices[batch_dims:] +
        input[axis+1:]."""
        x, idx, y = op.inputs[0], op.inputs[1], op.outputs[0]
        r = len(x.shape)
        a0, b0 = int(op.options.get("axis", 0)), int(op.options.get("batch_dims", 0))
        if not -r <= a0 < r:
            return f"axis {a0} is out of range for {r} dimensions"
        axis, bd = _dims(op)
        if not 0 <= bd <= min(axis, len(idx.shape)):
            return f"batch_dims {b0} must lie in 0..min(axis {axis}, indices rank {len(idx.shape)})"
        if tuple(x.shape[:bd]) != tuple(idx.shape[:bd]):
            return f"the first {bd} dimensions of input {x.shape} and indices {idx.shape} differ"
        if idx.is_const:
            v = np.asarray(idx.data).reshape(-1)
            if v.size and (v.min() < 0 or v.max() >= x.shape[axis]):
                return f"an index lies outside 0..{x.shape[axis] - 1}"
        want = tuple(x.shape[:axis]) + tuple(idx.shape[bd:]) + tuple(x.shape[axis + 1:])
        return None if tuple(y.shape) == want else f"output shape {y.shape}, expected {want}"

    def lower(self, op, ctx):
        x, idx, y = op.inputs[0], op.inputs[1], op.outputs[0]
        axis, bd = _dims(op)
        batches = int(np.prod(x.shape[:bd], dtype=np.int64))
        outer = int(np.prod(x.shape[bd:axis], dtype=np.int64))
        coords = int(np.prod(idx.shape[bd:], dtype=np.int64))
        inner = int(np.prod(x.shape[axis + 1:], dtype=np.int64)) * x.itemsize
        fields = [("batches", batches), ("outer", outer), ("axis_size", int(x.shape[axis])),
                  ("coords", coords), ("inner_bytes", inner)]
        return Layer(op, function="gather_index_b", struct="gather_index_params_t", fields=fields,
                     args=[data_ptr(ctx, x), ctx.ptr(idx, "int32_t"), ctx.ptr(y, "void")],
                     sources=("shape/mcu_gather_index.c",))
