"""L2_NORMALIZATION over the last axis, int8 and float32 (kernel: runtime_c/math/mcu_l2norm_s8.c).

TFLM (l2norm.cc, reference integer_ops L2Normalization): input rank at most 4,
fused activation NONE. Per row, acc = sum (q - zi)^2 in int32;
(M, s) = GetInvSqrtQuantizedMultiplierExp(acc, -1); out = clamp(
MultiplyByQuantizedMultiplier(q - zi, M, s + 7), -128, 127). The result is in
scale 1/128 with zero point 0 whatever the output tensor's quantization says
(TFLM does not look at it; the converter writes (1/128, 0)). float32:
x / max(sqrt(sum of squares added in order), 1e-6), all in float.
"""
from __future__ import annotations

from .base import Layer, OpHandler, Sig, need_quant, register

MAX_RANK = 4


@register
class L2Normalization(OpHandler):
    ops = ("L2_NORMALIZATION",)
    signatures = (Sig("s8", (("int8",),), (("int8",),)), Sig("f32", (("float32",),), (("float32",),)))

    def rule_shape(self, op):
        """Output has the input's shape; the rank is 1 to 4 (TFLM) with no empty dimension."""
        x, y = op.inputs[0], op.outputs[0]
        if tuple(x.shape) != tuple(y.shape):
            return f"input {x.shape} and output {y.shape} differ"
        if not 1 <= len(x.shape) <= MAX_RANK:
            return f"input rank {len(x.shape)} is outside 1..{MAX_RANK}"
        if any(d <= 0 for d in x.shape):
            return f"input shape {x.shape} has an empty dimension"
        return None

    def rule_quantized(self, op):
        """An int8 input is quantized per tensor."""
        x = op.inputs[0]
        if x.dtype == "float32":
            return None
        msg = need_quant(x)
        if msg:
            return msg
        return "per-channel quantization is not supported" if x.quant.per_channel else None

    def rule_activation(self, op):
        """Fused activation is NONE (TFLM's Prepare fails otherwise)."""
        act = op.options.get("fused_activation_function", "NONE")
        return None if act == "NONE" else f"fused activation {act} is not supported"

    def lower_s8(self, op, ctx):
        x, y = op.inputs[0], op.outputs[0]
        depth = int(x.shape[-1])
        fields = [("outer", x.size // depth), ("depth", depth), ("input_offset", -x.quant.zp)]
        return Layer(op, function="l2norm_s8", struct="l2norm_params_t", fields=fields,
                     args=[ctx.ptr(x), ctx.ptr(y)], sources=("math/mcu_l2norm_s8.c", "math/mcu_unary_s16.c"))

    def lower_f32(self, op, ctx):
        x, y = op.inputs[0], op.outputs[0]
        depth = int(x.shape[-1])
        return Layer(op, function="l2norm_f32", struct="l2norm_params_t",
                     fields=[("outer", x.size // depth), ("depth", depth), ("input_offset", 0)],
                     args=[ctx.ptr(x), ctx.ptr(y)], sources=("math/mcu_l2norm_s8.c", "math/mcu_unary_s16.c"))
