"""AVERAGE_POOL_2D and MAX_POOL_2D, int8 and int16 (kernels: runtime_c/pooling/; TFLM's reference pooling,
the average rounded half away from zero in both types)."""
from __future__ import annotations

import numpy as np

from ..planner.overlap import streaming_min_offset, window_first_needed
from ..quant import activation_range
from .base import Layer, OpHandler, Sig, conv_out_size, need_quant, nhwc, register, same_padding
from .conv import FUSED
from .f32 import float_activation_range, integer_only


class _Pool(OpHandler):
    function = ""

    signatures = (
        Sig("s8", (("int8",),), (("int8",),)),
        Sig("s16", (("int16",),), (("int16",),)),
    )

    def rule_shapes(self, op):
        """Input and output are quantized 4-D NHWC tensors."""
        nhwc(op.inputs[0].shape), nhwc(op.outputs[0].shape)
        return need_quant(op.inputs[0], op.outputs[0])

    def rule_same_quantization(self, op):
        """Input and output have the same scale and zero point."""
        a, b = op.inputs[0].quant, op.outputs[0].quant
        return None if (a.s, a.zp) == (b.s, b.zp) else "input and output quantization differ"

    def rule_activation(self, op):
        """Fused activation is NONE, RELU, RELU6 or RELU_N1_TO_1."""
        act = op.options.get("fused_activation_function", "NONE")
        return None if act in FUSED else f"fused activation {act} is not supported"

    def rule_geometry(self, op):
        """Output height and width follow from input, window, stride and padding."""
        _, ih, iw, _ = nhwc(op.inputs[0].shape)
        _, oh, ow, _ = nhwc(op.outputs[0].shape)
        o = op.options
        pad = o.get("padding", "SAME")
        want = (conv_out_size(pad, ih, o["filter_height"], o["stride_h"], 1),
                conv_out_size(pad, iw, o["filter_width"], o["stride_w"], 1))
        return None if want == (oh, ow) else f"output is {oh}x{ow}, expected {want[0]}x{want[1]}"

    def overlap(self, op):
        """Raster order over output pixels, each pixel's channels written after its window is read."""
        n, ih, iw, c = nhwc(op.inputs[0].shape)
        _, oh, ow, _ = nhwc(op.outputs[0].shape)
        o = op.options
        item = np.dtype(op.inputs[0].dtype).itemsize
        first = window_first_needed(n, ih, iw, c, oh, ow, o["stride_h"], o["stride_w"],
                                    same_padding(ih, o["filter_height"], o["stride_h"], 1, oh),
                                    same_padding(iw, o["filter_width"], o["stride_w"], 1, ow), item)
        return {0: (streaming_min_offset(c * item, first), None)}

    def lower(self, op, ctx):
        """Both schemes share the parameters; the kernel is mcu_<avg|max>pool_<scheme>."""
        if self.scheme(op) == "f32":
            return self.lower_f32(op, ctx)
        function = f"{self.function}_{self.scheme(op)}"
        n, ih, iw, c = nhwc(op.inputs[0].shape)
        _, oh, ow, _ = nhwc(op.outputs[0].shape)
        o, y = op.options, op.outputs[0]
        kh, kw, sh, sw = o["filter_height"], o["filter_width"], o["stride_h"], o["stride_w"]
        lo, hi = activation_range(o.get("fused_activation_function", "NONE"), y.quant.s, y.quant.zp, y.dtype)
        fields = [
            ("batches", n), ("in_h", ih), ("in_w", iw), ("channels", c), ("out_h", oh), ("out_w", ow),
            ("k_h", kh), ("k_w", kw), ("stride_h", sh), ("stride_w", sw),
            ("pad_top", same_padding(ih, kh, sh, 1, oh)), ("pad_left", same_padding(iw, kw, sw, 1, ow)),
            ("act_min", lo), ("act_max", hi),
        ]
        return Layer(op, function=function, struct="pool_params_t", fields=fields, args=[ctx.ptr(op.inputs[0]), ctx.ptr(y)],
                     sources=(f"pooling/mcu_{function}.c", "pooling/mcu_pool_impl.h"))

    # ---- float32 (scheme f32): TFLM's reference float pooling (mcu_avgpool_f32.c, mcu_maxpool_f32.c) ----
    signatures = signatures + (Sig("f32", (("float32",),), (("float32",),)),)
    rule_shapes = integer_only(rule_shapes)
    rule_same_quantization = integer_only(rule_same_quantization)

    def rule_f32_shapes(self, op):
        """Float32: input and output are 4-D NHWC tensors."""
        if self.scheme(op) == "f32":
            nhwc(op.inputs[0].shape), nhwc(op.outputs[0].shape)
        return None

    def lower_f32(self, op, ctx):
        """The integer kernels' geometry with a float clamp (mcu_pool_f32_params_t)."""
        n, ih, iw, c = nhwc(op.inputs[0].shape)
        _, oh, ow, _ = nhwc(op.outputs[0].shape)
        o, y = op.options, op.outputs[0]
        kh, kw, sh, sw = o["filter_height"], o["filter_width"], o["stride_h"], o["stride_w"]
        lo, hi = float_activation_range(o.get("fused_activation_function", "NONE"))
        fields = [
            ("batches", n), ("in_h", ih), ("in_w", iw), ("channels", c), ("out_h", oh), ("out_w", ow),
            ("k_h", kh), ("k_w", kw), ("stride_h", sh), ("stride_w", sw),
            ("pad_top", same_padding(ih, kh, sh, 1, oh)), ("pad_left", same_padding(iw, kw, sw, 1, ow)),
            ("act_min", lo), ("act_max", hi),
        ]
        function = f"{self.function}_f32"
        return Layer(op, function=function, struct="pool_f32_params_t", fields=fields,
                     args=[ctx.ptr(op.inputs[0]), ctx.ptr(y)], sources=(f"pooling/mcu_{function}.c",))


@register
class AveragePool2D(_Pool):
    ops = ("AVERAGE_POOL_2D",)
    function = "avgpool"


@register
class MaxPool2D(_Pool):
    ops = ("MAX_POOL_2D",)
    function = "maxpool"
