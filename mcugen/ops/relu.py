"""RELU, RELU6 and LEAKY_RELU, int8 and int16 (kernels: runtime_c/activation/mcu_relu_<s8|s16>.c,
mcu_leaky_relu_<s8|s16>.c).

TFLM's recipes (activations_common.cc, leaky_relu_common.cc):
  - RELU requantizes x - zi by in_scale / out_scale and clamps to
    [max(type min, zo), type max]; with equal quantization that is exactly a
    clamp. For int16 TFLM requires both zero points to be 0.
  - RELU6 clamps the *input* values to [zi, quantize(6.0)] with the input's
    quantization and ignores the output quantization altogether (desktop
    TFLite requantizes instead; the two differ when the quantizations differ).
  - LEAKY_RELU uses in_scale / out_scale for x >= zi and
    |alpha| * in_scale / out_scale (negated for alpha < 0) below, both taken in
    double from the float32 values (the oracle matches double on every int16
    input where float32 quotients would round 7 of 65536 values differently;
    some TFLM sources write float32 here); the result is clamped to the
    type's range.
The int16 versions (scheme s16) are the same recipes on int16 data; RELU6 and
LEAKY_RELU accept any int16 zero point, as TFLM does.
float32 (scheme f32, runtime_c/activation/mcu_relu_f32.c): TFLM's ReluFloat (x < 0 ? 0 : x), Relu6Float
and reference LeakyRelu (x > 0 ? x : x * alpha); RELU_N1_TO_1 is float32 only (TFLM has no kernel; LiteRT's
Relu1 is the reference).
"""
from __future__ import annotations

import numpy as np

from ..quant import f64, quantize_multiplier, round_half_away, type_range
from .base import Layer, OpHandler, Sig, need_quant, register
from .f32 import integer_only

S8 = Sig("s8", (("int8",),), (("int8",),))
S16 = Sig("s16", (("int16",),), (("int16",),))
F32 = Sig("f32", (("float32",),), (("float32",),))


class UnaryElementwise(OpHandler):
    """Rules shared by the one-input element-wise activations (input and output of one type)."""

    signatures = (S8, S16)

    def rule_quantization(self, op):
        """Input and output have quantization parameters."""
        return need_quant(op.inputs[0], op.outputs[0])

    def rule_same_size(self, op):
        """Output has as many elements as the input."""
        x, y = op.inputs[0], op.outputs[0]
        return None if x.size == y.size else f"input {x.shape} and output {y.shape} differ in size"

    @staticmethod
    def io(op):
        return op.inputs[0], op.outputs[0]

    def overlap(self, op):
        """Element i is read before element i is written, and never read again: fully in place."""
        return {0: (0, None)}

    # ---- float32 (scheme f32): TFLM's reference float kernels, element by element (mcu_activation.h) ----
    signatures = signatures + (F32,)
    rule_quantization = integer_only(rule_quantization)
    f32_kernel = ""                               # <kernel>_f32 in f32_source
    f32_source = "activation/mcu_relu_f32.c"

    def lower_f32(self, op, ctx):
        """No constants: the float formula of TFLM's kernel per element (alpha for LEAKY_RELU)."""
        x, y = self.io(op)
        fields = [("size", x.size), ("alpha", float(op.options.get("alpha", 0.0)))]
        return Layer(op, function=f"{self.f32_kernel}_f32", struct="act_f32_params_t", fields=fields,
                     args=[ctx.ptr(x), ctx.ptr(y)], sources=(self.f32_source,))


def scheme_of(dtype: str) -> str:
    return {"int8": "s8", "int16": "s16"}[dtype]


def clamp_layer(op, ctx, lo: int, hi: int) -> Layer:
    x, y = op.inputs[0], op.outputs[0]
    sc = scheme_of(x.dtype)
    return Layer(op, function=f"relu_clamp_{sc}", struct="relu_clamp_params_t",
                 fields=[("size", x.size), ("lo", lo), ("hi", hi)],
                 args=[ctx.ptr(x), ctx.ptr(y)], sources=(f"activation/mcu_relu_{sc}.c", "activation/mcu_relu_impl.h"))


def relu6_bounds(scale: float, zero_point: int, dtype: str = "int8") -> tuple[int, int]:
    """TFLM Relu6Prepare: zero point and FloatToQuantizedType<T>(6.0f, scale, zp), T the input's type."""
    qmin, qmax = type_range(dtype)
    six = int(round_half_away(np.float32(6.0) / np.float32(scale))) + zero_point
    return zero_point, max(qmin, min(qmax, six))


def _zero_points_zero_int16(op) -> str | None:
    for t in (op.inputs[0], op.outputs[0]):
        if t.dtype == "int16" and t.quant is not None and t.quant.zp != 0:
            return f"int16 tensor '{t.name}' has zero point {t.quant.zp}, TFLM requires 0"
    return None


@register
class Relu(UnaryElementwise):
    ops = ("RELU",)
    f32_kernel = "relu"

    def rule_int16_zero_points(self, op):
        """int16 input and output have zero point 0 (TFLM's RELU requires it)."""
        return _zero_points_zero_int16(op)

    def lower_s8(self, op, ctx):
        return self._lower(op, ctx)

    lower_s16 = lower_s8

    def _lower(self, op, ctx):
        x, y = self.io(op)
        si, zi, so, zo = x.quant.s, x.quant.zp, y.quant.s, y.quant.zp
        qmin, qmax = type_range(y.dtype)
        act_min = max(qmin, zo)  # zo + roundf(0.0f / out_scale)
        if np.float32(si) == np.float32(so) and zi == zo:
            # the multiplier of 1.0 is (2^30, shift 1), which is exactly the identity
            return clamp_layer(op, ctx, act_min, qmax)
        mult, shift = quantize_multiplier(f64(si) / f64(so))
        sc = scheme_of(x.dtype)
        fields = [("size", x.size), ("input_offset", zi), ("output_offset", zo),
                  ("multiplier", mult), ("shift", shift), ("act_min", act_min), ("act_max", qmax)]
        return Layer(op, function=f"relu_{sc}", struct="relu_params_t", fields=fields, args=[ctx.ptr(x), ctx.ptr(y)],
                     sources=(f"activation/mcu_relu_{sc}.c", "activation/mcu_relu_impl.h"))


@register
class Relu6(UnaryElementwise):
    ops = ("RELU6",)
    f32_kernel = "relu6"

    def lower_s8(self, op, ctx):
        x, _ = self.io(op)
        return clamp_layer(op, ctx, *relu6_bounds(x.quant.s, x.quant.zp, x.dtype))

    lower_s16 = lower_s8


def leaky_relu_multipliers(in_scale: float, out_scale: float, alpha: float):
    """TFLM CalculateOpDataLeakyRelu: (identity M, shift), (|alpha| M, shift), alpha < 0."""
    si, so, a = f64(in_scale), f64(out_scale), f64(alpha)
    identity = quantize_multiplier(si / so)
    am, ash = quantize_multiplier(si * a / so)
    return identity, (abs(am), ash), int(am < 0)


@register
class LeakyRelu(UnaryElementwise):
    ops = ("LEAKY_RELU",)
    f32_kernel = "leaky_relu"

    def lower_s8(self, op, ctx):
        x, y = self.io(op)
        (im, ish), (am, ash), neg = leaky_relu_multipliers(x.quant.s, y.quant.s, op.options.get("alpha", 0.0))
        sc = scheme_of(x.dtype)
        fields = [("size", x.size), ("input_offset", x.quant.zp), ("output_offset", y.quant.zp),
                  ("identity_multiplier", im), ("identity_shift", ish),
                  ("alpha_multiplier", am), ("alpha_shift", ash), ("alpha_negative", neg)]
        return Layer(op, function=f"leaky_relu_{sc}", struct="leaky_relu_params_t", fields=fields,
                     args=[ctx.ptr(x), ctx.ptr(y)],
                     sources=(f"activation/mcu_leaky_relu_{sc}.c", "activation/mcu_leaky_relu_impl.h"))

    lower_s16 = lower_s8


@register
class ReluN1To1(UnaryElementwise):
    """RELU_N1_TO_1 (clamp to [-1, 1]): float32 only. TFLM has no kernel for it (its interpreter fails to
    prepare such a model), so the float kernel follows LiteRT's reference Relu1 and is tested against it."""
    ops = ("RELU_N1_TO_1",)
    signatures = (F32,)
    f32_kernel = "relu_n1_to_1"
