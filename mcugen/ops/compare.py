"""EQUAL, NOT_EQUAL, LESS, LESS_EQUAL, GREATER, GREATER_EQUAL with broadcasting; bool output
(kernels: runtime_c/math/mcu_compare_s8.c, mcu_compare.c).

TFLM (comparisons.cc): int8 inputs are compared after rescaling each to a common
fixed-point scale, so inputs of different quantization compare by real value:
ComparisonsPrepare takes QuantizeMultiplierSmallerThanOneExp(double(scale)) per
input (it aborts unless 0 < scale < 1) and left shift 8; the kernel computes
v = RoundingDivideByPOT(SaturatingRoundingDoublingHighMul((q - zp) << 8, M), -shift)
for each side and compares v1 with v2. The rescaling can merge neighbouring
values of a small scale, so even EQUAL on equal quantization is not a raw
comparison. int32, int64 and float32 compare raw values; bool inputs exist for
EQUAL and NOT_EQUAL only. TFLM has no int16 or uint8 comparison (Eval fails).
"""
from __future__ import annotations

from ..quant import f64, quantize_multiplier
from .base import Layer, Sig, need_quant, register
from .math_common import TYPE_SUFFIX, BinaryMath

LEFT_SHIFT = 8
RAW = ("int32", "int64", "float32")
CODES = {"EQUAL": 0, "NOT_EQUAL": 1, "LESS": 2, "LESS_EQUAL": 3, "GREATER": 4, "GREATER_EQUAL": 5}


def _sigs(raw_types):
    return (Sig("s8", (("int8",), ("int8",)), (("bool",),)),
            *(Sig("any", ((t,), (t,)), (("bool",),)) for t in raw_types))


def compare_multiplier(scale: float) -> tuple[int, int]:
    """QuantizeMultiplierSmallerThanOneExp(double(scale))."""
    return quantize_multiplier(f64(scale))


class _Compare(BinaryMath):
    signatures = _sigs(RAW)

    def rule_int8_scales(self, op):
        """int8 inputs are quantized per tensor with a scale in (0, 1) (TFLM aborts otherwise)."""
        if op.inputs[0].dtype != "int8":
            return None
        for t in op.inputs[:2]:
            msg = need_quant(t)
            if msg:
                return msg
            if t.quant.per_channel:
                return f"tensor '{t.name}' is quantized per channel"
            if not 0.0 < f64(t.quant.s) < 1.0:
                return f"tensor '{t.name}' has scale {t.quant.s:g}, needs 0 < scale < 1"
        return None

    def lower_s8(self, op, ctx):
        x1, x2, y = op.inputs[0], op.inputs[1], op.outputs[0]
        m1, sh1 = compare_multiplier(x1.quant.s)
        m2, sh2 = compare_multiplier(x2.quant.s)
        fields = self.base_fields(op) + [
            ("op", CODES[op.op]), ("input1_offset", -x1.quant.zp), ("input2_offset", -x2.quant.zp),
            ("left_shift", LEFT_SHIFT), ("input1_multiplier", m1), ("input1_shift", sh1),
            ("input2_multiplier", m2), ("input2_shift", sh2)]
        return Layer(op, function="compare_s8", struct="compare_params_t", fields=fields,
                     args=[ctx.ptr(x1), ctx.ptr(x2), ctx.ptr(y)], sources=("math/mcu_compare_s8.c",))

    def lower_any(self, op, ctx):
        x1, x2, y = op.inputs[0], op.inputs[1], op.outputs[0]
        return Layer(op, function=f"compare_{TYPE_SUFFIX[x1.dtype]}", struct="math_binary_params_t",
                     fields=self.base_fields(op) + [("op", CODES[op.op])],
                     args=[ctx.ptr(x1), ctx.ptr(x2), ctx.ptr(y)], sources=("math/mcu_compare.c",))


@register
class Equality(_Compare):
    ops = ("EQUAL", "NOT_EQUAL")
    signatures = _sigs(RAW + ("bool",))


@register
class Ordering(_Compare):
    ops = ("LESS", "LESS_EQUAL", "GREATER", "GREATER_EQUAL")
