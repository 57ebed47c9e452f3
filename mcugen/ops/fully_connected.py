"""FULLY_CONNECTED, int8 (kernel: runtime_c/fully_connected/)."""
from __future__ import annotations

import numpy as np

from ..quant import activation_range, f64, quantize_multiplier
from .base import Layer, OpHandler, need_quant, need_types, register
from .conv import FUSED, per_channel_multipliers


@register
class FullyConnected(OpHandler):
    ops = ("FULLY_CONNECTED",)

    def rule_types(self, op):
        """Input, weights and output are int8; the bias, if present, is int32."""
        msg = need_types(op, {0: ("int8",), 1: ("int8",)})
        if msg:
            return msg
        if len(op.inputs) > 2 and op.inputs[2] is not None and op.inputs[2].dtype != "int32":
            return f"bias has type {op.inputs[2].dtype}, needs int32"
        return need_quant(op.inputs[0], op.inputs[1], op.outputs[0])

    def rule_constant_weights(self, op):
        """Weights and bias are constant tensors of shape [units, depth] and [units]."""
        w = op.inputs[1]
        if not w.is_const or len(w.shape) != 2:
            return "weights must be a constant 2-D tensor"
        return None

    def rule_weights_format(self, op):
        """Weights are in the DEFAULT format (not shuffled)."""
        return None if op.options.get("weights_format", 0) == 0 else "shuffled weights format"

    def rule_activation(self, op):
        """Fused activation is NONE, RELU, RELU6 or RELU_N1_TO_1."""
        act = op.options.get("fused_activation_function", "NONE")
        return None if act in FUSED else f"fused activation {act} is not supported"

    def rule_depth(self, op):
        """The input's element count is a multiple of the weights' depth."""
        depth = op.inputs[1].shape[1]
        return None if op.inputs[0].size % depth == 0 else f"input size {op.inputs[0].size} vs depth {depth}"

    def macs(self, op):
        return op.inputs[0].size * op.inputs[1].shape[0]

    def lower(self, op, ctx):
        x, w, y = op.inputs[0], op.inputs[1], op.outputs[0]
        b = op.inputs[2] if len(op.inputs) > 2 else None
        units, depth = w.shape
        per_channel = w.quant.per_channel
        if per_channel:
            mult, shift = per_channel_multipliers(op, units)
        else:
            # TFLM GetQuantizedConvolutionMultipler: the scale product is taken in float32
            real = f64(np.float32(x.quant.s) * np.float32(w.quant.s)) / f64(y.quant.s)
            m, s = quantize_multiplier(real)
            mult, shift = np.array([m], np.int32), np.array([s], np.int32)
        lo, hi = activation_range(op.options.get("fused_activation_function", "NONE"), y.quant.s, y.quant.zp)
        fields = [
            ("batches", x.size // depth), ("depth", depth), ("units", units),
            ("input_offset", -x.quant.zp), ("filter_offset", -w.quant.zp), ("output_offset", y.quant.zp),
            ("act_min", lo), ("act_max", hi), ("per_channel", int(per_channel)),
            ("filter", ctx.const("weights", w.data, "int8_t")),
            ("bias", ctx.const("bias", b.data, "int32_t") if b is not None else "NULL"),
            ("multiplier", ctx.const("mult", mult, "int32_t")),
            ("shift", ctx.const("shift", shift, "int32_t")),
        ]
        return Layer(op, function="fully_connected_s8", struct="fc_params_t", fields=fields,
                     args=[ctx.ptr(x), ctx.ptr(y)], sources=("fully_connected/mcu_fully_connected_s8.c",))
