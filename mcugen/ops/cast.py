"""CAST (kernel: runtime_c/shape/mcu_cast.c).

TFLM's cast.cc (checked against the pip interpreter) converts between int8,
int16, int32, float32 and bool in every direction (uint8 and int64 fail at
Eval). It is C++'s static_cast element by element: no quantization is applied
(the raw integer values convert). Measured on the pip interpreter: float ->
integer truncates toward zero and saturates at the output type's limits (NaN
gives 0), integers wrap into a narrower type, anything -> bool is (x != 0).
"""
from __future__ import annotations

from .base import Layer, OpHandler, register
from .transpose import data_ptr

CODES = {"int8": 0, "int16": 1, "int32": 2, "float32": 3, "bool": 4}


@register
class Cast(OpHandler):
    ops = ("CAST",)

    def rule_types(self, op):
        """Input and output are each int8, int16, int32, float32 or bool (TFLM's pairs)."""
        x, y = op.inputs[0], op.outputs[0]
        for role, t in (("input", x), ("output", y)):
            if t.dtype not in CODES:
                return f"{role} has type {t.dtype}, needs one of {', '.join(CODES)}"
        return None

    def rule_same_size(self, op):
        """Input and output have the same number of elements."""
        x, y = op.inputs[0], op.outputs[0]
        return None if x.size == y.size else f"input has {x.size} elements, output {y.size}"

    def overlap(self, op):
        """Element by element, each read (through memcpy) before it is written: in place when the
        output's elements are no wider than the input's."""
        x, y = op.inputs[0], op.outputs[0]
        return {0: (0, None)} if y.itemsize <= x.itemsize else {}

    def lower(self, op, ctx):
        x, y = op.inputs[0], op.outputs[0]
        fields = [("size", y.size), ("in_type", CODES[x.dtype]), ("out_type", CODES[y.dtype])]
        return Layer(op, function="cast_b", struct="cast_params_t", fields=fields,
                     args=[data_ptr(ctx, x), ctx.ptr(y, "void")], sources=("shape/mcu_cast.c",))
