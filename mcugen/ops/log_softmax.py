"""LOG_SOFTMAX over the last axis, int8 (kernel: runtime_c/math/mcu_log_softmax_s8.c).

TFLM (log_softmax.cc): the output must have scale exactly 16/256 and zero point
127 (Prepare fails otherwise). PreprocessLogSoftmaxScalingExp(beta 1, input
scale, 5 integer bits): the Q5.26 input multiplier and left shift of SOFTMAX
(QuantizeMultiplierGreaterThanOne(min(scale * 2^26, 2^31 - 1))), and a reverse
scaling divisor QuantizeMultiplierSmallerThanOneExp(2^(31 - left_shift) / M);
diff_min = -CalculateInputRadius(5, left_shift). The kernel follows
LogSoftmaxQuantized (see mcu_math.h).
"""
from __future__ import annotations

import numpy as np

from ..quant import quantize_multiplier
from .base import Layer, OpHandler, Sig, need_quant, register
from .softmax import softmax_scaling

OUTPUT_SCALE = 16.0 / 256
OUTPUT_ZERO_POINT = 127


def log_softmax_params(input_scale: float) -> tuple[int, int, int, int, int]:
    """(input_multiplier, input_left_shift, reverse_scaling_divisor, reverse_scaling_shift, diff_min)."""
    mult, shift, diff_min = softmax_scaling(1.0, input_scale)
    rev_mult, rev_shift = quantize_multiplier(float(1 << (31 - shift)) / float(mult))
    return mult, shift, rev_mult, rev_shift, diff_min


@register
class LogSoftmax(OpHandler):
    ops = ("LOG_SOFTMAX",)
    signatures = (Sig("s8", (("int8",),), (("int8",),)),)

    def rule_shape(self, op):
        """Output has the input's shape, of rank at least 1, without empty dimensions."""
        x, y = op.inputs[0], op.outputs[0]
        if tuple(x.shape) != tuple(y.shape):
            return f"input {x.shape} and output {y.shape} differ"
        if not x.shape or any(d <= 0 for d in x.shape):
            return f"input shape {x.shape} is empty or rank 0"
        return None

    def rule_output_quantization(self, op):
        """Input and output are quantized per tensor; the output scale is 16/256 and its zero point 127 (TFLM)."""
        x, y = op.inputs[0], op.outputs[0]
        msg = need_quant(x, y)
        if msg:
            return msg
        if x.quant.per_channel or y.quant.per_channel:
            return "per-channel quantization is not supported"
        if np.float32(y.quant.s) != np.float32(OUTPUT_SCALE) or y.quant.zp != OUTPUT_ZERO_POINT:
            return f"output quantization ({y.quant.s:g}, {y.quant.zp}) must be (16/256, 127)"
        if not x.quant.s > 0:
            return f"input scale {x.quant.s} is not positive"
        return None

    def overlap(self, op):
        """Rows are read twice before being written: no in-place use."""
        return {}

    def lower_s8(self, op, ctx):
        x, y = op.inputs[0], op.outputs[0]
        mult, shift, rev_mult, rev_shift, diff_min = log_softmax_params(x.quant.s)
        depth = int(x.shape[-1])
        fields = [("outer", x.size // depth), ("depth", depth), ("input_multiplier", mult),
                  ("input_left_shift", shift), ("reverse_scaling_divisor", rev_mult),
                  ("reverse_scaling_shift", rev_shift), ("diff_min", diff_min)]
        return Layer(op, function="log_softmax_s8", struct="log_softmax_params_t", fields=fields,
                     args=[ctx.ptr(x), ctx.ptr(y)], sources=("math/mcu_log_softmax_s8.c",))

    # ---- float32 (scheme f32): TFLM's reference float LogSoftmax (mcu_log_softmax_f32.c) ----
    signatures = signatures + (Sig("f32", (("float32",),), (("float32",),)),)
    from .f32 import integer_only as _f32_integer_only  # an import here keeps this block append-only
    rule_output_quantization = _f32_integer_only(rule_output_quantization)
    del _f32_integer_only

    def lower_f32(self, op, ctx):
        """x - max - logf(sum expf(x - max)) per row of the last axis (expf and logf: the C library's)."""
        x, y = op.inputs[0], op.outputs[0]
        depth = int(x.shape[-1])
        fields = [("outer", x.size // depth), ("depth", depth), ("input_multiplier", 0), ("input_left_shift", 0),
                  ("reverse_scaling_divisor", 0), ("reverse_scaling_shift", 0), ("diff_min", 0)]
        return Layer(op, function="log_softmax_f32", struct="log_softmax_params_t", fields=fields,
                     args=[ctx.ptr(x), ctx.ptr(y)], sources=("math/mcu_log_softmax_f32.c",))
