"""ABS and RSQRT (int8, int16, float32), SQRT and LOG (float32), element-wise
(kernels: runtime_c/math/mcu_unary_s8.c, mcu_unary_s16.c, mcu_unary_f32.c).

TFLM (elementwise.cc):
  ABS, quantized: v = |q - zi|; when the float32 scales are equal, out = v + zo,
      else out = MultiplyByQuantizedMultiplier(v, QuantizeMultiplier(si / so in double)) + zo,
      clamped to the type. int16 needs zero points 0 when quantized; an
      unquantized int16 tensor takes the raw std::abs (|-32768| wraps to -32768).
  RSQRT, quantized: v = q - zi; v == 0 gives the type's maximum; otherwise
      (m, s) = GetInvSqrtQuantizedMultiplierExp(v, -1),
      data = MBQM(1, m, s + 20), out = MBQM(data, M, shift - 20) + zo with
      (M, shift) = QuantizeMultiplier(1 / (sqrt(si) * so) in double). TFLM's Eval
      fails on any negative v (the input must be >= its zero point at run time;
      mcugen gives the type's maximum there). int16 needs zero points 0.
  SQRT and LOG exist for float32 only. float32 SQRT and RSQRT (1.f / sqrtf) are
  correctly rounded in IEEE arithmetic, so the C library's sqrtf matches; LOG is
  the C library's logf, which differs between C libraries in the last bit (newlib
  on the Cortex-M boards against glibc on the host): compared within
  mcugen.testing.compare.FLOAT_TOLERANCE, as every float kernel is.
int8 ABS and RSQRT run as a 256-entry table built here with that arithmetic.
"""
from __future__ import annotations

import math

import numpy as np

from ..quant import f64, inv_sqrt_multiplier_exp, multiply_by_quantized_multiplier, quantize_multiplier, type_range
from .base import Layer, OpHandler, Sig, need_quant, register

F32_CODES = {"ABS": 0, "SQRT": 1, "RSQRT": 2, "LOG": 3}


def abs_multiplier(si: float, so: float) -> tuple[int, int]:
    return quantize_multiplier(f64(si) / f64(so))


def rsqrt_multiplier(si: float, so: float) -> tuple[int, int]:
    return quantize_multiplier(1.0 / (math.sqrt(f64(si)) * f64(so)))


def abs_value(q: int, zi: int, zo: int, same: bool, mult: int, shift: int, dtype: str) -> int:
    lo, hi = type_range(dtype)
    v = abs(q - zi)
    out = v + zo if same else multiply_by_quantized_multiplier(v, mult, shift) + zo
    return max(lo, min(hi, out))


def rsqrt_value(q: int, zi: int, zo: int, mult: int, shift: int, dtype: str) -> int:
    lo, hi = type_range(dtype)
    v = q - zi
    if v <= 0:
        return hi  # 0: TFLM's maximum; < 0: TFLM fails
    m, s = inv_sqrt_multiplier_exp(v, -1)
    data = multiply_by_quantized_multiplier(1, m, s + 20)
    out = multiply_by_quantized_multiplier(data, mult, shift - 20) + zo
    return max(lo, min(hi, out))


class _Unary(OpHandler):
    def rule_same_size(self, op):
        """Output has the input's shape."""
        x, y = op.inputs[0], op.outputs[0]
        return None if tuple(x.shape) == tuple(y.shape) else f"input {x.shape} and output {y.shape} differ"

    def rule_quantization(self, op):
        """int8 tensors are quantized per tensor; quantized int16 tensors have zero points 0."""
        x, y = op.inputs[0], op.outputs[0]
        if x.dtype == "int8" or (x.dtype == "int16" and x.quant is not None):
            msg = need_quant(x, y)
            if msg:
                return msg
            for t in (x, y):
                if t.quant.per_channel:
                    return f"tensor '{t.name}' is quantized per channel"
                if not t.quant.s > 0:
                    return f"tensor '{t.name}' has scale {t.quant.s}, needs a positive scale"
                if t.dtype == "int16" and t.quant.zp != 0:
                    return f"int16 tensor '{t.name}' has zero point {t.quant.zp}, needs 0"
        return None

    def overlap(self, op):
        """Element i is read before element i is written, and never read again: fully in place."""
        return {0: (0, None)}

    def table(self, op) -> np.ndarray:  # pragma: no cover - overridden
        raise NotImplementedError

    def lower_s8(self, op, ctx):
        x, y = op.inputs[0], op.outputs[0]
        table = ctx.const("table", self.table(op).astype(np.int8), "int8_t")
        return Layer(op, function="lut_s8", struct="lut_params_t", fields=[("size", x.size)],
                     args=[ctx.ptr(x), ctx.ptr(y), table], sources=("math/mcu_unary_s8.c",))

    def lower_f32(self, op, ctx):
        x, y = op.inputs[0], op.outputs[0]
        return Layer(op, function="unary_f32", struct="unary_f32_params_t",
                     fields=[("size", x.size), ("op", F32_CODES[op.op])],
                     args=[ctx.ptr(x), ctx.ptr(y)], sources=("math/mcu_unary_f32.c",))


@register
class Abs(_Unary):
    ops = ("ABS",)
    signatures = (Sig("s8", (("int8",),), (("int8",),)), Sig("s16", (("int16",),), (("int16",),)),
                  Sig("f32", (("float32",),), (("float32",),)))

    def table(self, op):
        x, y = op.inputs[0], op.outputs[0]
        same = np.float32(x.quant.s) == np.float32(y.quant.s)
        m, s = abs_multiplier(x.quant.s, y.quant.s)
        return np.array([abs_value(q, x.quant.zp, y.quant.zp, same, m, s, y.dtype) for q in range(-128, 128)])

    def lower_s16(self, op, ctx):
        x, y = op.inputs[0], op.outputs[0]
        if x.quant is None:
            mode, m, s, zi, zo = 0, 0, 0, 0, 0
        else:
            mode = 1 if np.float32(x.quant.s) == np.float32(y.quant.s) else 2
            (m, s), zi, zo = abs_multiplier(x.quant.s, y.quant.s), x.quant.zp, y.quant.zp
        fields = [("size", x.size), ("mode", mode), ("input_offset", -zi), ("output_offset", zo),
                  ("multiplier", m), ("shift", s)]
        return Layer(op, function="abs_s16", struct="unary_s16_params_t", fields=fields,
                     args=[ctx.ptr(x), ctx.ptr(y)], sources=("math/mcu_unary_s16.c",))


@register
class Rsqrt(_Unary):
    ops = ("RSQRT",)
    signatures = Abs.signatures

    def rule_int16_quantized(self, op):
        """int16 RSQRT inputs are quantized."""
        x = op.inputs[0]
        return "int16 input has no quantization parameters" if x.dtype == "int16" and x.quant is None else None

    def table(self, op):
        x, y = op.inputs[0], op.outputs[0]
        m, s = rsqrt_multiplier(x.quant.s, y.quant.s)
        return np.array([rsqrt_value(q, x.quant.zp, y.quant.zp, m, s, y.dtype) for q in range(-128, 128)])

    def lower_s16(self, op, ctx):
        x, y = op.inputs[0], op.outputs[0]
        m, s = rsqrt_multiplier(x.quant.s, y.quant.s)
        fields = [("size", x.size), ("mode", 0), ("input_offset", -x.quant.zp), ("output_offset", y.quant.zp),
                  ("multiplier", m), ("shift", s)]
        return Layer(op, function="rsqrt_s16", struct="unary_s16_params_t", fields=fields,
                     args=[ctx.ptr(x), ctx.ptr(y)], sources=("math/mcu_unary_s16.c",))


@register
class Sqrt(_Unary):
    ops = ("SQRT",)
    signatures = (Sig("f32", (("float32",),), (("float32",),)),)


@register
class Log(_Unary):
    ops = ("LOG",)
    signatures = (Sig("f32", (("float32",),), (("float32",),)),)
