"""MAXIMUM and MINIMUM with broadcasting, int8 / int16 / int32 / int64 / float32 (kernel: runtime_c/math/mcu_max_min.c).

TFLM (maximum_minimum.cc) compares the stored values and ignores the quantization
altogether: with differing input and output quantization the result is the raw
larger (smaller) stored value, not a rescaled one. mcugen does the same.
"""
from __future__ import annotations

from .base import Layer, Sig, register
from .math_common import TYPE_SUFFIX, BinaryMath

TYPES = ("int8", "int16", "int32", "int64", "float32")


class _MaxMin(BinaryMath):
    signatures = tuple(Sig("any", ((t,), (t,)), ((t,),)) for t in TYPES)
    code = 0

    def lower_any(self, op, ctx):
        x1, x2, y = op.inputs[0], op.inputs[1], op.outputs[0]
        suffix = TYPE_SUFFIX[y.dtype]
        return Layer(op, function=f"max_min_{suffix}", struct="math_binary_params_t",
                     fields=self.base_fields(op) + [("op", self.code)],
                     args=[ctx.ptr(x1), ctx.ptr(x2), ctx.ptr(y)], sources=("math/mcu_max_min.c",))


@register
class Maximum(_MaxMin):
    ops = ("MAXIMUM",)


@register
class Minimum(_MaxMin):
    ops = ("MINIMUM",)
    code = 1
