"""QUANTIZE and DEQUANTIZE (kernels: runtime_c/quantize/).

The pairs are the ones TFLM's quantize_common.cc / dequantize_common.cc run
(checked against the pip interpreter, which refuses the others at Prepare or
Eval):
  QUANTIZE float32 -> int8, int16: TFLM's AffineQuantize (one float division,
      round half away from zero, add the zero point, clamp to the output type);
  QUANTIZE int8 -> int8, uint8, int16, int32; uint8 -> int8; int16 -> int8,
      int16, int32; int32 -> int8, int16: TFLM's Requantize with
      (multiplier, shift) from in_scale / out_scale in double, clamped to the
      output type (its int8 <-> uint8 XOR fast path gives the same bytes);
  DEQUANTIZE int8, uint8, int16 -> float32: scale * (q - zero_point) in float.
"""
from __future__ import annotations

import math

from ..ir import Operator, Tensor
from ..quant import f64, quantize_multiplier
from .base import Layer, OpHandler, need_quant, register

# (input dtype, output dtype) -> kernel, for integer -> integer QUANTIZE
REQUANTIZE = {
    ("int8", "int8"): "requantize_s8",
    ("int8", "int16"): "requantize_s8_s16",
    ("int16", "int8"): "requantize_s16_s8",
    ("int16", "int16"): "requantize_s16_s16",
    ("int16", "int32"): "requantize_s16_s32",
    ("int8", "uint8"): "requantize_s8_u8",
    ("uint8", "int8"): "requantize_u8_s8",
    ("int8", "int32"): "requantize_s8_s32",
    ("int32", "int8"): "requantize_s32_s8",
    ("int32", "int16"): "requantize_s32_s16",
}
# float32 -> integer QUANTIZE and integer -> float32 DEQUANTIZE
AFFINE_QUANTIZE = {"int8": "quantize_f32_s8", "int16": "quantize_f32_s16"}
DEQUANTIZE = {"int8": "dequantize_s8_f32", "uint8": "dequantize_u8_f32", "int16": "dequantize_s16_f32"}


def _per_tensor(t: Tensor, role: str) -> str | None:
    """A positive, finite, per-tensor scale (what TFLM's Prepare reads as params.scale)."""
    msg = need_quant(t)
    if msg:
        return msg
    if t.quant.scale.size != 1:
        return f"{role} is quantized per channel ({t.quant.scale.size} scales); needs one scale"
    s = float(t.quant.scale[0])
    if not (math.isfinite(s) and s > 0):
        return f"{role} scale {s} is not a positive finite number"
    return None


def _same_size(op: Operator) -> str | None:
    x, y = op.inputs[0], op.outputs[0]
    return None if x.size == y.size else f"input has {x.size} elements, output {y.size}"


@register
class Quantize(OpHandler):
    ops = ("QUANTIZE",)

    def rule_types(self, op):
        """Converts float32 to int8/int16, or requantizes int8 to int8/uint8/int16/int32, uint8 to
        int8, int16 to int8/int16/int32 or int32 to int8/int16 (TFLM's pairs)."""
        x, y = op.inputs[0], op.outputs[0]
        if x.dtype == "float32" and y.dtype in AFFINE_QUANTIZE:
            return None
        if (x.dtype, y.dtype) in REQUANTIZE:
            return None
        return f"{x.dtype} to {y.dtype} is not supported"

    def rule_quantization(self, op):
        """The output, and an integer input, are quantized per tensor with a positive scale."""
        x, y = op.inputs[0], op.outputs[0]
        msg = _per_tensor(y, "output")
        if msg is None and x.dtype != "float32":
            msg = _per_tensor(x, "input")
        return msg

    def rule_same_size(self, op):
        """Input and output have the same number of elements."""
        return _same_size(op)

    def lower(self, op, ctx):
        x, y = op.inputs[0], op.outputs[0]
        if x.dtype == "float32":
            fields = [("size", y.size), ("scale", float(y.quant.s)), ("zero_point", y.quant.zp)]
            return Layer(op, function=AFFINE_QUANTIZE[y.dtype], struct="affine_params_t", fields=fields,
                         args=[ctx.ptr(x), ctx.ptr(y)], sources=("quantize/mcu_quantize_f32_s8.c",))
        # TFLM PrepareQuantizeReference: in_scale / out_scale, both widened to double
        mult, shift = quantize_multiplier(f64(x.quant.s) / f64(y.quant.s))
        fields = [("size", y.size), ("input_offset", -x.quant.zp), ("output_offset", y.quant.zp),
                  ("multiplier", int(mult)), ("shift", shift)]
        return Layer(op, function=REQUANTIZE[(x.dtype, y.dtype)], struct="requantize_params_t", fields=fields,
                     args=[ctx.ptr(x), ctx.ptr(y)], sources=("quantize/mcu_requantize_s8.c",))


@register
class Dequantize(OpHandler):
    ops = ("DEQUANTIZE",)

    def rule_types(self, op):
        """Converts int8, uint8 or int16 to float32 (TFLM's pairs)."""
        x, y = op.inputs[0], op.outputs[0]
        if x.dtype in DEQUANTIZE and y.dtype == "float32":
            return None
        return f"{x.dtype} to {y.dtype} is not supported"

    def rule_quantization(self, op):
        """The input is quantized per tensor with a positive scale."""
        return _per_tensor(op.inputs[0], "input")

    def rule_same_size(self, op):
        """Input and output have the same number of elements."""
        return _same_size(op)

    def lower(self, op, ctx):
        x, y = op.inputs[0], op.outputs[0]
        fields = [("size", x.size), ("scale", float(x.quant.s)), ("zero_point", x.quant.zp)]
        return Layer(op, function=DEQUANTIZE[x.dtype], struct="affine_params_t", fields=fields,
                     args=[ctx.ptr(x), ctx.ptr(y)], sources=("quantize/mcu_dequantize_s8_f32.c",))
