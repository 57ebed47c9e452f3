"""LOGISTIC and TANH, int8 (kernels: runtime_c/activation/mcu_logistic_s8.c, mcu_tanh_s8.c).

TFLM (logistic_common.cc, tanh.cc) rescales x - zi to Q4.27 with
input_scale * 2^27 split by frexp into a Q31 multiplier and a left shift, and
saturates inputs at or beyond CalculateInputRadius(4, shift). The output
quantization is fixed by the recipe: LOGISTIC writes scale 1/256 with zero point
-128 (TFLM checks only the zero point and ignores the declared scale), TANH
writes scale 1/128 with zero point 0 (TFLM checks neither and ignores both).
"""
from __future__ import annotations

import math

from ..quant import f64, round_half_away
from .base import Layer, register
from .relu import Int8Elementwise

INPUT_INTEGER_BITS = 4


def sigmoid_params(input_scale: float) -> tuple[int, int, int]:
    """(multiplier, left shift, input range radius) as TFLM's Prepare computes them."""
    real = f64(input_scale) * float(1 << (31 - INPUT_INTEGER_BITS))
    q, shift = math.frexp(real)
    mult = int(round_half_away(q * (1 << 31)))
    radius = math.floor(1.0 * ((1 << INPUT_INTEGER_BITS) - 1) * (1 << (31 - INPUT_INTEGER_BITS)) / (1 << shift))
    return mult, shift, radius


class _Sigmoid(Int8Elementwise):
    function = ""

    def rule_input_scale(self, op):
        """The input scale is at least 2^-28 and below 2^35 (TFLM's radius arithmetic needs a shift in [0, 62])."""
        if op.inputs[0].quant is None:
            return None
        s = op.inputs[0].quant.s
        shift = math.frexp(f64(s) * float(1 << (31 - INPUT_INTEGER_BITS)))[1]
        return None if 0 <= shift <= 62 else f"input scale {s:g} is out of range"

    def lower(self, op, ctx):
        x, y = self.io(op)
        mult, shift, radius = sigmoid_params(x.quant.s)
        fields = [("size", x.size), ("input_zero_point", x.quant.zp), ("input_range_radius", radius),
                  ("input_multiplier", mult), ("input_left_shift", shift)]
        return Layer(op, function=self.function, struct="sigmoid_params_t", fields=fields,
                     args=[ctx.ptr(x), ctx.ptr(y)], sources=(f"activation/mcu_{self.function}.c",))


@register
class Logistic(_Sigmoid):
    ops = ("LOGISTIC",)
    function = "logistic_s8"

    def rule_output_zero_point(self, op):
        """The output zero point is -128 (the output scale is taken to be 1/256 whatever it says)."""
        q = op.outputs[0].quant
        zp = q.zp if q is not None else -128
        return None if zp == -128 else f"output zero point is {zp}, TFLM requires -128"


@register
class Tanh(_Sigmoid):
    ops = ("TANH",)
    function = "tanh_s8"
