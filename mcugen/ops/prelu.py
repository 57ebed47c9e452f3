"""PRELU, int8 and int16 (kernels: runtime_c/activation/mcu_prelu_<s8|s16>.c, body mcu_prelu_impl.h).

TFLM's recipe (prelu_common.cc CalculatePreluParams, reference BroadcastPrelu4DSlow):
  m1 = double(in_scale) / double(out_scale)                    (x >= zi)
  m2 = double(in_scale) * double(alpha_scale) / double(out_scale)  (x < zi)
  both through QuantizeMultiplier (either may exceed one);
  out = zo + MultiplyByQuantizedMultiplier(x - zi, m1)                 when x - zi >= 0,
  out = zo + MultiplyByQuantizedMultiplier((x - zi) * (alpha - za), m2) otherwise,
  clamped to the output type's range. Every zero point may be non-zero.
The input and alpha broadcast against each other (NumPy rules; TFLM's kernel has
4 dimensions, so ranks above 4 are rejected): alpha is input2 of the element-wise
broadcast plan (broadcast_plan, mcu_broadcast_t). An int16 input takes an int8
alpha (TFLM rejects an int16 one) and writes an int16 output.
"""
from __future__ import annotations

from ..quant import f64, quantize_multiplier
from .base import Layer, OpHandler, Sig, register
from .elementwise import broadcast_field, broadcast_problem, in_place_inputs, per_tensor_problem
from .f32 import integer_only

MAX_RANK = 4  # BroadcastPrelu4DSlow extends every shape to 4-D; larger ranks compute from a truncated shape


def prelu_multipliers(in_scale: float, alpha_scale: float, out_scale: float) -> tuple[tuple[int, int], tuple[int, int]]:
    """(M, shift) for x >= zi and for x < zi, as TFLM's Prepare computes them (in double)."""
    si, sa, so = f64(in_scale), f64(alpha_scale), f64(out_scale)
    return quantize_multiplier(si / so), quantize_multiplier(si * sa / so)


@register
class Prelu(OpHandler):
    ops = ("PRELU",)
    signatures = (
        Sig("s8", (("int8",), ("int8",)), (("int8",),)),
        Sig("s16", (("int16",), ("int8",)), (("int16",),)),
    )

    def rule_quantization(self, op):
        """Input, alpha and output have per-tensor quantization with positive scales (TFLM reads only the first
        scale of a per-channel alpha)."""
        return per_tensor_problem(op.inputs[0], op.inputs[1], op.outputs[0])

    def rule_shapes(self, op):
        """Input and alpha broadcast against each other (NumPy rules) to the output's shape; ranks are at most 4
        (TFLM's kernel is 4-D); no dimension is 0."""
        return broadcast_problem(op, MAX_RANK)

    def overlap(self, op):
        """An input with the output's shape and type may be overwritten in place (see mcu_elementwise.h)."""
        return in_place_inputs(op)

    def macs(self, op):
        return op.outputs[0].size

    def lower_s8(self, op, ctx):
        return self._lower(op, ctx, "s8")

    def lower_s16(self, op, ctx):
        return self._lower(op, ctx, "s16")

    def _lower(self, op, ctx, scheme):
        x, alpha, y = op.inputs[0], op.inputs[1], op.outputs[0]
        (pm, ps), (nm, ns) = prelu_multipliers(x.quant.s, alpha.quant.s, y.quant.s)
        fields = [("size", y.size), ("bcast", broadcast_field(op)),
                  ("input_offset", -x.quant.zp), ("alpha_offset", -alpha.quant.zp), ("output_offset", y.quant.zp),
                  ("positive_multiplier", pm), ("positive_shift", ps),
                  ("negative_multiplier", nm), ("negative_shift", ns)]
        return Layer(op, function=f"prelu_{scheme}", struct="prelu_params_t", fields=fields,
                     args=[ctx.ptr(x), ctx.ptr(alpha, "int8_t"), ctx.ptr(y)],
                     sources=(f"activation/mcu_prelu_{scheme}.c", "activation/mcu_prelu_impl.h"))

    # ---- float32 (scheme f32): TFLM's BroadcastPrelu4DSlowFloat (mcu_prelu_f32.c) ----
    signatures = signatures + (Sig("f32", (("float32",), ("float32",)), (("float32",),)),)
    rule_quantization = integer_only(rule_quantization)

    def lower_f32(self, op, ctx):
        """x >= 0 ? x : x * alpha per element, alpha broadcast as input2 of the element-wise plan."""
        x, alpha, y = op.inputs[0], op.inputs[1], op.outputs[0]
        return Layer(op, function="prelu_f32", struct="prelu_f32_params_t",
                     fields=[("size", y.size), ("bcast", broadcast_field(op))],
                     args=[ctx.ptr(x), ctx.ptr(alpha), ctx.ptr(y)], sources=("activation/mcu_prelu_f32.c",))
