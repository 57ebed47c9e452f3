"""ARG_MAX and ARG_MIN along a constant axis: int8 or float32 input, int32 output (kernel:
runtime_c/math/mcu_arg_max.c).

TFLM (arg_min_max.cc, reference ArgMinMax) takes int8 and float32 inputs, an int32
axis tensor and an int32 output only (int16 inputs, int64 axes or outputs fail in
Eval); it returns the index of the first largest (smallest) stored value, comparing
with strict > (<), so ties keep the lowest index. The quantization is not looked at.
"""
from __future__ import annotations

import numpy as np

from .base import Layer, OpHandler, Sig, register

MAX_RANK = 6


@register
class ArgMinMax(OpHandler):
    ops = ("ARG_MAX", "ARG_MIN")
    signatures = (Sig("s8", (("int8",), ("int32",)), (("int32",),)),
                  Sig("f32", (("float32",), ("int32",)), (("int32",),)))

    @staticmethod
    def axis(op) -> int:
        rank = len(op.inputs[0].shape)
        a = int(np.asarray(op.inputs[1].data).ravel()[0])
        if not -rank <= a < rank:
            raise ValueError(f"axis {a} is out of range for a rank-{rank} input")
        return a + rank if a < 0 else a

    def rule_axis(self, op):
        """The axis is a constant with one value in [-rank, rank); the input has rank 1 to 6 and no empty
        dimension."""
        x, ax = op.inputs[0], op.inputs[1]
        if not ax.is_const:
            return "the axis tensor must be constant"
        if ax.size != 1:
            return f"the axis tensor has {ax.size} values, needs 1"
        if not 1 <= len(x.shape) <= MAX_RANK:
            return f"input rank {len(x.shape)} is outside 1..{MAX_RANK}"
        if any(d <= 0 for d in x.shape):
            return f"input shape {x.shape} has an empty dimension"
        try:
            self.axis(op)
        except ValueError as e:
            return str(e)
        return None

    def rule_output_size(self, op):
        """The output has one element per position of the other dimensions."""
        try:
            a = self.axis(op)
        except (ValueError, TypeError, IndexError):
            return None
        x = op.inputs[0]
        want = x.size // x.shape[a]
        return None if op.outputs[0].size == want else f"output has {op.outputs[0].size} elements, needs {want}"

    def _lower(self, op, ctx, suffix):
        x, y = op.inputs[0], op.outputs[0]
        a = self.axis(op)
        outer = int(np.prod(x.shape[:a], dtype=np.int64))
        inner = int(np.prod(x.shape[a + 1:], dtype=np.int64))
        fields = [("outer", outer), ("axis", int(x.shape[a])), ("inner", inner), ("is_min", int(op.op == "ARG_MIN"))]
        return Layer(op, function=f"arg_max_{suffix}", struct="arg_max_params_t", fields=fields,
                     args=[ctx.ptr(x), ctx.ptr(y)], sources=("math/mcu_arg_max.c",))

    def lower_s8(self, op, ctx):
        return self._lower(op, ctx, "s8")

    def lower_f32(self, op, ctx):
        return self._lower(op, ctx, "f32")
