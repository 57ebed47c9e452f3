"""LOGISTIC and TANH, int8 and int16 (kernels: runtime_c/activation/mcu_<logistic|tanh>_<s8|s16>.c).

TFLM (logistic_common.cc, tanh.cc) rescales x - zi to Q4.27 with
input_scale * 2^27 split by frexp into a Q31 multiplier and a left shift, and
saturates inputs at or beyond CalculateInputRadius(4, shift). The output
quantization is fixed by the recipe: LOGISTIC writes scale 1/256 with zero point
-128 (TFLM checks only the zero point and ignores the declared scale), TANH
writes scale 1/128 with zero point 0 (TFLM checks neither and ignores both).

int16 (logistic_common.cc, tanh.cc, reference integer_ops logistic.h/tanh.h):
zero points 0 and an output scale of 2^-15 (CheckedLog2) are required. The input
goes to the scale 1/(3 * 4096) of a 256-entry table of sigmoid(i/24) with linear
interpolation (tanh reads it at twice the argument). A power-of-two input scale
of 2^-12 (LOGISTIC; TANH also 2^-11) multiplies by 3 << shift; any other scale
becomes an integer multiplier <= 32767 and a right shift, doubled until the
multiplier exceeds 32767 / 2 (truncated, not rounded, as TFLM does).

float32 (mcu_logistic_f32.c): TFLM's reference Logistic (1 above 16.619047, expf(x) below -9, else
1 / (1 + expf(-x))) and Tanh (tanhf). Bit-exact on the host (glibc, as TFLM's interpreter); on Arm,
newlib's expf differs from glibc's by up to 2 ulp of the LOGISTIC output (1.2e-7), tanhf not at all.
"""
from __future__ import annotations

import math

import numpy as np

from ..quant import checked_log2, f64, round_half_away
from .base import Layer, register
from .relu import UnaryElementwise

INPUT_INTEGER_BITS = 4
S16_INPUT_INTEGER_BITS = 3
S16_OUTPUT_LOG2 = -15


def sigmoid_table_s16() -> np.ndarray:
    """The uint16 table of sigmoid(i / 24) in 0.16 format that TFLM's int16 LOGISTIC and TANH interpolate.

    Entry i is 65536 * sigmoid(i / 24) corrected by half the error of linear interpolation at the midpoint
    (i + 1/2), rounded; the last entry is the saturated value 65535."""
    f = [65536.0 / (1.0 + math.exp(-i / 48.0)) for i in range(513)]  # f[2i] = value at i, f[2i+1] at i + 1/2
    t = [math.floor(f[2 * i] + (f[2 * i + 1] - (f[2 * i] + f[2 * i + 2]) / 2) / 2 + 0.5) for i in range(255)]
    return np.array(t + [65535], dtype=np.uint16)


def sigmoid_s16_params(input_scale: float, tanh: bool) -> tuple[int, int]:
    """(input multiplier, right shift) of TFLM's int16 Prepare, with the power-of-two case folded in
    (multiplier 3 << shift, shift 0)."""
    pot, log2 = checked_log2(input_scale)
    shift = (15 - S16_INPUT_INTEGER_BITS) + log2
    if pot and (shift == 0 or (tanh and shift == 1)):
        return 3 << shift, 0
    m, shift = f64(input_scale) * 4096.0 * 3.0, 0
    while m <= 32767.0 / 2.0 and shift <= 30:
        shift += 1
        m *= 2.0
    return int(m), shift


def sigmoid_params(input_scale: float) -> tuple[int, int, int]:
    """(multiplier, left shift, input range radius) as TFLM's Prepare computes them."""
    real = f64(input_scale) * float(1 << (31 - INPUT_INTEGER_BITS))
    q, shift = math.frexp(real)
    mult = int(round_half_away(q * (1 << 31)))
    radius = math.floor(1.0 * ((1 << INPUT_INTEGER_BITS) - 1) * (1 << (31 - INPUT_INTEGER_BITS)) / (1 << shift))
    return mult, shift, radius


class _Sigmoid(UnaryElementwise):
    kernel = ""
    f32_source = "activation/mcu_logistic_f32.c"  # float32: TFLM's reference Logistic / Tanh (expf, tanhf)

    def rule_input_scale(self, op):
        """int8: the input scale is at least 2^-28 and below 2^35 (TFLM's radius arithmetic needs a shift in
        [0, 62]). int16: the input scale is below 32768 / 12288 (TFLM's int16 multiplier must fit in 15 bits)."""
        if op.inputs[0].quant is None:
            return None
        s = op.inputs[0].quant.s
        if op.inputs[0].dtype == "int16":
            m, _ = sigmoid_s16_params(s, self.kernel == "tanh")
            return None if m <= 32767 else f"int16 input scale {s:g} is too large (at most 32767 / 12288)"
        shift = math.frexp(f64(s) * float(1 << (31 - INPUT_INTEGER_BITS)))[1]
        return None if 0 <= shift <= 62 else f"input scale {s:g} is out of range"

    def rule_int16_quantization(self, op):
        """int16: input and output zero points are 0 and the output scale is 2^-15 (within 0.1% in log2)."""
        x, y = self.io(op)
        if x.dtype != "int16" or x.quant is None or y.quant is None:
            return None
        if x.quant.zp != 0 or y.quant.zp != 0:
            return f"int16 zero points are ({x.quant.zp}, {y.quant.zp}), TFLM requires 0"
        pot, log2 = checked_log2(y.quant.s)
        return None if pot and log2 == S16_OUTPUT_LOG2 else f"int16 output scale {y.quant.s:g} is not 1/32768"

    def lower_s8(self, op, ctx):
        x, y = self.io(op)
        mult, shift, radius = sigmoid_params(x.quant.s)
        fields = [("size", x.size), ("input_zero_point", x.quant.zp), ("input_range_radius", radius),
                  ("input_multiplier", mult), ("input_left_shift", shift)]
        return Layer(op, function=f"{self.kernel}_s8", struct="sigmoid_params_t", fields=fields,
                     args=[ctx.ptr(x), ctx.ptr(y)], sources=(f"activation/mcu_{self.kernel}_s8.c",))

    def lower_s16(self, op, ctx):
        x, y = self.io(op)
        mult, shift = sigmoid_s16_params(x.quant.s, self.kernel == "tanh")
        table = ctx.const("sigmoid_table", sigmoid_table_s16(), "uint16_t")
        fields = [("size", x.size), ("input_multiplier", mult), ("input_right_shift", shift), ("table", table)]
        return Layer(op, function=f"{self.kernel}_s16", struct="sigmoid_s16_params_t", fields=fields,
                     args=[ctx.ptr(x), ctx.ptr(y)], sources=("activation/mcu_logistic_s16.c",))  # TANH shares it


@register
class Logistic(_Sigmoid):
    ops = ("LOGISTIC",)
    kernel = "logistic"
    f32_kernel = "logistic"

    def rule_output_zero_point(self, op):
        """int8: the output zero point is -128 (the output scale is taken to be 1/256 whatever it says)."""
        q = op.outputs[0].quant
        if op.outputs[0].dtype != "int8":
            return None
        zp = q.zp if q is not None else -128
        return None if zp == -128 else f"output zero point is {zp}, TFLM requires -128"


@register
class Tanh(_Sigmoid):
    ops = ("TANH",)
    kernel = "tanh"
    f32_kernel = "tanh"
