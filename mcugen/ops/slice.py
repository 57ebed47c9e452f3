"""SLICE, any element size (kernel: STRIDED_SLICE's runtime_c/shape/mcu_strided_slice.c).

A box of the input: `begin` and `size` are constant int32 or int64 vectors with
one entry per input dimension; size -1 means "to the end". TFLM (slice.cc,
checked against the pip interpreter): ranks 1 to 5 (a 6-D SLICE crashes the
interpreter), types int8, int16, int32, float32 and bool (uint8 and int64 fail
at Eval). TFLM does not check that the box lies in the input; mcugen does.
"""
from __future__ import annotations

import numpy as np

from .base import Layer, OpHandler, register
from .transpose import data_ptr, elem_strides, gather_fields, gather_overlap, same_type

TYPES = ("int8", "int16", "int32", "float32", "bool")


def slice_box(op) -> tuple[list[int], list[int]]:
    x = op.inputs[0]
    begin = [int(v) for v in np.asarray(op.inputs[1].data).reshape(-1)]
    size = [int(v) for v in np.asarray(op.inputs[2].data).reshape(-1)]
    size = [n - b if s == -1 else s for n, b, s in zip(x.shape, begin, size)]
    return begin, size


@register
class Slice(OpHandler):
    ops = ("SLICE",)

    def rule_no_empty_output(self, op):
        """No output has a dimension of size 0 (TFLM reads it as a dynamic tensor and refuses the model)."""
        bad = [t.name for t in op.outputs if any(int(d) == 0 for d in t.shape)]
        return f"zero-size output(s) {bad}: TFLM refuses dynamic (0-sized) tensors" if bad else None

    def rule_types(self, op):
        """Input and output have the same type: int8, int16, int32, float32 or bool (TFLM's types)."""
        return same_type(op, TYPES)

    def rule_box(self, op):
        """The input has 1 to 5 dimensions; begin and size are constant int32/int64 vectors of one
        entry per dimension; 0 <= begin, size >= 0 (or -1: to the end) and begin + size within the
        input; the output shape is the sizes."""
        x, y = op.inputs[0], op.outputs[0]
        r = len(x.shape)
        if not 1 <= r <= 5:
            return f"input has {r} dimensions, TFLM's SLICE takes 1 to 5"
        for i, what in ((1, "begin"), (2, "size")):
            t = op.inputs[i] if i < len(op.inputs) else None
            if t is None or not t.is_const:
                return f"{what} must be a constant tensor"
            if t.dtype not in ("int32", "int64") or t.size != r:
                return f"{what} has type {t.dtype} and {t.size} entries, needs int32/int64 x {r}"
        begin, size = slice_box(op)
        for d, (n, b, s) in enumerate(zip(x.shape, begin, size)):
            if b < 0 or s < 0 or b + s > n:
                return f"dimension {d}: begin {b} size {s} leave the input's {n}"
        return None if tuple(y.shape) == tuple(size) else f"output shape {y.shape}, expected {tuple(size)}"

    def overlap(self, op):
        """A slice reads ahead of what it writes: the output may start at (or near) the input's start."""
        x = op.inputs[0]
        begin, size = slice_box(op)
        st = elem_strides(x.shape)
        return gather_overlap(size, st, sum(b * e for b, e in zip(begin, st)) if all(size) else 0, x.itemsize)

    def lower(self, op, ctx):
        x, y = op.inputs[0], op.outputs[0]
        begin, size = slice_box(op)
        st = elem_strides(x.shape)
        offset = sum(b * e for b, e in zip(begin, st)) if all(size) else 0
        fields = gather_fields(size, st, offset, x.itemsize)
        return Layer(op, function="strided_slice_b", struct="gather_params_t", fields=fields,
                     args=[data_ptr(ctx, x), ctx.ptr(y)], sources=("shape/mcu_strided_slice.c",))
