"""PACK, any element size (kernel: CONCATENATION's runtime_c/shape/mcu_concat.c).

PACK stacks `values_count` inputs of one shape along a new axis: the bytes of a
CONCATENATION of the inputs along that axis (each input seen with a size-1
dimension inserted there). TFLM (pack.cc, checked against the pip
interpreter): types int8, int16, int32, int64 and float32 (uint8 and bool fail
at Eval); `axis` negative counts from the output's rank; quantization is not
compared, bytes are copied.
"""
from __future__ import annotations

import numpy as np

from .base import Layer, OpHandler, register
from .transpose import data_ptr

TYPES = ("int8", "int16", "int32", "int64", "float32")


def _axis(op) -> int:
    a = int(op.options.get("axis", 0))
    return a + len(op.outputs[0].shape) if a < 0 else a


@register
class Pack(OpHandler):
    ops = ("PACK",)

    def rule_types(self, op):
        """Inputs and output have one type: int8, int16, int32, int64 or float32 (TFLM's types)."""
        y = op.outputs[0]
        if y.dtype not in TYPES:
            return f"output has type {y.dtype}, needs {' or '.join(TYPES)}"
        bad = [t.dtype for t in op.inputs if t is None or t.dtype != y.dtype]
        return f"input types {bad} differ from the output's {y.dtype}" if bad else None

    def rule_geometry(self, op):
        """values_count equals the number of inputs, all of one shape; the axis (negative counts
        from the output's end) lies within the output's dimensions (at most 6), and the output is
        that shape with values_count inserted at the axis."""
        y = op.outputs[0]
        r = len(y.shape)
        n = int(op.options.get("values_count", 0) or 0)
        if n != len(op.inputs) or n < 1:
            return f"values_count {n} differs from the {len(op.inputs)} inputs"
        if not 1 <= r <= 6:
            return f"output has {r} dimensions, needs 1 to 6"
        a = int(op.options.get("axis", 0))
        if not -r <= a < r:
            return f"axis {a} is out of range for {r} output dimensions"
        shape = op.inputs[0].shape
        if any(t.shape != shape for t in op.inputs):
            return "the inputs differ in shape"
        want = list(shape)
        want.insert(_axis(op), n)
        return None if tuple(y.shape) == tuple(want) else f"output shape {y.shape}, expected {tuple(want)}"

    def lower(self, op, ctx):
        y = op.outputs[0]
        axis = _axis(op)
        outer = int(np.prod(y.shape[:axis], dtype=np.int64))
        xs = [t for t in op.inputs if t.size > 0]
        in_bytes = np.array([int(np.prod(y.shape[axis + 1:], dtype=np.int64)) * y.itemsize] * len(xs), np.int32)
        ptrs = ", ".join(data_ptr(ctx, t) for t in xs)
        fields = [("num_inputs", len(xs)), ("outer", outer),
                  ("in_bytes", ctx.const("pack_bytes", in_bytes, "int32_t") if xs else "NULL")]
        inputs = f"(const void *const[]){{{ptrs}}}" if xs else "NULL"
        return Layer(op, function="concat_b", struct="concat_params_t", fields=fields,
                     args=[inputs, ctx.ptr(y)], sources=("shape/mcu_concat.c",))
