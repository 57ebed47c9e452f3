"""CONV_2D and DEPTHWISE_CONV_2D, int8 (kernels: runtime_c/conv/)."""
from __future__ import annotations

import numpy as np

from ..ir import Operator
from ..planner.overlap import reverse_min_offset, streaming_min_offset, window_first_needed, window_last_needed
from ..quant import activation_range, f64, quantize_multiplier
from .base import Layer, OpHandler, conv_out_size, need_quant, need_types, nhwc, register, same_padding

FUSED = ("NONE", "RELU", "RELU6", "RELU_N1_TO_1")


def per_channel_multipliers(op: Operator, channels: int) -> tuple[np.ndarray, np.ndarray]:
    """TFLM PopulateConvolutionQuantizationParams: in_scale*w_scale[c]/out_scale in double."""
    x, w, y = op.inputs[0], op.inputs[1], op.outputs[0]
    ws = w.quant.scale
    mult = np.zeros(channels, np.int32)
    shift = np.zeros(channels, np.int32)
    for c in range(channels):
        s = f64(ws[c] if ws.size > 1 else ws[0])
        mult[c], shift[c] = quantize_multiplier(f64(x.quant.s) * s / f64(y.quant.s))
    return mult, shift


class _ConvBase(OpHandler):
    depthwise = False

    def rule_types(self, op):
        """Input, filter and output are int8; the bias, if present, is int32."""
        msg = need_types(op, {0: ("int8",), 1: ("int8",)})
        if msg:
            return msg
        if len(op.inputs) > 2 and op.inputs[2] is not None and op.inputs[2].dtype != "int32":
            return f"bias has type {op.inputs[2].dtype}, needs int32"
        return need_quant(op.inputs[0], op.inputs[1], op.outputs[0])

    def rule_constant_weights(self, op):
        """Filter and bias are constant tensors."""
        for t in op.inputs[1:3]:
            if t is not None and not t.is_const:
                return f"tensor '{t.name}' must be constant"
        return None

    def rule_symmetric_weights(self, op):
        """Weights are symmetric: every filter zero point is 0."""
        if op.inputs[1].quant is not None and np.any(op.inputs[1].quant.zero_point != 0):
            return "filter zero point is not 0"
        return None

    def rule_shapes(self, op):
        """Input and output are 4-D NHWC; the filter is 4-D."""
        nhwc(op.inputs[0].shape), nhwc(op.outputs[0].shape), nhwc(op.inputs[1].shape)
        return None

    def rule_activation(self, op):
        """Fused activation is NONE, RELU, RELU6 or RELU_N1_TO_1."""
        act = op.options.get("fused_activation_function", "NONE")
        return None if act in FUSED else f"fused activation {act} is not supported"

    def geometry(self, op):
        n, ih, iw, ic = nhwc(op.inputs[0].shape)
        _, oh, ow, oc = nhwc(op.outputs[0].shape)
        f = op.inputs[1].shape
        kh, kw = f[1], f[2]
        o = op.options
        sh, sw = o.get("stride_h", 1), o.get("stride_w", 1)
        dh, dw = o.get("dilation_h_factor", 1), o.get("dilation_w_factor", 1)
        return n, ih, iw, ic, oh, ow, oc, kh, kw, sh, sw, dh, dw

    def rule_geometry(self, op):
        """Output height and width follow from input, filter, stride, dilation and padding."""
        n, ih, iw, ic, oh, ow, oc, kh, kw, sh, sw, dh, dw = self.geometry(op)
        pad = op.options.get("padding", "SAME")
        want = (conv_out_size(pad, ih, kh, sh, dh), conv_out_size(pad, iw, kw, sw, dw))
        if want != (oh, ow):
            return f"output is {oh}x{ow}, {pad} padding gives {want[0]}x{want[1]}"
        if not self.depthwise and op.inputs[1].shape[3] != ic:
            return f"grouped convolution (filter depth {op.inputs[1].shape[3]}, input depth {ic})"
        return None

    def overlap(self, op):
        """Both kernels produce output pixels in raster order, forwards or backwards (mcu_conv.h), so the
        output may run over input rows that no later window reads."""
        n, ih, iw, ic, oh, ow, oc, kh, kw, sh, sw, dh, dw = self.geometry(op)
        pt, pl = same_padding(ih, kh, sh, dh, oh), same_padding(iw, kw, sw, dw, ow)
        first = window_first_needed(n, ih, iw, ic, oh, ow, sh, sw, pt, pl)
        last = window_last_needed(n, ih, iw, ic, oh, ow, kh, kw, sh, sw, dh, dw, pt, pl)
        return {0: (streaming_min_offset(oc, first), reverse_min_offset(oc, last))}

    def macs(self, op):
        n, ih, iw, ic, oh, ow, oc, kh, kw, *_ = self.geometry(op)
        per_out = kh * kw * (1 if self.depthwise else ic)
        return n * oh * ow * oc * per_out

    def lower(self, op, ctx):
        n, ih, iw, ic, oh, ow, oc, kh, kw, sh, sw, dh, dw = self.geometry(op)
        x, w, y = op.inputs[0], op.inputs[1], op.outputs[0]
        b = op.inputs[2] if len(op.inputs) > 2 else None
        mult, shift = per_channel_multipliers(op, oc)
        lo, hi = activation_range(op.options.get("fused_activation_function", "NONE"), y.quant.s, y.quant.zp)
        pad_t = same_padding(ih, kh, sh, dh, oh)
        pad_l = same_padding(iw, kw, sw, dw, ow)
        fields = [
            ("batches", n), ("in_h", ih), ("in_w", iw), ("in_c", ic), ("out_h", oh), ("out_w", ow),
            ("out_c", oc), ("k_h", kh), ("k_w", kw), ("stride_h", sh), ("stride_w", sw),
            ("dil_h", dh), ("dil_w", dw), ("pad_top", pad_t), ("pad_left", pad_l),
            ("depth_multiplier", op.options.get("depth_multiplier", 1) if self.depthwise else 1),
            ("reverse", int(ctx.reversed_step())),
            ("input_offset", -x.quant.zp), ("output_offset", y.quant.zp), ("act_min", lo), ("act_max", hi),
            ("filter", ctx.const("filter", w.data, "int8_t")),
            ("bias", ctx.const("bias", b.data, "int32_t") if b is not None else "NULL"),
            ("multiplier", ctx.const("mult", mult, "int32_t")),
            ("shift", ctx.const("shift", shift, "int32_t")),
        ]
        name = "depthwise_conv_s8" if self.depthwise else "conv_s8"
        return Layer(op, function=name, struct="conv_params_t", fields=fields,
                     args=[ctx.ptr(x), ctx.ptr(y)], sources=(f"conv/mcu_{name}.c",))


@register
class Conv2D(_ConvBase):
    ops = ("CONV_2D",)


@register
class DepthwiseConv2D(_ConvBase):
    ops = ("DEPTHWISE_CONV_2D",)
    depthwise = True

    def rule_depth_multiplier(self, op):
        """Output channels equal input channels times depth_multiplier."""
        ic, oc = op.inputs[0].shape[-1], op.outputs[0].shape[-1]
        m = op.options.get("depth_multiplier", 1)
        return None if oc == ic * m else f"output depth {oc} is not input depth {ic} x multiplier {m}"
