"""TRANSPOSE_CONV, int8 and 16x8 (kernel: runtime_c/conv/mcu_transpose_conv.c), TFLM's reference kernels.

Inputs: 0 output shape (int32, constant; TFLM reads the output tensor's own shape), 1 filter OHWI int8,
2 input, 3 optional bias. Padding is TFLM's: computed as for a convolution from the transpose's output
size (ComputePaddingHeightWidth on the output height and width). The fused activation of newer schemas
is applied. s8: int32 accumulators with the input offset, int32 bias, the 32-bit requantization. s16:
int64 accumulators, int64 or int16 bias (TFLM widens an int16 one), the 64-bit requantization; TFLM reads
an int32 bias of an int16 TRANSPOSE_CONV as int64 (wrong results), so that type is not accepted.
"""
from __future__ import annotations

import numpy as np

from ..quant import activation_range, f64, quantize_multiplier, reduce_multiplier_16
from .base import Layer, OpHandler, Sig, conv_out_size, need_quant, nhwc, register, same_padding
from .conv import FUSED
from .f32 import float_activation_range, group_rows, integer_only


@register
class TransposeConv(OpHandler):
    ops = ("TRANSPOSE_CONV",)
    signatures = (
        Sig("s8", (("int32",), ("int8",), ("int8",), ("int32",)), (("int8",),), optional=(3,)),
        Sig("s16", (("int32",), ("int8",), ("int16",), ("int64", "int16")), (("int16",),), optional=(3,)),
    )

    def rule_quantized(self, op):
        """Input, filter and output carry quantization parameters."""
        return need_quant(op.inputs[2], op.inputs[1], op.outputs[0])

    def rule_constant(self, op):
        """Output shape, filter and bias are constant tensors; the output shape equals the output tensor's."""
        for t in op.inputs[:2] + op.inputs[3:4]:
            if t is not None and not t.is_const:
                return f"tensor '{t.name}' must be constant"
        want = [int(v) for v in op.inputs[0].data.reshape(-1)]
        if want != list(op.outputs[0].shape):
            return f"output shape input {want} differs from the output tensor's {list(op.outputs[0].shape)}"
        return None

    def rule_shapes(self, op):
        """Input and output are 4-D NHWC with the same batch; the filter is [output channels, kh, kw, input
        channels]."""
        n, _, _, ic = nhwc(op.inputs[2].shape)
        n2, _, _, oc = nhwc(op.outputs[0].shape)
        f = nhwc(op.inputs[1].shape)
        if n != n2 or f[0] != oc or f[3] != ic:
            return f"filter {f} does not map input {op.inputs[2].shape} to output {op.outputs[0].shape}"
        return None

    def rule_symmetric_weights(self, op):
        """Weights are symmetric: every filter zero point is 0."""
        q = op.inputs[1].quant
        return None if q is None or not np.any(q.zero_point != 0) else "filter zero point is not 0"

    def rule_int16_zero_points(self, op):
        """16x8: input and output zero points are 0."""
        if self.scheme(op) != "s16":
            return None
        for t in (op.inputs[2], op.outputs[0]):
            if t.quant is not None and np.any(t.quant.zero_point != 0):
                return f"int16 tensor '{t.name}' has a nonzero zero point"
        return None

    def rule_options(self, op):
        """Padding is SAME or VALID, strides are at least 1, the fused activation is NONE, RELU, RELU6 or
        RELU_N1_TO_1."""
        o = op.options
        if o.get("padding", "SAME") not in ("SAME", "VALID"):
            return f"padding {o.get('padding')} is not supported"
        if o.get("stride_h", 1) < 1 or o.get("stride_w", 1) < 1:
            return "strides must be at least 1"
        act = o.get("fused_activation_function", "NONE") or "NONE"
        return None if act in FUSED else f"fused activation {act} is not supported"

    def geometry(self, op):
        n, ih, iw, ic = nhwc(op.inputs[2].shape)
        _, oh, ow, oc = nhwc(op.outputs[0].shape)
        _, kh, kw, _ = nhwc(op.inputs[1].shape)
        o = op.options
        sh, sw = o.get("stride_h", 1), o.get("stride_w", 1)
        pad = o.get("padding", "SAME")
        pt = same_padding(oh, kh, sh, 1, conv_out_size(pad, oh, kh, sh, 1))
        pl = same_padding(ow, kw, sw, 1, conv_out_size(pad, ow, kw, sw, 1))
        return n, ih, iw, ic, oh, ow, oc, kh, kw, sh, sw, pt, pl

    def macs(self, op):
        n, ih, iw, ic, oh, ow, oc, kh, kw, *_ = self.geometry(op)
        return n * ih * iw * ic * oc * kh * kw

    def scratch_bytes(self, op, features=frozenset()):
        """One accumulator per output element: int32 (s8) or int64 (s16)."""
        return op.outputs[0].size * (8 if self.scheme(op) == "s16" else 4)

    def overlap(self, op):
        """The kernel reads its whole input (the scatter into the scratch accumulators) before it writes
        any output byte, so input and output may share bytes in any placement."""
        return {2: (0, 0)}

    def _multipliers(self, op):
        x, w, y = op.inputs[2], op.inputs[1], op.outputs[0]
        ws = w.quant.scale
        oc = y.shape[-1]
        pairs = [quantize_multiplier(f64(x.quant.s) * f64(ws[c] if ws.size > 1 else ws[0]) / f64(y.quant.s))
                 for c in range(oc)]
        return np.array([m for m, _ in pairs], np.int64), np.array([s for _, s in pairs], np.int32)

    def lower(self, op, ctx):
        scheme = self.scheme(op)
        n, ih, iw, ic, oh, ow, oc, kh, kw, sh, sw, pt, pl = self.geometry(op)
        w, x, y = op.inputs[1], op.inputs[2], op.outputs[0]
        b = op.inputs[3] if len(op.inputs) > 3 else None
        mult, shift = self._multipliers(op)
        if scheme == "s16":
            mult = np.array([reduce_multiplier_16(m) for m in mult], np.int64)
        act = op.options.get("fused_activation_function", "NONE") or "NONE"
        lo, hi = activation_range(act, y.quant.s, y.quant.zp, y.dtype)
        bias32 = bias64 = "NULL"
        if b is not None and scheme == "s8":
            bias32 = ctx.const("bias", b.data, "int32_t")
        elif b is not None:
            bias64 = ctx.const("bias", b.data.astype(np.int64), "int64_t")
        fields = [
            ("batches", n), ("in_h", ih), ("in_w", iw), ("in_c", ic), ("out_h", oh), ("out_w", ow),
            ("out_c", oc), ("k_h", kh), ("k_w", kw), ("stride_h", sh), ("stride_w", sw),
            ("pad_top", pt), ("pad_left", pl),
            ("input_offset", -x.quant.zp), ("output_offset", y.quant.zp), ("act_min", lo), ("act_max", hi),
            ("filter", ctx.const("filter", w.data, "int8_t")), ("bias", bias32), ("bias64", bias64),
            ("multiplier", ctx.const("mult", mult, "int32_t")), ("shift", ctx.const("shift", shift, "int32_t")),
        ]
        return Layer(op, function=f"transpose_conv_{scheme}", struct="transpose_conv_params_t", fields=fields,
                     args=[ctx.ptr(x), ctx.ptr(y), ctx.scratch(self.scratch_bytes(op, ctx.features), "int32_t")],
                     sources=("conv/mcu_transpose_conv.c",))

    # ---- float32 (scheme f32): TFLM's reference float TransposeConv, gathered (mcu_transpose_conv_f32.c) ----
    signatures = signatures + (
        Sig("f32", (("int32",), ("float32",), ("float32",), ("float32",)), (("float32",),), optional=(3,)),)
    rule_quantized = integer_only(rule_quantized)
    _lower_integer, _scratch_integer, _overlap_integer = lower, scratch_bytes, overlap

    def scratch_bytes(self, op, features=frozenset()):
        """Integer schemes: one accumulator per output element, int32 (s8) or int64 (s16); float32: none (the
        float kernel gathers each output value)."""
        return 0 if self.scheme(op) == "f32" else self._scratch_integer(op, features)

    def overlap(self, op):
        """Integer schemes: the input is read fully (into the scratch accumulators) before any output byte is
        written, so input and output may share bytes; float32: no overlap (each output gathers from the
        whole input)."""
        return {} if self.scheme(op) == "f32" else self._overlap_integer(op)

    def lower(self, op, ctx):
        if self.scheme(op) != "f32":
            return self._lower_integer(op, ctx)
        n, ih, iw, ic, oh, ow, oc, kh, kw, sh, sw, pt, pl = self.geometry(op)
        w, x, y = op.inputs[1], op.inputs[2], op.outputs[0]
        b = op.inputs[3] if len(op.inputs) > 3 else None
        lo, hi = float_activation_range(op.options.get("fused_activation_function", "NONE") or "NONE")
        fields = [
            ("batches", n), ("in_h", ih), ("in_w", iw), ("in_c", ic), ("out_h", oh), ("out_w", ow),
            ("out_c", oc), ("k_h", kh), ("k_w", kw), ("stride_h", sh), ("stride_w", sw),
            ("pad_top", pt), ("pad_left", pl), ("act_min", lo), ("act_max", hi),
            ("filter", ctx.const("filter", group_rows(np.asarray(w.data, np.float32).reshape(oc, -1)), "float")),
            ("bias", ctx.const("bias", np.asarray(b.data, np.float32), "float") if b is not None else "NULL"),
        ]
        return Layer(op, function="transpose_conv_f32", struct="transpose_conv_f32_params_t", fields=fields,
                     args=[ctx.ptr(x), ctx.ptr(y)], sources=("conv/mcu_transpose_conv_f32.c",))
