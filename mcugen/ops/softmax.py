"""SOFTMAX over the last axis: int8 input with int8 or int16 output, and int16 input with int16 output
(kernels: runtime_c/activation/mcu_softmax_s8.c, mcu_softmax_s16.c).

TFLM (softmax_common.cc, reference Softmax): PreprocessSoftmaxScaling turns
beta * input_scale * 2^26 (in double, capped at 2^31 - 1) into a Q31 multiplier
and a left shift for Q5.26 differences; diff_min is minus
CalculateInputRadius(5, shift). The int8 output must have zero point -128 and
scale exactly 1/256; the int16 output zero point -32768 and scale 1/65536
(within 0.1%).

int16 input (scheme s16; softmax_common.cc, reference SoftmaxInt16): the output
is int16 with zero point 0 and scale 1/32768 (within 0.1%); differences to the
row maximum are rescaled by input_scale * beta / (10 / 65535) (QuantizeMultiplier)
and read from an exp table on [-10, 0]; the reciprocal of the sum from a
1 / (1 + x) table on [0, 1]. Both tables (513 int16 entries) are built here in
float32 exactly as TFLM's gen_lut<float, int16_t, int16_t> builds them.
"""
from __future__ import annotations

import math

import numpy as np

from ..quant import f64, quantize_multiplier, round_half_away, type_range
from .base import Layer, OpHandler, Sig, need_quant, register
from .f32 import integer_only

SCALED_DIFF_INTEGER_BITS = 5
F32 = np.float32


def gen_lut_s16(func, input_min: float, input_max: float) -> np.ndarray:
    """TFLM gen_lut<float, int16_t, int16_t>(func, input_min, input_max, -1, 1): 512 samples corrected by half
    the midpoint interpolation error, plus the value at input_max; float32 arithmetic throughout."""
    lo, hi = F32(input_min), F32(input_max)
    step = F32((hi - lo) / F32(512))
    half = F32(step / F32(2))
    scale = F32(F32(65536) / F32(F32(1) - F32(-1)))

    def rnd(v):
        return F32(round_half_away(F32(v)))
    qmin, qmax = (float(v) for v in type_range("int16"))
    out = []
    for i in range(512):
        x = F32(lo + F32(F32(i) * step))
        val, mid = func(x), func(F32(x + half))
        nxt = func(F32(lo + F32(F32(i + 1) * step)))
        sample = rnd(F32(val * scale))
        interp = rnd(F32(F32(F32(nxt * scale) + sample) / F32(2)))
        bias = rnd(F32(F32(interp - rnd(F32(mid * scale))) / F32(2)))
        out.append(min(max(float(F32(sample - bias)), qmin), qmax))
    out.append(min(max(float(rnd(F32(func(hi) * scale))), qmin), qmax))
    return np.array(out, dtype=np.int16)


def _expf(x):
    return F32(math.exp(float(x)))  # expf: the double result rounded to float


def _one_over_one_plus(x):
    return F32(F32(1) / F32(F32(1) + x))


def softmax_s16_tables() -> tuple[np.ndarray, np.ndarray]:
    """(exp table on [-10, 0], 1 / (1 + x) table on [0, 1]) of TFLM's int16 SOFTMAX Prepare."""
    return gen_lut_s16(_expf, -10.0, 0.0), gen_lut_s16(_one_over_one_plus, 0.0, 1.0)


def softmax_s16_scaling(beta: float, input_scale: float) -> tuple[int, int]:
    """(multiplier, shift) of input_scale * beta / (10 / 65535), in double."""
    return quantize_multiplier(f64(input_scale) * f64(beta) / (10.0 / 65535.0))


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

    signatures = (Sig("s8", (("int8",),), (("int8", "int16"),)), Sig("s16", (("int16",),), (("int16",),)))

    def rule_quantization(self, op):
        """Input and output have quantization parameters."""
        return need_quant(op.inputs[0], op.outputs[0])

    def rule_shape(self, op):
        """Input has at least one dimension and the output has the input's shape."""
        x, y = op.inputs[0], op.outputs[0]
        if len(x.shape) < 1:
            return "input is a scalar"
        return None if tuple(x.shape) == tuple(y.shape) else f"output shape {y.shape} differs from input {x.shape}"

    def rule_output_quantization(self, op):
        """With an int8 input, an int8 output has scale 1/256 and zero point -128 and an int16 output scale
        1/65536 and zero point -32768; with an int16 input the output has scale 1/32768 (within 0.1%) and zero
        point 0."""
        y = op.outputs[0]
        if y.quant is None:
            return None
        s, zp = np.float32(y.quant.s), y.quant.zp
        if op.inputs[0].dtype == "int16":
            want = np.float32(1.0 / 32768)
            ok = zp == 0 and abs(s - want) <= np.float32(0.001) * want
            return None if ok else f"int16 output quantization is ({float(s):g}, {zp}), needs (1/32768, 0)"
        if y.dtype == "int16":
            want = np.float32(1.0 / 65536)
            ok = zp == -32768 and abs(s - want) <= np.float32(0.001) * want
            return None if ok else f"int16 output quantization is ({float(s):g}, {zp}), needs (1/65536, -32768)"
        ok = zp == -128 and s == np.float32(1.0 / 256)
        return None if ok else f"output quantization is ({float(s):g}, {zp}), needs (1/256, -128)"

    def rule_beta(self, op):
        """int8: beta * input scale exceeds 2^-26 (so that the rescaling multiplier is above one)."""
        x = op.inputs[0]
        if x.quant is None or x.dtype != "int8":
            return None
        beta = op.options.get("beta", 1.0)
        real = f64(beta) * f64(x.quant.s) * float(1 << (31 - SCALED_DIFF_INTEGER_BITS))
        return None if real > 1.0 else f"beta {beta:g} times input scale {x.quant.s:g} is too small"

    def lower_s16(self, op, ctx):
        x, y = op.inputs[0], op.outputs[0]
        depth = int(x.shape[-1])
        mult, shift = softmax_s16_scaling(op.options.get("beta", 1.0), x.quant.s)
        exp_lut, recip_lut = softmax_s16_tables()
        fields = [("rows", x.size // depth if depth else 0), ("depth", depth), ("input_multiplier", mult),
                  ("input_left_shift", shift), ("exp_lut", ctx.const("exp_lut", exp_lut, "int16_t")),
                  ("one_over_one_plus_x_lut", ctx.const("one_over_one_plus_x_lut", recip_lut, "int16_t"))]
        return Layer(op, function="softmax_s16", struct="softmax_s16_params_t", fields=fields,
                     args=[ctx.ptr(x), ctx.ptr(y)], sources=("activation/mcu_softmax_s16.c",))

    def lower_s8(self, op, ctx):
        x, y = op.inputs[0], op.outputs[0]
        depth = int(x.shape[-1])
        mult, shift, diff_min = softmax_scaling(op.options.get("beta", 1.0), x.quant.s)
        fields = [("rows", x.size // depth if depth else 0), ("depth", depth), ("input_multiplier", mult),
                  ("input_left_shift", shift), ("diff_min", diff_min)]
        function = "softmax_s8_s16" if y.dtype == "int16" else "softmax_s8"
        return Layer(op, function=function, struct="softmax_params_t", fields=fields,
                     args=[ctx.ptr(x), ctx.ptr(y)], sources=("activation/mcu_softmax_s8.c",))

    # ---- float32 (scheme f32): TFLM's reference float Softmax (mcu_softmax_f32.c) ----
    signatures = signatures + (Sig("f32", (("float32",),), (("float32",),)),)
    rule_quantization = integer_only(rule_quantization)

    def lower_f32(self, op, ctx):
        x, y = op.inputs[0], op.outputs[0]
        depth = int(x.shape[-1])
        fields = [("rows", x.size // depth if depth else 0), ("depth", depth),
                  ("beta", float(np.float32(op.options.get("beta", 1.0))))]
        return Layer(op, function="softmax_f32", struct="softmax_f32_params_t", fields=fields,
                     args=[ctx.ptr(x), ctx.ptr(y)], sources=("activation/mcu_softmax_f32.c",))
