"""SQUARED_DIFFERENCE with broadcasting: int8, int16 (quantized), int32, float32
(kernel: runtime_c/math/mcu_squared_difference_s8.c).

TFLM (squared_difference.cc PrepareQuantized), in double from the float32 scales:
  twice = 2 * max(s1, s2);  m1 = s1 / twice;  m2 = s2 / twice   (QuantizeMultiplierSmallerThanOneExp)
  mo = twice^2 / float((1 << 2 * left_shift) * so)              (QuantizeMultiplier, may exceed 1)
left_shift is 7 for int8 and 0 for int16 (whose zero points must all be 0). Each
input becomes RoundingDivideByPOT(SRDHM((q - zp) << left_shift, m), -shift); the
difference is squared in int32, requantized by mo, offset by the output zero
point and clamped to the output type. int32 and float32 square the raw
difference (int32 wraps).
"""
from __future__ import annotations

import numpy as np

from ..quant import f64, quantize_multiplier, type_range
from .base import Layer, Sig, need_quant, register
from .math_common import BinaryMath

LEFT_SHIFT = {"int8": 7, "int16": 0}


def squared_difference_multipliers(s1: float, s2: float, so: float, left_shift: int):
    """[(M1, shift1), (M2, shift2), (Mo, shift_o)] as TFLM's PrepareQuantized computes them."""
    twice = 2.0 * f64(max(np.float32(s1), np.float32(s2)))
    denom = f64(np.float32(float(1 << (2 * left_shift))) * np.float32(so))
    return [quantize_multiplier(f64(s1) / twice), quantize_multiplier(f64(s2) / twice),
            quantize_multiplier(twice * twice / denom)]


@register
class SquaredDifference(BinaryMath):
    ops = ("SQUARED_DIFFERENCE",)
    signatures = (Sig("s8", (("int8",), ("int8",)), (("int8",),)),
                  Sig("s16", (("int16",), ("int16",)), (("int16",),)),
                  Sig("any", (("int32",), ("int32",)), (("int32",),)),
                  Sig("any", (("float32",), ("float32",)), (("float32",),)))

    def rule_quantization(self, op):
        """int8 / int16 tensors are quantized per tensor with positive scales; int16 zero points are 0."""
        if op.outputs[0].dtype not in LEFT_SHIFT:
            return None
        for t in (op.inputs[0], op.inputs[1], op.outputs[0]):
            msg = need_quant(t)
            if msg:
                return msg
            if t.quant.per_channel:
                return f"tensor '{t.name}' is quantized per channel"
            if not t.quant.s > 0:
                return f"tensor '{t.name}' has scale {t.quant.s}, needs a positive scale"
            if t.dtype == "int16" and t.quant.zp != 0:
                return f"int16 tensor '{t.name}' has zero point {t.quant.zp}, needs 0"
        return None

    def _lower_q(self, op, ctx, scheme):
        x1, x2, y = op.inputs[0], op.inputs[1], op.outputs[0]
        ls = LEFT_SHIFT[y.dtype]
        (m1, h1), (m2, h2), (mo, ho) = squared_difference_multipliers(x1.quant.s, x2.quant.s, y.quant.s, ls)
        lo, hi = type_range(y.dtype)
        fields = self.base_fields(op) + [
            ("input1_offset", -x1.quant.zp), ("input2_offset", -x2.quant.zp), ("output_offset", y.quant.zp),
            ("left_shift", ls), ("input1_multiplier", m1), ("input1_shift", h1),
            ("input2_multiplier", m2), ("input2_shift", h2), ("output_multiplier", mo), ("output_shift", ho),
            ("act_min", lo), ("act_max", hi)]
        return Layer(op, function=f"squared_difference_{scheme}", struct="squared_difference_params_t",
                     fields=fields, args=[ctx.ptr(x1), ctx.ptr(x2), ctx.ptr(y)],
                     sources=("math/mcu_squared_difference_s8.c",))

    def lower_s8(self, op, ctx):
        return self._lower_q(op, ctx, "s8")

    def lower_s16(self, op, ctx):
        return self._lower_q(op, ctx, "s16")

    def lower_any(self, op, ctx):
        x1, x2, y = op.inputs[0], op.inputs[1], op.outputs[0]
        suffix = "s32" if y.dtype == "int32" else "f32"
        return Layer(op, function=f"squared_difference_{suffix}", struct="math_binary_params_t",
                     fields=self.base_fields(op) + [("op", 0)],
                     args=[ctx.ptr(x1), ctx.ptr(x2), ctx.ptr(y)], sources=("math/mcu_squared_difference_s8.c",))
