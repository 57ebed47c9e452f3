"""RELU, RELU6 and LEAKY_RELU, int8 (kernels: runtime_c/activation/mcu_relu_s8.c, mcu_leaky_relu_s8.c).

TFLM's recipes (activations_common.cc, leaky_relu_common.cc):
  - RELU requantizes x - zi by in_scale / out_scale and clamps to
    [max(-128, zo), 127]; with equal quantization that is exactly a clamp.
  - RELU6 clamps the *input* values to [zi, quantize(6.0)] with the input's
    quantization and ignores the output quantization altogether (desktop
    TFLite requantizes instead; the two differ when the quantizations differ).
  - LEAKY_RELU uses in_scale / out_scale for x >= zi and
    |alpha| * in_scale / out_scale (negated for alpha < 0) below, both products
    taken in float32.
"""
from __future__ import annotations

import numpy as np

from ..quant import f64, quantize_multiplier, round_half_away
from .base import Layer, OpHandler, need_quant, need_types, register


class Int8Elementwise(OpHandler):
    """Rules shared by the one-input int8 element-wise activations."""

    def rule_types(self, op):
        """Input and output are int8 tensors with quantization parameters."""
        return need_types(op, {0: ("int8",)}) or need_quant(op.inputs[0], op.outputs[0])

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


def clamp_layer(op, ctx, lo: int, hi: int) -> Layer:
    x, y = op.inputs[0], op.outputs[0]
    return Layer(op, function="relu_clamp_s8", struct="relu_clamp_params_t",
                 fields=[("size", x.size), ("lo", lo), ("hi", hi)],
                 args=[ctx.ptr(x), ctx.ptr(y)], sources=("activation/mcu_relu_s8.c",))


def relu6_bounds(scale: float, zero_point: int) -> tuple[int, int]:
    """TFLM Relu6Prepare: zero point and FloatToQuantizedType<int8>(6.0f, scale, zp)."""
    six = int(round_half_away(np.float32(6.0) / np.float32(scale))) + zero_point
    return zero_point, max(-128, min(127, six))


@register
class Relu(Int8Elementwise):
    ops = ("RELU",)

    def lower(self, op, ctx):
        x, y = self.io(op)
        si, zi, so, zo = x.quant.s, x.quant.zp, y.quant.s, y.quant.zp
        act_min = max(-128, zo)  # zo + roundf(0.0f / out_scale)
        if np.float32(si) == np.float32(so) and zi == zo:
            # the multiplier of 1.0 is (2^30, shift 1), which is exactly the identity
            return clamp_layer(op, ctx, act_min, 127)
        mult, shift = quantize_multiplier(f64(si) / f64(so))
        fields = [("size", x.size), ("input_offset", zi), ("output_offset", zo),
                  ("multiplier", mult), ("shift", shift), ("act_min", act_min), ("act_max", 127)]
        return Layer(op, function="relu_s8", struct="relu_params_t", fields=fields,
                     args=[ctx.ptr(x), ctx.ptr(y)], sources=("activation/mcu_relu_s8.c",))


@register
class Relu6(Int8Elementwise):
    ops = ("RELU6",)

    def lower(self, op, ctx):
        x, _ = self.io(op)
        return clamp_layer(op, ctx, *relu6_bounds(x.quant.s, x.quant.zp))


def leaky_relu_multipliers(in_scale: float, out_scale: float, alpha: float):
    """TFLM CalculateOpDataLeakyRelu: (identity M, shift), (|alpha| M, shift), alpha < 0."""
    si, so, a = np.float32(in_scale), np.float32(out_scale), np.float32(alpha)
    identity = quantize_multiplier(f64(si / so))
    am, ash = quantize_multiplier(f64((si * a) / so))
    return identity, (abs(am), ash), int(am < 0)


@register
class LeakyRelu(Int8Elementwise):
    ops = ("LEAKY_RELU",)

    def lower(self, op, ctx):
        x, y = self.io(op)
        (im, ish), (am, ash), neg = leaky_relu_multipliers(x.quant.s, y.quant.s, op.options.get("alpha", 0.0))
        fields = [("size", x.size), ("input_offset", x.quant.zp), ("output_offset", y.quant.zp),
                  ("identity_multiplier", im), ("identity_shift", ish),
                  ("alpha_multiplier", am), ("alpha_shift", ash), ("alpha_negative", neg)]
        return Layer(op, function="leaky_relu_s8", struct="leaky_relu_params_t", fields=fields,
                     args=[ctx.ptr(x), ctx.ptr(y)], sources=("activation/mcu_leaky_relu_s8.c",))
