"""SOFTMAX over the last axis, int8 input, int8 or int16 output (kernel: runtime_c/activation/mcu_softmax_s8.c).

TFLM (softmax_common.cc, reference Softmax): PreprocessSoftmaxScaling turns
beta * input_scale * 2^26 (in double, capped at 2^31 - 1) into a Q31 multiplier
and a left shift for Q5.26 differences; diff_min is minus
CalculateInputRadius(5, shift). The int8 output must have zero point -128 and
scale exactly 1/256; the int16 output zero point -32768 and scale 1/65536
(within 0.1%).
"""
from __future__ import annotations

import math

import numpy as np

from ..quant import f64, quantize_multiplier
from .base import Layer, OpHandler, need_quant, need_types, register

SCALED_DIFF_INTEGER_BITS = 5


def softmax_scaling(beta: float, input_scale: float) -> tuple[int, int, int]:
    """(input_multiplier, input_left_shift, diff_min) as TFLM's Prepare computes them."""
    real = min(f64(beta) * f64(input_scale) * float(1 << (31 - SCALED_DIFF_INTEGER_BITS)), float((1 << 31) - 1))
    mult, shift = quantize_multiplier(real)
    radius = math.floor(1.0 * ((1 << SCALED_DIFF_INTEGER_BITS) - 1) * (1 << (31 - SCALED_DIFF_INTEGER_BITS))
                        / (1 << shift))
    return mult, shift, -radius


@register
class Softmax(OpHandler):
    ops = ("SOFTMAX",)

    def rule_types(self, op):
        """Input is int8; output is int8 or int16; both have quantization parameters."""
        return (need_types(op, {0: ("int8",)}, ("int8", "int16"))
                or need_quant(op.inputs[0], op.outputs[0]))

    def rule_shape(self, op):
        """Input has at least one dimension and the output has the input's shape."""
        x, y = op.inputs[0], op.outputs[0]
        if len(x.shape) < 1:
            return "input is a scalar"
        return None if tuple(x.shape) == tuple(y.shape) else f"output shape {y.shape} differs from input {x.shape}"

    def rule_output_quantization(self, op):
        """An int8 output has scale 1/256 and zero point -128; an int16 output scale 1/65536 and zero point -32768."""
        y = op.outputs[0]
        if y.quant is None:
            return None
        s, zp = np.float32(y.quant.s), y.quant.zp
        if y.dtype == "int16":
            want = np.float32(1.0 / 65536)
            ok = zp == -32768 and abs(s - want) <= np.float32(0.001) * want
            return None if ok else f"int16 output quantization is ({float(s):g}, {zp}), needs (1/65536, -32768)"
        ok = zp == -128 and s == np.float32(1.0 / 256)
        return None if ok else f"output quantization is ({float(s):g}, {zp}), needs (1/256, -128)"

    def rule_beta(self, op):
        """beta * input scale exceeds 2^-26 (so that the rescaling multiplier is above one)."""
        x = op.inputs[0]
        if x.quant is None:
            return None
        beta = op.options.get("beta", 1.0)
        real = f64(beta) * f64(x.quant.s) * float(1 << (31 - SCALED_DIFF_INTEGER_BITS))
        return None if real > 1.0 else f"beta {beta:g} times input scale {x.quant.s:g} is too small"

    def lower(self, op, ctx):
        x, y = op.inputs[0], op.outputs[0]
        depth = int(x.shape[-1])
        mult, shift, diff_min = softmax_scaling(op.options.get("beta", 1.0), x.quant.s)
        fields = [("rows", x.size // depth if depth else 0), ("depth", depth), ("input_multiplier", mult),
                  ("input_left_shift", shift), ("diff_min", diff_min)]
        function = "softmax_s8_s16" if y.dtype == "int16" else "softmax_s8"
        return Layer(op, function=function, struct="softmax_params_t", fields=fields,
                     args=[ctx.ptr(x), ctx.ptr(y)], sources=("activation/mcu_softmax_s8.c",))
