"""CONV_2D and DEPTHWISE_CONV_2D, int8 and 16x8 (kernels: runtime_c/conv/).

s8: int8 activations, int8 symmetric weights, int32 bias (fast kernels chosen per layer, below).
s16: int16 activations with zero point 0, int8 symmetric weights, int64 bias (int32 too for CONV_2D, as
TFLM accepts) or none: TFLM's reference int16 kernels (int64 accumulator and the 64-bit requantization;
an int32 bias makes TFLM's CONV_2D sum in int32 and requantize with the 32-bit recipe).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..ir import Operator
from ..planner.overlap import reverse_min_offset, streaming_min_offset, window_first_needed, window_last_needed
from ..quant import activation_range, f64, quantize_multiplier, reduce_multiplier_16, type_range
from .base import Layer, OpHandler, Sig, conv_out_size, need_quant, nhwc, register, same_padding
from .f32 import F32_SIG_INPUTS, float_activation_range, group_rows, integer_only

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



def fast_requant_table(mult: np.ndarray, shift: np.ndarray, output_zp: int, acc_bound: np.ndarray) -> np.ndarray | None:
    """{M, K, e} per channel for the kernels' one-multiply requantization, or None when it is not exact.

    TFLM computes out = RDBPOT(SRDHM(acc * 2^left, M), right) + zp. When left = 0 and right = e >= 1:
      - SRDHM(acc, M) = floor((acc*M + 2^30) / 2^31) (its nudge 1 - 2^30 for negative products, then
        truncation, is the same floor), = floor((2acc*M + 2^31) / 2^32) = SMMLAR(2acc, M, 0) =: v;
      - RDBPOT(v, e) = floor((v + 2^(e-1) - [v < 0]) / 2^e), and adding zp * 2^e inside the floor adds zp,
        so out = (SMMLAR(2acc, M, K) - [v < 0]) >> e with K = 2^(e-1) + zp * 2^e;
      - [v < 0] may be replaced by [acc < 0]: acc >= 0 gives v >= 0, and acc < 0 with v >= 0 means v = 0,
        where subtracting 1 from 2^(e-1) + zp * 2^e does not change the floor (e >= 1).
    No step overflows while |acc| < 2^30 (so 2acc fits) and |v| + |K| + 1 < 2^31, with
    |v| <= |acc| * M / 2^31 + 1; `acc_bound` is the largest |acc| the layer can produce, per channel.
    """
    mult = np.asarray(mult, np.int64)
    shift = np.asarray(shift, np.int64)
    bound = np.broadcast_to(np.asarray(acc_bound, np.int64), mult.shape)
    if np.any(shift > -1) or np.any(shift < -31) or np.any(mult <= 0) or np.any(bound >= 1 << 30):
        return None
    e = -shift
    k = (np.int64(1) << (e - 1)) + np.int64(output_zp) * (np.int64(1) << e)
    vmax = (bound * mult >> 31) + 1
    if np.any(vmax + np.abs(k) + 1 >= 1 << 31):
        return None
    return np.stack([mult, k, e], axis=1).astype(np.int32).ravel()


def wrap_int32(x) -> np.ndarray:
    """Integers reduced modulo 2^32 into int32 (the C kernels add in uint32)."""
    return (np.asarray(x, np.int64) & 0xFFFFFFFF).astype(np.uint32).view(np.int32)

class _ConvBase(OpHandler):
    depthwise = False

    signatures = (
        Sig("s8", (("int8",), ("int8",), ("int32",)), (("int8",),), optional=(2,)),
        Sig("s16", (("int16",), ("int8",), ("int64", "int32")), (("int16",),), optional=(2,)),
    )

    def rule_quantized(self, op):
        """Input, filter and output carry quantization parameters."""
        return need_quant(op.inputs[0], op.inputs[1], op.outputs[0])

    def rule_int16_zero_points(self, op):
        """16x8 (int16 activations): input and output zero points are 0 (TFLM's int16 kernels ignore them)."""
        if self.scheme(op) != "s16":
            return None
        for t in (op.inputs[0], op.outputs[0]):
            if t.quant is not None and np.any(t.quant.zero_point != 0):
                return f"int16 tensor '{t.name}' has zero point {int(t.quant.zero_point.flat[0])}, needs 0"
        return None

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
        item = np.dtype(op.inputs[0].dtype).itemsize
        first = window_first_needed(n, ih, iw, ic, oh, ow, sh, sw, pt, pl, item)
        last = window_last_needed(n, ih, iw, ic, oh, ow, kh, kw, sh, sw, dh, dw, pt, pl, item)
        return {0: (streaming_min_offset(oc * item, first), reverse_min_offset(oc * item, last))}

    def macs(self, op):
        n, ih, iw, ic, oh, ow, oc, kh, kw, *_ = self.geometry(op)
        per_out = kh * kw * (1 if self.depthwise else ic)
        return n * oh * ow * oc * per_out

    def geometry_fields(self, op, ctx):
        n, ih, iw, ic, oh, ow, oc, kh, kw, sh, sw, dh, dw = self.geometry(op)
        return [
            ("batches", n), ("in_h", ih), ("in_w", iw), ("in_c", ic), ("out_h", oh), ("out_w", ow),
            ("out_c", oc), ("k_h", kh), ("k_w", kw), ("stride_h", sh), ("stride_w", sw),
            ("dil_h", dh), ("dil_w", dw), ("pad_top", same_padding(ih, kh, sh, dh, oh)),
            ("pad_left", same_padding(iw, kw, sw, dw, ow)),
            ("depth_multiplier", op.options.get("depth_multiplier", 1) if self.depthwise else 1),
            ("reverse", int(ctx.reversed_step())),
        ]

    def lower_s16(self, op, ctx):
        """TFLM's reference int16 kernels (mcu_conv_s16.c, mcu_depthwise_conv_s16.c; see mcu_conv.h)."""
        oc = self.geometry(op)[6]
        x, w, y = op.inputs[0], op.inputs[1], op.outputs[0]
        b = op.inputs[2] if len(op.inputs) > 2 else None
        mult, shift = per_channel_multipliers(op, oc)
        acc64 = b is None or b.dtype == "int64"
        if acc64:
            mult = np.array([reduce_multiplier_16(m) for m in mult], np.int32)
        lo, hi = activation_range(op.options.get("fused_activation_function", "NONE"), y.quant.s, y.quant.zp, y.dtype)
        packed = self.dw_s16_dsp_weights(op, ctx.features)
        fields = self.geometry_fields(op, ctx) + [
            ("acc64", int(acc64)), ("act_min", lo), ("act_max", hi),
            ("filter", ctx.const("filter", w.data, "int8_t") if packed is None else "NULL"),
            ("bias", ctx.const("bias", b.data.astype(np.int64), "int64_t") if b is not None and packed is None
             else "NULL"),
            ("multiplier", ctx.const("mult", mult, "int32_t") if packed is None else "NULL"),
            ("shift", ctx.const("shift", shift, "int32_t") if packed is None else "NULL"),
        ]
        if packed is not None:  # the DSP path reads only these (bias and multipliers folded into rq)
            bias = b.data.astype(np.int64).reshape(-1) if b is not None else np.zeros(oc, np.int64)
            rq = np.zeros((oc, 4), np.int64)
            for c in range(oc):
                total = 15 - int(shift[c])
                folded = (int(bias[c]) * int(mult[c]) + (1 << (total - 1))) % (1 << 64)
                rq[c] = (folded & 0xFFFFFFFF, folded >> 32, int(mult[c]), total)
            fields += [("weights", ctx.const("weights", packed, "int32_t")),
                       ("pad", ctx.const("pad", np.zeros(x.shape[-1], np.int16), "int16_t")),
                       ("rq", ctx.const("rq", wrap_int32(rq.ravel()), "int32_t"))]
        name = "depthwise_conv_s16" if self.depthwise else "conv_s16"
        args = [ctx.ptr(x), ctx.ptr(y)]
        if not self.depthwise:
            col = conv_s16_scratch_bytes(op)
            args.append(ctx.scratch(col, "int16_t") if col else "NULL")
        return Layer(op, function=name, struct="conv_s16_params_t", fields=fields,
                     args=args, sources=(f"conv/mcu_{name}.c",))

    def dw_s16_dsp_weights(self, op, features=frozenset()):
        """The 16x8 depthwise kernel's DSP weight words (mcu_depthwise_conv_s16.c): per group of 4
        output channels, per tap pair, 4 words (w[2k][c], w[2k+1][c]) as int16; or None: only for a
        board with the DSP extension and at most DW16_DSP_MAX_TAPS taps (an odd count padded by one);
        the kernel then reads only these words (int16 pairs of taps), so the int8 filter is left out."""
        if not self.depthwise or "dsp" not in features:
            return None
        kh, kw, oc = op.inputs[1].shape[1], op.inputs[1].shape[2], op.outputs[0].shape[-1]
        taps = kh * kw
        if taps + taps % 2 > DW16_DSP_MAX_TAPS:
            return None
        oc4 = -(-oc // 4) * 4
        wt = np.zeros((taps + taps % 2, oc4), np.int64)             # [tap][output channel], zero padded
        wt[:taps, :oc] = op.inputs[1].data.reshape(taps, oc)
        words = _halves(wt[0::2], wt[1::2])                         # [tap pair][channel]
        return wrap_int32(words.reshape(words.shape[0], oc4 // 4, 4).transpose(1, 0, 2).ravel())

    def lower_reference_s8(self, op, ctx):
        n, ih, iw, ic, oh, ow, oc, kh, kw, sh, sw, dh, dw = self.geometry(op)
        x, w, y = op.inputs[0], op.inputs[1], op.outputs[0]
        b = op.inputs[2] if len(op.inputs) > 2 else None
        mult, shift = per_channel_multipliers(op, oc)
        lo, hi = activation_range(op.options.get("fused_activation_function", "NONE"), y.quant.s, y.quant.zp, y.dtype)
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

    # ---- float32 (scheme f32): TFLM's reference float kernels (mcu_conv_f32.c, mcu_depthwise_conv_f32.c) ----
    signatures = signatures + (Sig("f32", F32_SIG_INPUTS, (("float32",),), optional=(2,)),)
    rule_quantized = integer_only(rule_quantized)

    def lower_f32(self, op, ctx):
        """Float weights and bias as in the model (float32 in flash; CONV_2D's grouped by 8 output channels,
        see mcu_conv.h); the fused activation is a float clamp."""
        x, w, y = op.inputs[0], op.inputs[1], op.outputs[0]
        b = op.inputs[2] if len(op.inputs) > 2 else None
        lo, hi = float_activation_range(op.options.get("fused_activation_function", "NONE"))
        wf = np.asarray(w.data, np.float32)
        filt = wf if self.depthwise else group_rows(wf.reshape(wf.shape[0], -1))
        fields = self.geometry_fields(op, ctx) + [
            ("act_min", lo), ("act_max", hi),
            ("filter", ctx.const("filter", filt, "float")),
            ("bias", ctx.const("bias", b.data, "float") if b is not None else "NULL"),
        ]
        name = "depthwise_conv_f32" if self.depthwise else "conv_f32"
        return Layer(op, function=name, struct="conv_f32_params_t", fields=fields,
                     args=[ctx.ptr(x), ctx.ptr(y)], sources=(f"conv/mcu_{name}.c",))

    # ---- int4 weights, int8 activations (scheme s4): TFLM unpacks the filter and runs its int8 reference
    # kernel, so the arithmetic is the int8 one; the weights stay packed (mcu_conv_s4.c, mcu_depthwise_conv_s4.c)
    signatures = signatures + (Sig("s4", (("int8",), ("int4",), ("int32",)), (("int8",),), optional=(2,)),)

    def rule_s4_row_length(self, op):
        """int4 weights: a CONV_2D filter row (k_h * k_w * in_channels) or a DEPTHWISE_CONV_2D window holds at
        most 65,536 values (the packed kernels sum 16 * x * w in int32)."""
        if self.scheme(op) != "s4":
            return None
        f = op.inputs[1].shape
        k = f[1] * f[2] * (1 if self.depthwise else f[3])
        return None if k <= S4_MAX_ROW else f"filter row of {k} values, at most {S4_MAX_ROW}"

    def s4_scratch_bytes(self, op, features=frozenset()):
        """mcu_conv_s4_get_buffer_size: the windows of two pixels as int16, or with the DSP product
        (plan_s4_gemm) of `pixels` pixels in its layout, 8 bytes per group of 4 values and pixel (none for
        the depthwise kernel)."""
        if self.depthwise:
            return 0
        if s4_one_pixel(op):
            return 16 * s4_row_words(op.inputs[1].shape[3])
        plan = plan_s4_gemm(op, self.geometry(op), features)
        if plan is not None:
            return plan.scratch
        f = op.inputs[1].shape
        return 32 * s4_row_words(f[1] * f[2] * f[3])

    def lower_s4(self, op, ctx):
        """Packed int4 weights: CONV_2D rows in the layout of mcu_s4_impl.h (pack_s4_rows), DEPTHWISE_CONV_2D
        the model's own dense packing; TFLM's multipliers and its int8 reference arithmetic."""
        oc = self.geometry(op)[6]
        x, w, y = op.inputs[0], op.inputs[1], op.outputs[0]
        b = op.inputs[2] if len(op.inputs) > 2 else None
        mult, shift = per_channel_multipliers(op, oc)
        lo, hi = activation_range(op.options.get("fused_activation_function", "NONE"), y.quant.s, y.quant.zp, y.dtype)
        if not self.depthwise and s4_one_pixel(op):  # a matrix-vector product: the FULLY_CONNECTED kernel
            from .fully_connected import fc_s4_layer
            return fc_s4_layer(op, ctx, w.data.reshape(oc, -1), mult, shift, 0, 1)
        grouped = self.depthwise and dw_s4_grouped(op, ctx.features)
        gemm = None if self.depthwise else plan_s4_gemm(op, self.geometry(op), ctx.features)
        if gemm is not None:
            return self.lower_s4_gemm(op, ctx, gemm)
        if self.depthwise:
            words, filt = 0, pack_int4_words(w.data)
        else:
            filt, words = pack_s4_rows(w.data.reshape(oc, -1))
        fields = self.geometry_fields(op, ctx) + [
            ("input_zp", x.quant.zp), ("output_zp", y.quant.zp), ("act_min", lo), ("act_max", hi),
            ("row_words", words),
            ("filter", ctx.const("filter", filt, "int32_t") if not grouped else "NULL"),
            ("bias", ctx.const("bias", b.data, "int32_t") if b is not None and not grouped else "NULL"),
        ]
        rq = s4_fast_requant(op, mult, shift, w.data.reshape(-1, oc).T if self.depthwise else w.data.reshape(oc, -1))
        rqs = s4_shifted_requant(op, mult, shift, w.data.reshape(-1, oc).T) if grouped and rq is None else None
        tflm = rq is None and rqs is None
        fields += [("multiplier", ctx.const("mult", mult, "int32_t") if tflm else "NULL"),
                   ("shift", ctx.const("shift", shift, "int32_t") if tflm else "NULL"),
                   ("rq", ctx.const("rq", rq, "int32_t") if rq is not None else "NULL"),
                   ("rq_shifted", ctx.const("rqs", rqs, "int32_t") if rqs is not None else "NULL"),
                   ("pad", ctx.const("pad", np.full(4 * -(-x.shape[-1] // 4), x.quant.zp, np.int8), "int8_t")
                    if self.depthwise else "NULL")]
        if grouped:
            gw, gb = pack_dw_s4_groups(op)
            fields += [("group_weights", ctx.const("gweights", gw, "int32_t")),
                       ("group_bias", ctx.const("gbias", gb, "int32_t"))]
        else:
            fields += [("group_weights", "NULL"), ("group_bias", "NULL")]
        name = "depthwise_conv_s4" if self.depthwise else "conv_s4"
        scratch = self.s4_scratch_bytes(op, ctx.features)
        return Layer(op, function=name, struct="conv_s4_params_t", fields=fields,
                     args=[ctx.ptr(x), ctx.ptr(y), ctx.scratch(scratch, "int16_t") if scratch else "NULL"],
                     sources=(f"conv/mcu_{name}.c", "conv/mcu_s4_impl.h"))


    def lower_s4_gemm(self, op, ctx, gemm):
        """CONV_2D on a board with the DSP extension (plan_s4_gemm): only the packed stream is read (the
        bias, the input offset and the requantization constants are in it)."""
        x, y = op.inputs[0], op.outputs[0]
        lo, hi = activation_range(op.options.get("fused_activation_function", "NONE"), y.quant.s, y.quant.zp, y.dtype)
        fields = self.geometry_fields(op, ctx) + [
            ("input_zp", x.quant.zp), ("output_zp", y.quant.zp), ("act_min", lo), ("act_max", hi),
            ("row_words", 0), ("filter", "NULL"), ("bias", "NULL"), ("multiplier", "NULL"), ("shift", "NULL"),
            ("rq", "NULL"), ("pad", "NULL"), ("group_weights", "NULL"), ("group_bias", "NULL"),
            ("stream", ctx.const("stream", gemm.stream, "int32_t")), ("groups", gemm.groups),
            ("pixels", gemm.pixels), ("odd_shift", gemm.odd_shift),
        ]
        scratch = gemm.scratch
        return Layer(op, function="conv_s4", struct="conv_s4_params_t", fields=fields,
                     args=[ctx.ptr(x), ctx.ptr(y), ctx.scratch(scratch, "int16_t")],
                     sources=("conv/mcu_conv_s4.c", "conv/mcu_s4_impl.h"),
                     extra={"constant_channels": gemm.constant_channels})

# ---- fast CONV_2D kernels (runtime_c/conv/mcu_conv_1x1_s8.c, mcu_conv_im2col_s8.c) -------------------

_I32 = 1 << 31


def _wrap32(v: int) -> int:
    return (int(v) + _I32) % (1 << 32) - _I32


def tflm_requantize(acc: int, mult: int, shift: int) -> int:
    """mcu_requantize (TFLM MultiplyByQuantizedMultiplier) on Python integers, for build-time constants."""
    left, right = max(shift, 0), max(-shift, 0)
    a = _wrap32(acc << left)
    if a == -_I32 and mult == -_I32:
        v = _I32 - 1
    else:
        ab = a * mult
        t = ab + ((1 << 30) if ab >= 0 else 1 - (1 << 30))
        v = abs(t) >> 31 if t >= 0 else -(abs(t) >> 31)
    mask = (1 << right) - 1
    return (v >> right) + int((v & mask) > (mask >> 1) + int(v < 0))


def fast_requant(acc: int, m2: int, h: int, e: int) -> int:
    """mcu_conv_fast_requant (mcu_conv.h) on Python integers: SMMLAR(acc, m2, h + acc + s) >> e."""
    t = _wrap32(h + acc - int(acc < 0))
    return _wrap32(((t << 32) + acc * m2 + (1 << 31)) >> 32) >> e


@dataclass
class FastConv:
    """What the fast kernels need for one CONV_2D, all computed at build time (see mcu_conv.h)."""

    function: str          # conv_1x1_s8 or conv_im2col_s8
    k_groups: int
    weights: np.ndarray    # int32 stream in the kernels' order (mcu_conv.h)
    constant_channels: int  # channels whose output is the same for every input (e.g. zero weights)

    row_groups: int = 0     # groups per filter row (0: K padded at its end only)
    w16: bool = False       # weights stored as int16 pairs (twice the flash, 20% fewer instructions)
    pixels: int = 3         # output pixels per block (3, or 2 to save scratch; 1: the pair-word layout)
    staging: bool = False   # mcu_conv_im2col_s8 with in_c not a multiple of 4: a byte row after the slots

    @property
    def scratch(self) -> int:
        """Bytes (mcu_conv_*_get_buffer_size): `pixels` x 4 int16 per group (pixels = 4, the Helium layout:
        4 x 4 int8), plus the staging row; pixels = 1: 4 * k_groups bytes for the window (im2col), else 0."""
        if self.pixels == 1:  # the pair-word layout: the window's bytes (im2col), nothing for 1x1
            return 0 if self.function in ("conv_1x1_s8", "conv_1x1_k8_s8") else 4 * self.k_groups
        per_group = 16 if self.pixels == 4 else 8 * self.pixels
        return (per_group + (4 if self.staging else 0)) * self.k_groups


# int16 weights: the product loop needs 12 instructions per 16 MACs instead of 15 (no SXTB16), for twice
# the layer's weight flash. Each extra flash byte saves about 0.19 * (output pixels) instructions per
# inference, so layers with many output pixels and few weights take them.
W16_MIN_PIXELS = 64
W16_MAX_BYTES = 16 * 1024
# Blocks of 3 output pixels need 5% to 12% fewer instructions than blocks of 2 but a scratch half as
# large again (24 instead of 16 bytes per group of 4 window values). The scratch only costs RAM where
# the arena peaks, which in these networks is where activations are large: a layer whose input and
# output together reach PIXELS2_ACTIVATIONS bytes uses blocks of 2 when its scratch would exceed
# PIXELS3_MAX_SCRATCH (e.g. the 32x32x16 3x3 convolutions of pretrainedResnet_quant).
PIXELS3_MAX_SCRATCH = 512
PIXELS2_ACTIVATIONS = 32 * 1024


def im2col_row_groups(k_w: int, in_c: int) -> int:
    """mcu_conv_im2col_s8_row_groups (mcu_conv.h): groups of 4 values per filter row, whole rows or rows
    padded to at most 1.5 times their length; 0: the window is padded at its end only."""
    row = k_w * in_c
    groups = (row + 3) // 4
    return groups if row % 4 == 0 or 8 * groups <= 3 * row else 0


def _accumulator_range(op: Operator, oc: int, k: int, multipliers=None):
    """What the fast kernels' plans prove their requantization from: (weights as [oc, k] int64, bias,
    per-channel multipliers and shifts (TFLM's convolution's, or `multipliers`, e.g. FULLY_CONNECTED's one per
    tensor), input and output zero points, the activation clamp, and per channel the least and largest
    accumulator bias + sum w * (x - zp) over every input of the input's type)."""
    x, w, y = op.inputs[0], op.inputs[1], op.outputs[0]
    b = op.inputs[2] if len(op.inputs) > 2 else None
    wk = w.data.reshape(oc, k).astype(np.int64)
    bias = b.data.astype(np.int64).reshape(-1) if b is not None else np.zeros(oc, np.int64)
    mult, shift = per_channel_multipliers(op, oc) if multipliers is None else multipliers
    mult, shift = np.broadcast_to(mult, (oc,)), np.broadcast_to(shift, (oc,))
    zp_in, zp_out = int(x.quant.zp), int(y.quant.zp)
    lo, hi = activation_range(op.options.get("fused_activation_function", "NONE"), y.quant.s, y.quant.zp, y.dtype)
    q_lo, q_hi = type_range(x.dtype)
    d_lo, d_hi = q_lo - zp_in, q_hi - zp_in
    acc_lo = bias + np.minimum(wk * d_lo, wk * d_hi).sum(axis=1)
    acc_hi = bias + np.maximum(wk * d_lo, wk * d_hi).sum(axis=1)
    return wk, bias, mult, shift, zp_in, zp_out, lo, hi, acc_lo, acc_hi


def _fast_quant(wk, bias, mult, shift, zp_in, zp_out, lo, hi, acc_lo, acc_hi):
    """The fast kernels' per-channel requantization (mcu_conv_fast_requant), or None when a channel does not
    meet its condition: (quant, constant) with quant [oc + (oc & 1), 4] = (bias with the input offset folded
    in, m2, h, e) per channel (an odd count padded with a zero channel) and constant[c] True for a channel
    whose output is the same for every input (its weights must be stored as zeros: bias 0, h = 2 * output)."""
    oc = wk.shape[0]
    oc2 = oc + (oc & 1)
    quant = np.zeros((oc2, 4), np.int64)  # bias, m2, h, e
    quant[oc:] = (0, -_I32, 0, 1)  # the padding channel
    constant = np.zeros(oc, bool)
    for c in range(oc):
        m, s = int(mult[c]), int(shift[c])
        ends = []
        for a in (int(acc_lo[c]), int(acc_hi[c])):
            if s > 0 and not -_I32 <= (a << s) < _I32:
                break
            ends.append(min(max(tflm_requantize(a, m, s) + zp_out, lo), hi))
        if len(ends) == 2 and ends[0] == ends[1]:  # requantization is monotonic: constant channel
            quant[c] = (0, -_I32, 2 * ends[0], 1)
            constant[c] = True
            continue
        e = -s
        if e < 1 or not (1 << 30) <= m < _I32:
            return None
        h = (1 << (e - 1)) + zp_out * (1 << e)
        if abs(h) + max(abs(int(acc_lo[c])), abs(int(acc_hi[c]))) + 2 >= _I32:
            return None
        quant[c] = (_wrap32(int(bias[c]) - zp_in * int(wk[c].sum())), 2 * m - (1 << 32), h, e)
    return quant, constant


def k8_fits(ic: int, oc: int, act_min: int, act_max: int, features=frozenset()) -> bool:
    """mcu_conv_1x1_k8_s8 (mcu_conv.h) for a 1x1 convolution: 4 or 8 input channels, an even number of output
    channels, no clamp narrower than int8, a core with DSP (not Helium, not --optimize size: its int16 weights
    take twice the bytes). On person_detect's 48x48 8 -> 16 layer (cortex-m4) it needs about 240 instructions per
    pixel against 356 for the blocked product, whose per-pair set-up and loop tests outweigh 8 MACs."""
    return (ic in (4, 8) and oc >= 2 and oc % 2 == 0 and (act_min, act_max) == (-128, 127)
            and "dsp" in features and "mve" not in features and "optimize:size" not in features)


def pack_k8_stream(wpad: np.ndarray, quant: np.ndarray) -> np.ndarray:
    """mcu_conv_1x1_k8_s8's stream (mcu_conv.h): per output channel the folded bias, per group of 4 weights the
    int16 pairs (w0, w2) (w1, w3), then m2, h, e. `wpad` [oc, 4 * groups], `quant` [oc, 4] (_fast_quant)."""
    oc, k = wpad.shape
    halves = wpad.reshape(oc, k // 4, 4)[..., [0, 2, 1, 3]].astype("<i2")
    pairs = np.ascontiguousarray(halves).view("<i4").reshape(oc, k // 2).astype(np.int64)
    stream = np.concatenate([quant[:oc, :1], pairs, quant[:oc, 1:]], axis=1)
    return wrap_int32(stream.reshape(-1))


def plan_fast_conv(op: Operator, geometry, features=frozenset()) -> FastConv | None:
    """The fast kernels' constants for `op`, or None when a channel does not meet their condition:
    every output channel is either constant over the whole input range, or has shift <= -1 (real
    multiplier < 0.5) and h + v fitting int32 for every possible accumulator (mcu_conv_fast_requant).
    The accumulator range comes from the weights: bias + sum w * (x - zp) with x in the int8 range.
    int16 weights (w16) only pay on a board with the DSP extension (the plain C product reads either
    layout at the same cost), so other boards keep the compact int8 layout. A board with Helium ("mve")
    gets the vector layout instead (pixels = 4, per channel bias, m2, h, e and its int8 weight row;
    mcu_conv.h)."""
    n, ih, iw, ic, oh, ow, oc, kh, kw, sh, sw, dh, dw = geometry
    x, y = op.inputs[0], op.outputs[0]
    k = kh * kw * ic
    one = kh == 1 and kw == 1
    row_groups = 0 if one else im2col_row_groups(kw, ic)
    groups = kh * row_groups if row_groups else (k + 3) // 4
    wk, bias, mult, shift, zp_in, zp_out, lo, hi, acc_lo, acc_hi = _accumulator_range(op, oc, k)
    if acc_lo.min() < -_I32 or acc_hi.max() >= _I32:
        return None
    oc2 = oc + (oc & 1)
    wpad = np.zeros((oc2, 4 * groups), np.int64)
    if row_groups:  # each filter row padded to row_groups groups
        wpad.reshape(oc2, kh, 4 * row_groups)[:oc, :, :kw * ic] = wk.reshape(oc, kh, kw * ic)
    else:
        wpad[:oc, :k] = wk
    fq = _fast_quant(wk, bias, mult, shift, zp_in, zp_out, lo, hi, acc_lo, acc_hi)
    if fq is None:
        return None
    quant, zero = fq
    wpad[:oc][zero] = 0
    constant = int(zero.sum())
    function = "conv_1x1_s8" if one else "conv_im2col_s8"
    staging = not one and ic % 4 != 0
    if "mve" in features:  # the Helium layout (mcu_conv.h): per pair of channels, see pack_gemm4_mve
        return FastConv(function, groups, pack_gemm4_mve(wpad, quant), constant, row_groups, False, 4, staging)
    if one and k8_fits(ic, oc, lo, hi, features):  # mcu_conv_1x1_k8_s8: one pixel, its values in registers
        return FastConv("conv_1x1_k8_s8", groups, pack_k8_stream(wpad, quant), constant, 0, True, 1, False)
    # per pair: bias[2], then [group][channel of the pair][4 bytes] as little-endian int32 words (w16:
    # [group][channel of the pair][halves w0 w2 w1 w3] as int16 pairs), then m2[2], h[2], e[2]
    w16 = "dsp" in features and "optimize:size" not in features and n * oh * ow >= W16_MIN_PIXELS and oc2 * 4 * groups <= W16_MAX_BYTES  # --optimize size: int8 only
    packed = wpad.reshape(oc2 // 2, 2, groups, 4).transpose(0, 2, 1, 3)  # [pair][group][channel][4]
    if w16:  # int16 halves in the scratch's order: (w0, w2), (w1, w3)
        words = np.ascontiguousarray(packed[..., [0, 2, 1, 3]].astype("<i2")).view("<i4")
    else:
        words = np.ascontiguousarray(packed.astype(np.int8)).view("<i4")
    words = words.reshape(oc2 // 2, -1).astype(np.int64)
    q = quant.reshape(oc2 // 2, 2, 4).transpose(0, 2, 1)  # [pair][bias, m2, h, e][channel]
    stream = np.concatenate([q[:, 0], words, q[:, 1:].reshape(oc2 // 2, 6)], axis=1)
    function = "conv_1x1_s8" if one else "conv_im2col_s8"
    staging = not one and ic % 4 != 0
    plan = FastConv(function, groups, stream.reshape(-1).astype(np.int32), constant, row_groups, w16, 3, staging)
    if plan.scratch > PIXELS3_MAX_SCRATCH and x.size + y.size >= PIXELS2_ACTIVATIONS:
        plan.pixels = 2
    return plan


# ---- the pair-word layout of cores without DSP (pixels = 1; mcu_conv.h, mcu_conv_pairs_pixel) ------------
#: the weight of a pair's second channel sits PAIR_SHIFT bits up in the pair's word: W = w_a + w_b * 2^23
#: fits int32 for any int8 w_a, w_b, and one 32x32->64 multiply-accumulate (SMLAL) of W with an input value
#: adds x * w_a to the low field and x * w_b to the high one (two MACs).
PAIR_SHIFT = 23
PAIR_BLOCK = 3   # pairs per block: the 3 64-bit sums, an input and 3 words fill Armv7-M's 14 registers
PAIR_RQ = 9      # words per pair after a block's weights: 2 bias_a, M_a, K_a, e_a, 2^31, M_b, K_b, e_b, 2^31


def pair_field_fits(wa: np.ndarray, x_dtype: str = "int8") -> bool:
    """The low field of every pair's sum (sum of x * w_a over the row, any input of x's type) stays in
    [-2^22, 2^22), so that the low PAIR_SHIFT bits of the 64-bit sum give it exactly (sign-extended) and the
    bits above give the high field."""
    q_lo, q_hi = type_range(x_dtype)
    wa = np.asarray(wa, np.int64)
    top = np.maximum(wa * q_lo, wa * q_hi).sum(axis=-1)
    bottom = np.minimum(wa * q_lo, wa * q_hi).sum(axis=-1)
    half = 1 << (PAIR_SHIFT - 1)
    return bool(top.max(initial=0) < half and bottom.min(initial=0) >= -half)


def pack_pair_stream(wk: np.ndarray, quant: np.ndarray) -> np.ndarray:
    """[oc, K] int8 weights (constant channels zeroed) and quant [oc + (oc & 1), 4] (_fast_quant) -> the
    pair-word stream (mcu_conv.h, pixels = 1): channels in pairs (2j, 2j + 1; an odd count padded with a
    zero channel, computed, never written), pairs in blocks of PAIR_BLOCK (the last block 1 to 3 pairs); per
    block: per pair the 64-bit start value bias_b * 2^23 (low word, high word), then per input value k the
    block's pair words w_a[k] + w_b[k] * 2^23, then per pair 2 bias_a, M_a, K_a, e_a, 2^31, M_b, K_b, e_b,
    2^31 (the doubled accumulators' requantization, mcu_conv.h: M = TFLM's multiplier, K = h, e as in
    quant, and the rounding term, loaded with them)."""
    oc, k = wk.shape
    oc2 = quant.shape[0]
    w = np.zeros((oc2, k), np.int64)
    w[:oc] = wk
    words = w[0::2] + w[1::2] * (1 << PAIR_SHIFT)                  # [pair][k]
    pairs = oc2 // 2
    bias = wrap_int32(quant[:, 0]).astype(np.int64)
    start = bias[1::2] * (1 << PAIR_SHIFT)                          # 64-bit, exact
    lo_hi = np.stack([start & 0xFFFFFFFF, (start >> 32) & 0xFFFFFFFF], axis=1)
    # the doubled accumulators' requantization: M = TFLM's multiplier (m2 = 2M - 2^32), K = h, e
    mke = np.stack([(quant[:, 1] + (1 << 32)) // 2, quant[:, 2], quant[:, 3], np.full(len(quant), _I32)], axis=1)
    rq = np.concatenate([2 * bias[0::2, None], mke[0::2], mke[1::2]], axis=1)  # [pair][9]
    out = []
    for j in range(0, pairs, PAIR_BLOCK):
        nb = min(PAIR_BLOCK, pairs - j)
        out += [lo_hi[j:j + nb].ravel(), words[j:j + nb].T.ravel(), rq[j:j + nb].ravel()]
    return wrap_int32(np.concatenate(out))


def plan_pair_conv(op: Operator, geometry) -> FastConv | None:
    """The pair-word plan of a CONV_2D on a core without DSP (pixels = 1: one output pixel at a time, read
    straight from the input (1x1) or from its window gathered as bytes (im2col), every channel pair's two
    MACs per input value in one multiply-accumulate of 64 bits), or None when the fast requantization
    (_fast_quant) or the low field's range (pair_field_fits) does not hold."""
    n, ih, iw, ic, oh, ow, oc, kh, kw, sh, sw, dh, dw = geometry
    one = kh == 1 and kw == 1
    return plan_pair_rows(op, oc, kh * kw * ic, "conv_1x1_s8" if one else "conv_im2col_s8")


def plan_pair_rows(op: Operator, oc: int, k: int, function: str, multipliers=None) -> FastConv | None:
    """plan_pair_conv for op's weights as [oc, k] rows (a CONV_2D's OHWI filter, a FULLY_CONNECTED's
    [units, depth]) with TFLM's convolution multipliers or the given `multipliers`."""
    x = op.inputs[0]
    wk, bias, mult, shift, zp_in, zp_out, lo, hi, acc_lo, acc_hi = _accumulator_range(op, oc, k, multipliers)
    if acc_lo.min() < -_I32 or acc_hi.max() >= _I32:
        return None
    fq = _fast_quant(wk, bias, mult, shift, zp_in, zp_out, lo, hi, acc_lo, acc_hi)
    if fq is None:
        return None
    quant, zero = fq
    live = ~zero  # the doubled accumulators fit int32
    if np.any(np.maximum(-acc_lo, acc_hi)[live] >= 1 << 30):
        return None
    wk = wk.copy()
    wk[zero] = 0
    if not pair_field_fits(wk[0::2], x.dtype):
        return None
    return FastConv(function, (k + 3) // 4, pack_pair_stream(wk, quant), int(zero.sum()), 0, False, 1, False)


def pack_gemm4_mve(wpad: np.ndarray, quant: np.ndarray) -> np.ndarray:
    """The fast kernels' Helium stream (mcu_conv.h, pixels = 4): per pair of output channels (c, c + 1; an odd
    count ends with the zero padding channel, computed, never written) bias[2], then per step of 16 window
    values the 16 int8 weights of c and then of c + 1 (K padded with zero weights to a multiple of 16), then
    M[2] (TFLM's multiplier: m2 = 2M - 2^32), h[2] and -e[2]."""
    oc2, k4 = wpad.shape
    k16 = -(-k4 // 16) * 16
    w = np.zeros((oc2, k16), np.int8)
    w[:, :k4] = wpad
    words = np.ascontiguousarray(w.reshape(oc2 // 2, 2, k16 // 16, 16).transpose(0, 2, 1, 3)).reshape(oc2 // 2, -1)
    words = words.view("<i4").astype(np.int64)
    q = quant.reshape(oc2 // 2, 2, 4).transpose(0, 2, 1)        # [pair][bias, m2, h, e][channel]
    m = (q[:, 1] + (1 << 32)) // 2
    stream = np.concatenate([q[:, 0], words, m, q[:, 2], -q[:, 3]], axis=1)
    return wrap_int32(stream.reshape(-1))


def conv_s16_scratch_bytes(op: Operator) -> int:
    """mcu_conv_s16_get_buffer_size (mcu_conv.h): the im2col window of a 16x8 CONV_2D larger than 1x1."""
    _, kh, kw, ic = op.inputs[1].shape
    return 0 if kh == 1 and kw == 1 else (kh * kw * ic * 2 + 3) & ~3


@register
class Conv2D(_ConvBase):
    ops = ("CONV_2D",)

    def fast(self, op, features=frozenset()):
        """The fast kernel plan for this int8 layer on a board with `features`, or None for the reference
        kernel mcu_conv_s8 (and for the 16x8 scheme, which has only the reference kernel). A board without
        DSP or MVE takes the pair-word layout (plan_pair_conv) where it holds, else the DSP layout, which
        its plain C reads too."""
        if self.scheme(op) != "s8":
            return None
        if "dsp" not in features and "mve" not in features and "optimize:size" not in features:
            # plain C: the pair words where they fit (2 bytes of flash a weight: not under --optimize size)
            plan = plan_pair_conv(op, self.geometry(op))
            if plan is not None:
                return plan
        return plan_fast_conv(op, self.geometry(op), features)

    def as_fully_connected(self, op, features=frozenset()) -> bool:
        """A 1x1, stride-1 int8 convolution on a core without DSP or MVE whose pair-word plan does not hold
        (plan_pair_conv) or is not wanted (--optimize size) runs the FULLY_CONNECTED kernel over its pixels (batches = pixels, depth = input
        channels, units = output channels): the same arithmetic as TFLM's convolution (per-channel
        multipliers as the convolution computes them), and the plain-C rows4 loop of
        mcu_fully_connected_s8.c is faster there than the convolution's DSP-layout loop."""
        if self.scheme(op) != "s8" or "dsp" in features or "mve" in features:
            return False
        n, ih, iw, ic, oh, ow, oc, kh, kw, sh, sw, dh, dw = self.geometry(op)
        pairs = "optimize:size" not in features and plan_pair_conv(op, self.geometry(op)) is not None
        # oc >= 2: one output channel would take FULLY_CONNECTED's per-tensor multiplier (float32 scale
        # product), not the convolution's per-channel one (double)
        return ((kh, kw, sh, sw) == (1, 1, 1, 1) and (oh, ow) == (ih, iw) and op.inputs[1].shape[3] == ic
                and oc >= 2 and not pairs)

    def lower_as_fully_connected(self, op, ctx):
        """The FULLY_CONNECTED lowering of a 1x1 convolution (as_fully_connected): weights [oc, ic], one
        multiplier per output channel; `reverse` when the planner placed the output after the input."""
        from ..ir import Operator, Quant, Tensor
        from .base import handler
        x, w, y = op.inputs[0], op.inputs[1], op.outputs[0]
        oc, ic = w.shape[0], w.shape[3]
        scale = np.asarray(w.quant.scale, np.float32).reshape(-1)
        scale = scale if scale.size == oc else np.full(oc, scale[0], np.float32)
        w2 = Tensor(w.name, (oc, ic), w.dtype, Quant(scale, np.zeros(oc, np.int64), 0),
                    data=np.asarray(w.data).reshape(oc, ic))
        vop = Operator("FULLY_CONNECTED", [x, w2, op.inputs[2] if len(op.inputs) > 2 else None], [y],
                       {"fused_activation_function": op.options.get("fused_activation_function", "NONE")},
                       index=op.index)
        layer = handler("FULLY_CONNECTED").lower_s8(vop, ctx, reverse=int(ctx.reversed_step()))
        layer.op = op
        return layer

    def scratch_bytes(self, op, features=frozenset()):
        if self.scheme(op) == "s16":
            return conv_s16_scratch_bytes(op)
        if self.scheme(op) == "s4":
            return self.s4_scratch_bytes(op, features)
        if self.as_fully_connected(op, features):
            return 0
        f = self.fast(op, features)
        return f.scratch if f is not None else 0

    def lower_s8(self, op, ctx):
        if self.as_fully_connected(op, ctx.features):
            return self.lower_as_fully_connected(op, ctx)
        f = self.fast(op, ctx.features)
        if f is None:
            return self.lower_reference_s8(op, ctx)
        n, ih, iw, ic, oh, ow, oc, kh, kw, sh, sw, dh, dw = self.geometry(op)
        x, y = op.inputs[0], op.outputs[0]
        lo, hi = activation_range(op.options.get("fused_activation_function", "NONE"), y.quant.s, y.quant.zp, y.dtype)
        fields = [
            ("batches", n), ("in_h", ih), ("in_w", iw), ("in_c", ic), ("out_h", oh), ("out_w", ow),
            ("out_c", oc), ("k_h", kh), ("k_w", kw), ("stride_h", sh), ("stride_w", sw),
            ("dil_h", dh), ("dil_w", dw), ("pad_top", same_padding(ih, kh, sh, dh, oh)),
            ("pad_left", same_padding(iw, kw, sw, dw, ow)), ("reverse", int(ctx.reversed_step())),
            ("k_groups", f.k_groups), ("row_groups", f.row_groups), ("w16", int(f.w16)),
            ("pixels", f.pixels),
            ("input_zp", x.quant.zp), ("act_min", lo), ("act_max", hi),
            ("weights", ctx.const("weights", f.weights, "int32_t")),
        ]
        sources = ("conv/mcu_conv_1x1_s8.c",)
        if f.function == "conv_im2col_s8":
            sources = ("conv/mcu_conv_im2col_s8.c",) + sources
        return Layer(op, function=f.function, struct="conv_fast_params_t", fields=fields,
                     args=[ctx.ptr(x), ctx.ptr(y), ctx.scratch(f.scratch, "int16_t") if f.scratch else "NULL"],
                     sources=sources,
                     extra={"constant_channels": f.constant_channels})


@register
class DepthwiseConv2D(_ConvBase):
    ops = ("DEPTHWISE_CONV_2D",)
    depthwise = True

    def rule_depth_multiplier(self, op):
        """Output channels equal input channels times depth_multiplier."""
        ic, oc = op.inputs[0].shape[-1], op.outputs[0].shape[-1]
        m = op.options.get("depth_multiplier", 1)
        return None if oc == ic * m else f"output depth {oc} is not input depth {ic} x multiplier {m}"

    def rule_bias(self, op):
        """A bias tensor is present (TFLM's interpreter crashes preparing a DEPTHWISE_CONV_2D without one)."""
        return None if len(op.inputs) > 2 and op.inputs[2] is not None else "no bias tensor"

    def rule_int16_bias(self, op):
        """16x8: the bias is int64 (TFLM's int16 DEPTHWISE_CONV_2D reads an int32 bias as int64: wrong results)."""
        b = op.inputs[2] if len(op.inputs) > 2 else None
        if self.scheme(op) == "s16" and b is not None and b.dtype != "int64":
            return f"int16 depthwise bias has type {b.dtype}, needs int64"
        return None

    def lower_s8(self, op, ctx):
        n, ih, iw, ic, oh, ow, oc, kh, kw, sh, sw, dh, dw = self.geometry(op)
        x, y = op.inputs[0], op.outputs[0]
        plan = plan_depthwise(op, self.geometry(op), ctx.features)
        groups = -(-ic // 4)
        fields = [
            ("batches", n), ("in_h", ih), ("in_w", iw), ("in_c", ic), ("out_h", oh), ("out_w", ow),
            ("out_c", oc), ("k_h", kh), ("k_w", kw), ("stride_h", sh), ("stride_w", sw),
            ("dil_h", dh), ("dil_w", dw), ("pad_top", same_padding(ih, kh, sh, dh, oh)),
            ("pad_left", same_padding(iw, kw, sw, dw, ow)), ("depth_multiplier", plan.dm),
            ("reverse", int(ctx.reversed_step())), ("output_offset", y.quant.zp),
            ("act_min", plan.act_min), ("act_max", plan.act_max), ("fast", int(plan.fast)), ("mve", int(plan.mve)),
            ("pad", ctx.const("pad", np.full(4 * groups, x.quant.zp, np.int8), "int8_t")),
        ]
        for key in ("filter", "weights", "quant", "bias", "rq", "multiplier", "shift"):
            value = getattr(plan, key)
            ctype = "int8_t" if key == "filter" else "int32_t"
            fields.append((key, ctx.const(key, value, ctype) if value is not None else "NULL"))
        return Layer(op, function=plan.function, struct="dw_params_t", fields=fields,
                     args=[ctx.ptr(x), ctx.ptr(y)], sources=(f"conv/mcu_{plan.function}.c",))


# ---- DEPTHWISE_CONV_2D kernels (runtime_c/conv/mcu_depthwise_conv*_s8.c; layouts in mcu_conv.h) --------

@dataclass
class DepthwisePlan:
    """Everything the depthwise kernels read, computed at build time."""

    function: str                     # depthwise_conv_3x3_s8, depthwise_conv_1ch_s8 or depthwise_conv_s8
    dm: int
    fast: bool
    act_min: int
    act_max: int
    filter: np.ndarray | None = None      # general kernel: the model's 1HWO int8 filter
    weights: np.ndarray | None = None     # packed int32 (3x3 kernel; general kernel's DSP layout)
    quant: np.ndarray | None = None       # 3x3: bias, M, K, e per group of 4 channels; general: the 1-D DSP stream
    bias: np.ndarray | None = None        # general: folded bias per output channel
    rq: np.ndarray | None = None          # general, fast: {M, K, e} per output channel
    multiplier: np.ndarray | None = None  # TFLM's, when not fast
    shift: np.ndarray | None = None
    mve: int = 0                          # general kernel's Helium layout 1 or 2 (mcu_conv.h, mcu_dw_params_t.mve)


def _halves(lo: np.ndarray, hi: np.ndarray) -> np.ndarray:
    """int32 words holding two int16 values, lo in the low half."""
    return (np.asarray(lo, np.int64) & 0xFFFF) | ((np.asarray(hi, np.int64) & 0xFFFF) << 16)


def pack_dw3_weights(wt: np.ndarray) -> np.ndarray:
    """[9 taps, channels] int16-range weights -> the 3x3 kernel's words (mcu_conv.h): per group of 4
    channels, tap pairs (0,1) (2,3) (4,5) (6,7) as 4 words (one per channel), then tap 8 as
    (c0, c2), (c1, c3)."""
    taps, channels = wt.shape
    groups = -(-channels // 4)
    wp = np.zeros((9, 4 * groups), np.int64)
    wp[:, :channels] = wt
    pairs = _halves(wp[0:8:2], wp[1:8:2]).reshape(4, groups, 4).transpose(1, 0, 2).reshape(groups, 16)
    w8 = wp[8].reshape(groups, 4)
    single = np.stack([_halves(w8[:, 0], w8[:, 2]), _halves(w8[:, 1], w8[:, 3])], axis=1)
    return wrap_int32(np.concatenate([pairs, single], axis=1).ravel())


def plan_depthwise(op: Operator, geometry, features=frozenset()) -> DepthwisePlan:
    """Kernel choice and constants of one DEPTHWISE_CONV_2D: the input offset folded into the bias
    (bias + input_offset * sum of the channel's weights; padded taps read the input zero point), and
    the fast requantization when fast_requant_table proves it exact for every reachable accumulator,
    with weights and bias then doubled. The general kernel's int16 `weights` layout is read only by its
    DSP path: a board without the DSP extension gets NULL there (the int8 filter serves its plain C)."""
    n, ih, iw, ic, oh, ow, oc, kh, kw, sh, sw, dh, dw = geometry
    x, w, y = op.inputs[0], op.inputs[1], op.outputs[0]
    b = op.inputs[2] if len(op.inputs) > 2 else None
    dm = oc // ic
    mult, shift = per_channel_multipliers(op, oc)
    lo, hi = activation_range(op.options.get("fused_activation_function", "NONE"), y.quant.s, y.quant.zp, y.dtype)
    io = -int(x.quant.zp)
    wt = w.data.reshape(kh * kw, oc).astype(np.int64)            # [tap][output channel]
    bias = b.data.astype(np.int64).reshape(-1) if b is not None else np.zeros(oc, np.int64)
    folded = bias + io * wt.sum(axis=0)
    q_lo, q_hi = type_range(x.dtype)
    bound = np.abs(bias) + (q_hi - q_lo) * np.abs(wt).sum(axis=0)  # |x + io| <= the type's span
    rq = fast_requant_table(mult, shift, y.quant.zp - lo, bound)
    fast = rq is not None
    scale = 2 if fast else 1
    plan = DepthwisePlan("depthwise_conv_s8", dm, fast, lo, hi)
    if not fast:
        plan.multiplier, plan.shift = mult, shift
    if "mve" in features and ic == 1 and dm >= 2 and 5 <= kw <= 8 and kh * kw >= 20 and dw == 1:
        # Helium layout 3 (mcu_conv.h): one input channel, rows of 5 to 8 taps (narrower rows waste most of
        # the 8 lanes: the DSP path is faster there); TFLM's bias and requantization, the window clipped as
        # TFLM does (no folded input offset)
        plan.mve = 3
        w8 = np.zeros((oc, kh, 8), np.int8)
        w8[:, :, :kw] = w.data.reshape(kh, kw, oc).transpose(2, 0, 1)
        plan.weights = w8.reshape(-1).view("<i4").astype(np.int32)
        plan.bias = wrap_int32(bias)
        plan.multiplier, plan.shift = mult, shift
        return plan
    if "mve" in features and ic == 1 and dm >= 2 and kh * kw <= DW_MVE_MAX_TAPS:
        # Helium layout 4 (mcu_conv.h): one input channel, the channels in int32 lanes (VMLA by the input
        # value); bias_f and TFLM's requantization as vectors per group of 4 channels
        plan.mve = 4
        plan.filter = w.data.reshape(-1)
        oc4 = -(-oc // 4) * 4
        b4 = np.zeros(oc4, np.int64)
        b4[:oc] = folded
        plan.bias = wrap_int32(b4)
        r = np.zeros((oc4, 4), np.int64)
        r[:, 0] = 1 << 30
        sh = np.asarray(shift, np.int64)
        r[:oc, 0] = mult
        r[:oc, 1] = np.maximum(sh, 0)
        r[:oc, 2] = np.where(sh < 0, -1, 0)
        r[:oc, 3] = np.minimum(sh, 0)
        plan.rq = wrap_int32(r.reshape(oc4 // 4, 4, 4).transpose(0, 2, 1).ravel())
        plan.multiplier = plan.shift = None
        return plan
    if "mve" in features and dm == 1 and kh * kw <= DW_MVE_MAX_TAPS and (oc >= 16 or kh * kw == 9) \
            and int(np.max(shift)) <= -1:
        # Helium layout 2 (mcu_conv.h): TFLM's requantization itself (VQRDMULH + rounding shift), so no
        # fast-requantization proof; it needs a right shift of at least 1 in every channel. Other filters
        # than 3x3 with fewer than 16 channels keep layout 1 (its 8-channel groups waste no lanes).
        plan.mve = 2
        plan.weights = pack_dw_mve2(folded, mult, shift, wt, lo, hi, int(y.quant.zp))
        plan.multiplier = plan.shift = None
        return plan
    if "mve" in features and dm == 1 and kh * kw <= DW_MVE_MAX_TAPS:
        # Helium: the model's filter; per group of 8 channels (padded) in even-then-odd order, bias_f not
        # doubled (the kernel doubles the sum) and rq as vectors {M[8], K[8], -e[8]} (mcu_conv.h)
        oc8 = -(-oc // 8) * 8
        order = np.arange(oc8).reshape(-1, 4, 2).transpose(0, 2, 1).ravel()  # c, c+2, c+4, c+6, c+1, ...
        plan.mve = 1
        plan.filter = w.data.reshape(-1)
        b8 = np.zeros(oc8, np.int64)
        b8[:oc] = folded
        plan.bias = wrap_int32(b8[order])
        if fast:
            r = np.tile(np.array([1 << 30, 0, 1], np.int64), (oc8, 1))
            r[:oc] = rq.reshape(oc, 3)
            r[:, 2] = -r[:, 2]
            r = r[order].reshape(oc8 // 8, 8, 3).transpose(0, 2, 1)
            plan.rq = wrap_int32(r.ravel())
        return plan
    if "optimize:size" not in features and dw1ch_fits(ic, dm, kh, kw):
        # one input channel (a convolution with dm outputs): the two-pixel patch kernel (mcu_depthwise_conv_1ch_s8.c),
        # SMLAD on DSP boards, MLA (Armv7-M) or plain C elsewhere; m55 takes its Helium layouts above
        plan.function = "depthwise_conv_1ch_s8"
        if "dsp" in features:
            plan.weights = pack_dw1ch_weights(wt * scale, kh, kw)
        else:  # the pair words of cores without DSP (the host, m0, m3): the weights themselves, not doubled
            plan.weights = pack_dw1ch_pair_words(wt)
        oc4 = -(-oc // 4) * 4  # the kernel reads whole groups of 4 biases
        plan.bias = wrap_int32(np.concatenate([folded * scale, np.zeros(oc4 - oc, np.int64)]))
        if fast:  # whole groups of 4 too: padding channels {2^30, 0, 1}
            r = np.tile(np.array([1 << 30, 0, 1], np.int64), (oc4, 1))
            r[:oc] = np.asarray(rq, np.int64).reshape(oc, 3)
            plan.rq = wrap_int32(r.ravel())
        return plan
    if kh == 3 and kw == 3 and dm == 1 and "optimize:size" not in features:  # --optimize size: no int16 copy
        plan.function = "depthwise_conv_3x3_s8"
        groups = -(-oc // 4)
        plan.weights = pack_dw3_weights(wt * scale)
        q = np.zeros((groups, 16), np.int64)                     # [group][bias[4], (M, K)[4], e[4]]
        b4 = np.zeros(4 * groups, np.int64)
        b4[:oc] = folded * scale
        q[:, 0:4] = b4.reshape(groups, 4)
        if fast:
            r = np.tile(np.array([1 << 30, 0, 1], np.int64), (4 * groups, 1))  # padding channels
            r[:oc] = rq.reshape(oc, 3)
            r = r.reshape(groups, 4, 3)
            q[:, 4:12] = r[:, :, 0:2].reshape(groups, 8)
            q[:, 12:16] = r[:, :, 2]
        plan.quant = wrap_int32(q.ravel())
        return plan
    if "dsp" in features and "optimize:size" not in features and dw1d_fits(dm, kh, kw, fast):  # --optimize size
        # a filter of one row or one column: the 1-D DSP path (mcu_depthwise_conv_s8.c), its one stream in
        # `quant`; the int8 filter, bias and rq are not read there (a board without DSP never gets this layout)
        plan.quant = pack_dw1d_stream(wt * scale, folded * scale, rq)
        return plan
    plan.filter = w.data.reshape(-1)
    plan.bias = wrap_int32(folded * scale)
    plan.rq = rq
    if "dsp" in features and "optimize:size" not in features and dm % 4 == 0 and kh * kw + (kh * kw) % 2 <= DW_DSP_MAX_TAPS:  # --optimize size
        plan.weights = pack_dw_dsp_weights(wt * scale, ic, dm)
    elif "dsp" in features and "optimize:size" not in features and dm == 1 and kh * kw + (kh * kw) % 2 <= DW_DSP_MAX_TAPS:  # --optimize size
        plan.weights = pack_dw1_dsp_weights(wt * scale)
        oc4 = -(-oc // 4) * 4  # the DSP path reads whole groups of 4 biases
        plan.bias = wrap_int32(np.concatenate([folded * scale, np.zeros(oc4 - oc, np.int64)]))
    return plan


def pack_dw_mve2(folded, mult, shift, wt: np.ndarray, act_min: int, act_max: int, zp: int) -> np.ndarray:
    """The depthwise kernel's Helium layout 2 (mcu_conv.h): per group of 16 channels (the last padded with
    zero weights, bias 0, multiplier 2^30, shift -1) 60 + 4 * taps int32: bias_f (16 values in the lane
    order of the four accumulators: channels 4i, then 4i + 1, 4i + 2, 4i + 3), per tap the 16 channels'
    int8 weights, the multipliers and the shifts (accumulator order), then act_min and act_max as 16 int8
    and the output zero point as 8 int16 (the kernel's constant vectors, read once per group)."""
    taps, oc = wt.shape
    oc16 = -(-oc // 16) * 16
    groups = oc16 // 16
    order = np.arange(16).reshape(4, 4).T.ravel()               # 0, 4, 8, 12, 1, 5, ...
    b = np.zeros(oc16, np.int64)
    b[:oc] = folded
    m = np.full(oc16, 1 << 30, np.int64)
    m[:oc] = np.asarray(mult, np.int64)
    e = np.full(oc16, -1, np.int64)
    e[:oc] = np.asarray(shift, np.int64)
    w = np.zeros((taps, oc16), np.int8)
    w[:, :oc] = wt
    k = np.concatenate([np.full(16, act_min, np.int8), np.full(16, act_max, np.int8)]).view("<i4")
    z = np.full(8, zp, np.int16).view("<i4")
    words = []
    for g in range(groups):
        sl = slice(16 * g, 16 * g + 16)
        words.append(wrap_int32(b[sl][order]))
        words.append(np.ascontiguousarray(w[:, sl]).reshape(-1).view("<i4").astype(np.int32))
        words.append(wrap_int32(np.concatenate([m[sl][order], e[sl][order]])))
        words.append(k.astype(np.int32))
        words.append(z.astype(np.int32))
    return np.concatenate(words)


DW_DSP_MAX_TAPS = 96  # MCU_DW_MAX_TAPS in mcu_depthwise_conv_s8.c (micro_speech: 10 x 8 = 80 taps)
DW_MVE_MAX_TAPS = 64  # MCU_DW_MVE_MAX_TAPS in mcu_conv.h
DW16_DSP_MAX_TAPS = 64  # MCU_DW16_MAX_TAPS in mcu_depthwise_conv_s16.c


DW_1CH_MAX_WORDS = 96  # MCU_DW1C_MAX_WORDS in mcu_depthwise_conv_1ch_s8.c
#: measured on cortex-m4 against the general kernel's DSP path (single layers, in_c 1, instructions/MAC): 3x3
#: multiplier 8 stride 2 6.44 -> 4.82, 9x1 11.0 -> 8.4, 2x3 12.4 -> 9.6, 4x4 4.86 -> 2.93, 3x7 4.55 -> 3.66,
#: 5x5 6.67 -> 5.04, micro_speech's 10x8 3.25 -> 1.41
DW_1CH_MAX_KW = 64     # MCU_DW1C_MAX_KW there
DW_1CH_MAX_FLAT = 64   # MCU_DW1C_MAX_FLAT there


def dw1ch_words(kh: int, kw: int) -> int:
    """Patch words per pixel of the one-input-channel kernel: kw / 2 per filter row when kw is a multiple of 4
    (whole quads), else ceil(kh * kw / 2) (the taps paired in order)."""
    return kh * kw // 2 if kw % 4 == 0 else (kh * kw + 1) // 2


def dw1ch_fits(ic: int, dm: int, kh: int, kw: int) -> bool:
    """The one-input-channel kernel (mcu_depthwise_conv_1ch_s8.c) takes the layer: one input channel, depth
    multiplier 2 or more (a single output channel keeps the other kernels), a filter at most DW_1CH_MAX_KW wide
    whose patch is at most DW_1CH_MAX_WORDS words (at most DW_1CH_MAX_FLAT taps when kw is not a multiple of 4)."""
    return (ic == 1 and dm >= 2 and kw <= DW_1CH_MAX_KW and dw1ch_words(kh, kw) <= DW_1CH_MAX_WORDS
            and (kw % 4 == 0 or kh * kw <= DW_1CH_MAX_FLAT))


def dw1ch_pairs(kh: int, kw: int) -> list[tuple[int, int]]:
    """The taps (lo, hi) of each patch word of mcu_depthwise_conv_1ch_s8.c (hi -1: a zero weight): kw a multiple
    of 4: per filter row, quads (4q, 4q+2), (4q+1, 4q+3) (what SXTB16 splits a word of 4 input bytes into);
    otherwise the taps in (ky, kx) order two by two, an odd last one alone."""
    if kw % 4 == 0:
        pairs = []
        for ky in range(kh):
            t = ky * kw
            for q in range(kw // 4):
                pairs += [(t + 4 * q, t + 4 * q + 2), (t + 4 * q + 1, t + 4 * q + 3)]
        return pairs
    taps = kh * kw
    return [(t, t + 1 if t + 1 < taps else -1) for t in range(0, taps, 2)]


def pack_dw1ch_weights(wt: np.ndarray, kh: int, kw: int) -> np.ndarray:
    """[taps, channels] -> the one-input-channel kernel's words: per group of 4 channels (the last padded with
    zeros), per patch word (dw1ch_pairs), 4 words (w[lo][c_j], w[hi][c_j]) as int16, j = 0..3."""
    taps, channels = wt.shape
    oc4 = -(-channels // 4) * 4
    wp = np.zeros((taps + 1, oc4), np.int64)                  # row `taps`: the zero weights
    wp[:taps, :channels] = wt
    lo, hi = (np.array([t if t >= 0 else taps for t in side]) for side in zip(*dw1ch_pairs(kh, kw)))
    words = _halves(wp[lo], wp[hi])                           # [word][channel]
    return wrap_int32(words.reshape(words.shape[0], oc4 // 4, 4).transpose(1, 0, 2).ravel())


#: taps of a filter at most (2 * DW_1CH_MAX_WORDS); MCU_DW1C_PB in mcu_depthwise_conv_1ch_s8.c: the offset of
#: the second pixel's byte patch
DW_1CH_MAX_TAPS = 2 * DW_1CH_MAX_WORDS


def pack_dw1ch_pair_words(wt: np.ndarray) -> np.ndarray:
    """[taps, channels] int8 weights -> the one-input-channel kernel's pair words (cores without DSP,
    mcu_depthwise_conv_1ch_s8.c): per group of 4 channels (the last padded with zero channels), per tap (in
    (ky, kx) order) 2 words W = w[c] + w[c + 1] * 2^PAIR_SHIFT, for the channel pairs (c0, c1) and (c2, c3).
    One 64-bit multiply-accumulate of W with an input value adds x * w[c] to the low PAIR_SHIFT bits of the
    pair's sum and x * w[c + 1] above them; the low field stays in [-2^22, 2^22) for any int8 input when
    taps * 128 * 127 < 2^22, which every filter the kernel takes meets (at most DW_1CH_MAX_TAPS taps)."""
    taps, channels = wt.shape
    assert taps * 128 * 127 < 1 << (PAIR_SHIFT - 1) and taps <= DW_1CH_MAX_TAPS
    oc4 = -(-channels // 4) * 4
    wp = np.zeros((taps, oc4), np.int64)
    wp[:, :channels] = wt
    words = wp[:, 0::2] + wp[:, 1::2] * (1 << PAIR_SHIFT)       # [tap][pair]
    return wrap_int32(words.reshape(taps, oc4 // 4, 2).transpose(1, 0, 2).ravel())


def pack_dw1_dsp_weights(wt: np.ndarray) -> np.ndarray:
    """[taps, channels] -> the general kernel's DSP words for depth multiplier 1: per group of 4 channels
    (the last padded with zeros), per tap pair (an odd last tap paired with 0), 4 words (w[2k][c_j],
    w[2k+1][c_j]) as int16, j = 0..3."""
    taps, channels = wt.shape
    oc4 = -(-channels // 4) * 4
    wp = np.zeros((taps + taps % 2, oc4), np.int64)
    wp[:taps, :channels] = wt
    words = _halves(wp[0::2], wp[1::2])                        # [pair][channel]
    return wrap_int32(words.reshape(words.shape[0], oc4 // 4, 4).transpose(1, 0, 2).ravel())


def dw1d_fits(dm: int, kh: int, kw: int, fast: bool) -> bool:
    """The general kernel's 1-D DSP path takes the layer: depth multiplier 1, a filter of one row or one column
    (its taps equally spaced in memory) of at most DW_DSP_MAX_TAPS taps, the fast requantization (the path has
    no other)."""
    return dm == 1 and fast and (kh == 1 or kw == 1) and kh * kw <= DW_DSP_MAX_TAPS


def pack_dw1d_stream(wt: np.ndarray, bias_f: np.ndarray, rq: np.ndarray) -> np.ndarray:
    """[taps, channels] weights, bias_f per channel and the fast {M, K, e} table -> the 1-D DSP path's int32
    stream (mcu_depthwise_conv_s8.c, in `quant`): per group of 4 channels (the last padded: zero weights,
    bias 0, M 2^30, K 0, e 1; never written) bias_f[4]; per tap pair (2j, 2j+1) 4 words (w[2j][c_i],
    w[2j+1][c_i]) as int16, i = 0..3; for an odd number of taps the last tap as (w[c0], w[c2]), (w[c1], w[c3]);
    then (M, K)[4] and e[4]."""
    taps, channels = wt.shape
    groups = -(-channels // 4)
    oc4 = 4 * groups
    wp = np.zeros((taps, oc4), np.int64)
    wp[:, :channels] = wt
    b4 = np.zeros(oc4, np.int64)
    b4[:channels] = bias_f
    r = np.tile(np.array([1 << 30, 0, 1], np.int64), (oc4, 1))
    r[:channels] = np.asarray(rq, np.int64).reshape(channels, 3)
    r = r.reshape(groups, 4, 3)
    even = taps - taps % 2
    pairs = _halves(wp[0:even:2], wp[1:even:2]).reshape(even // 2, groups, 4).transpose(1, 0, 2)
    parts = [b4.reshape(groups, 4), pairs.reshape(groups, -1)]
    if taps % 2:
        last = wp[taps - 1].reshape(groups, 4)
        parts.append(np.stack([_halves(last[:, 0], last[:, 2]), _halves(last[:, 1], last[:, 3])], axis=1))
    parts += [r[:, :, 0:2].reshape(groups, 8), r[:, :, 2]]
    return wrap_int32(np.concatenate(parts, axis=1).ravel())


def pack_dw_dsp_weights(wt: np.ndarray, ic: int, dm: int) -> np.ndarray:
    """[taps, out channels] -> the general kernel's DSP words: per input channel, per group of 4 of its
    output channels, per tap pair (an odd last tap paired with 0), 4 words (w[2k], w[2k+1]) as int16."""
    taps = wt.shape[0]
    wp = np.zeros((taps + taps % 2, ic * dm), np.int64)
    wp[:taps] = wt
    words = _halves(wp[0::2], wp[1::2])                        # [pair][oc]
    pairs = words.shape[0]
    words = words.reshape(pairs, ic, dm // 4, 4).transpose(1, 2, 0, 3)  # [ic][group][pair][j]
    return wrap_int32(words.ravel())


# ---- int4 weights (scheme s4): packed layouts (runtime_c/conv/mcu_s4_impl.h) ------------------------------

S4_MAX_ROW = 65536  # MCU_S4_MAX_ROW in mcu_s4_impl.h
#: bit position of value j of a group of 8 in its word (MCU_S4_SHIFT): low nibbles of bytes 0, 2, 1, 3, then
#: their high nibbles, so that SXTB16 yields the pairs (w0, w1), (w2, w3), (w4, w5), (w6, w7)
S4_SHIFTS = (0, 16, 8, 24, 4, 20, 12, 28)


def s4_row_words(k: int) -> int:
    """Words of one packed row of k int4 values (8 per word, the row zero-padded)."""
    return -(-int(k) // 8)


def s4_one_pixel(op: Operator) -> bool:
    """An int4 CONV_2D 1x1 on a 1x1 image (a per-channel FULLY_CONNECTED written as a convolution, e.g. by
    `mcugen quantize --weights int4`): it runs mcu_fully_connected_s4 (the zero padding of a 1x1 filter
    touches nothing, so any stride or padding gives the one output pixel)."""
    x, w, y = op.inputs[0], op.inputs[1], op.outputs[0]
    return (op.op == "CONV_2D" and len(x.shape) == 4 and tuple(x.shape[:3]) == (1, 1, 1)
            and tuple(w.shape[1:3]) == (1, 1) and tuple(y.shape[:3]) == (1, 1, 1))


def pack_s4_rows(rows: np.ndarray) -> tuple[np.ndarray, int]:
    """[rows, k] int4 values (as ints in [-8, 7]) -> (int32 words, words per row) in mcu_s4_impl.h's layout."""
    r, k = rows.shape
    words = s4_row_words(k)
    v = np.zeros((r, words * 8), np.int64)
    v[:, :k] = rows
    nib = (v & 0xF).reshape(r, words, 8)
    out = np.zeros((r, words), np.int64)
    for j, sh in enumerate(S4_SHIFTS):
        out |= nib[:, :, j] << sh
    return wrap_int32(out.ravel()), words


def pack_int4_words(values: np.ndarray) -> np.ndarray:
    """The model's dense int4 packing (frontend/int4.py) of `values` as little-endian int32 words (the bytes
    zero-padded to a multiple of 4), for kernels that read the packed bytes as uint8."""
    from ..frontend.int4 import pack_int4
    raw = pack_int4(values)
    raw = np.concatenate([raw, np.zeros(-raw.size % 4, np.uint8)])
    return raw.view("<i4").astype(np.int32)


def s4_fast_requant(op: Operator, mult, shift, rows: np.ndarray, filter_offset: int = 0) -> np.ndarray | None:
    """{M, K, e} per multiplier for mcu_s4_output_rq, or None when fast_requant_table cannot prove it exact:
    the accumulator of row r is bounded by |bias| + (input type's span) * sum |w + filter_offset|; with one
    multiplier (per-tensor FULLY_CONNECTED) the largest bound over the rows is taken."""
    x, y = op.inputs[0], op.outputs[0]
    b = op.inputs[2] if len(op.inputs) > 2 else None
    lo, _ = activation_range(op.options.get("fused_activation_function", "NONE"), y.quant.s, y.quant.zp, y.dtype)
    q_lo, q_hi = type_range(x.dtype)
    r = rows.astype(np.int64) + filter_offset
    bias = np.abs(b.data.astype(np.int64).reshape(-1)) if b is not None else np.zeros(r.shape[0], np.int64)
    bound = bias + (q_hi - q_lo) * np.abs(r).sum(axis=1)
    if len(mult) == 1:
        bound = bound.max(initial=0).reshape(1)
    return fast_requant_table(mult, shift, y.quant.zp - lo, bound)



@dataclass
class S4Gemm:
    """The int4 CONV_2D DSP product's constants (mcu_conv_s4.c, mcu_conv.h: `stream`)."""

    stream: np.ndarray     # int32 words
    groups: int            # groups of 4 window values (the window zero-padded to 4 * groups)
    pixels: int            # output pixels per block: 3, or 2 to save scratch
    constant_channels: int
    odd_shift: int = 12    # channel c + 1 of each pair sums 2^odd_shift acc (12, or 4 for large accumulators)
    stages: bool = False   # windows through a staging row (s4_gemm_stages)

    @property
    def scratch(self) -> int:
        """Bytes: per group of 4 window values and pixel 8 (two int16 pairs), plus the staging row."""
        return 8 * self.pixels * self.groups + (4 * self.groups if self.stages else 0)


#: bit of value j (0..3) of a group of 4 in the stream's word of a channel pair: channel c at bits 0, 4, 16,
#: 20 for values 0, 1, 2, 3, channel c + 1 eight bits higher (mcu_conv_s4.c: the masks 0x000F000F and
#: 0x00F000F0 of the word and of the word >> 8 give the four int16 pairs directly)
S4_GEMM_SHIFTS = (0, 4, 16, 20)
#: |accumulator| below this: the product sums 16 times the accumulator in int32
S4_GEMM_MAX_ACC = 1 << 27
S4_GEMM_MAX_RUN = 64  # MCU_S4_GEMM_MAX_RUN in mcu_conv_s4.c


def s4_gemm_stages(kw: int, ic: int, dw: int) -> bool:
    """mcu_conv_s4_gemm_stages: windows whose taps (in_c % 4) and filter rows (k_w * in_c % 4, dilation,
    more than S4_GEMM_MAX_RUN bytes) do not start groups of 4 are gathered through a staging row."""
    run = kw * ic
    return ic % 4 != 0 and not (run % 4 == 0 and dw == 1 and run <= S4_GEMM_MAX_RUN)
#: |accumulator| of every odd channel below this: its sums are 4096 acc (odd_shift 12)
S4_GEMM_MAX_ACC_WIDE = 1 << 19


def plan_s4_gemm(op: Operator, geometry, features=frozenset()) -> S4Gemm | None:
    """The DSP product of an int4 CONV_2D (boards with the DSP extension), or None for the generic kernel.

    Weights are stored offset by 8 (n = w + 8 in [0, 15]), so that masks alone unpack them; the window values
    are raw int8 (taps outside the image read input_zp), values 0 and 2 of each group scaled by 16. Channel c
    of a pair: every product is 16 x n, and with S the sum of the window's values,
    16 (bias - input_zp * sum w) - 128 S + sum 16 x n = 16 acc: the kernel starts from the first term (in
    the stream) minus 128 S, and shifts the sum right by 4 (exact: |acc| < S4_GEMM_MAX_ACC is checked here).
    Channel c + 1 (odd_shift 12, when its |acc| < S4_GEMM_MAX_ACC_WIDE): its values 1 and 3 of each group are
    stored two's complement in the top nibble of an int16 lane, so the products are 4096 x w there and
    4096 x n for values 0, 2; the sum starts at 4096 (bias - ...) - 32768 Se (Se: the sum of the values 0, 2)
    and is shifted right by 12. Otherwise (odd_shift 4) channel c + 1 is stored as channel c.
    Then the int8 fast kernels' one-multiply requantization (m2, h, e; mcu_conv_fast_requant), proved
    exact per channel as plan_fast_conv does, and constant channels (one output for every input) likewise.
    Per channel pair: bias16[2], one word per group, m2[2], h[2], e[2]."""
    if "dsp" not in features:
        return None
    n, ih, iw, ic, oh, ow, oc, kh, kw, sh, sw, dh, dw = geometry
    x, y = op.inputs[0], op.outputs[0]
    k = kh * kw * ic
    groups = -(-k // 4)
    wk, bias, mult, shift, zp_in, zp_out, lo, hi, acc_lo, acc_hi = _accumulator_range(op, oc, k)
    oc2 = oc + (oc & 1)
    wpad = np.zeros((oc2, 4 * groups), np.int64)
    wpad[:oc, :k] = wk
    quant = np.zeros((oc2, 4), np.int64)  # bias16, m2, h, e
    quant[oc:] = (0, -_I32, 0, 1)  # the padding channel
    constant = 0
    for c in range(oc):
        m, s = int(mult[c]), int(shift[c])
        a_lo, a_hi = int(acc_lo[c]), int(acc_hi[c])
        ends = []
        for a in (a_lo, a_hi):
            if s > 0 and not -_I32 <= (a << s) < _I32:
                break
            ends.append(min(max(tflm_requantize(a, m, s) + zp_out, lo), hi))
        if len(ends) == 2 and ends[0] == ends[1]:  # requantization is monotonic: constant channel
            wpad[c] = 0
            quant[c] = (0, -_I32, 2 * ends[0], 1)
            constant += 1
            continue
        e = -s
        bound = max(abs(a_lo), abs(a_hi))
        if e < 1 or not (1 << 30) <= m < _I32 or bound >= S4_GEMM_MAX_ACC:
            return None
        h = (1 << (e - 1)) + zp_out * (1 << e)
        if abs(h) + bound + 2 >= _I32:
            return None
        quant[c] = (16 * (int(bias[c]) - zp_in * int(wk[c].sum())), 2 * m - (1 << 32), h, e)
    odd = np.maximum(np.abs(acc_lo), np.abs(acc_hi))[1::2]
    wide = bool(np.all(odd < S4_GEMM_MAX_ACC_WIDE))
    if wide:  # channel c + 1: its bias times 4096, values 1, 3 two's complement
        quant[1::2, 0] *= 256
    nib = ((wpad + 8) & 0xF).reshape(oc2 // 2, 2, groups, 4)  # [pair][channel][group][value]
    if wide:
        nib[:, 1, :, 1::2] = (wpad.reshape(oc2 // 2, 2, groups, 4)[:, 1, :, 1::2]) & 0xF
    words = np.zeros((oc2 // 2, groups), np.int64)
    for ch in range(2):
        for j, bit in enumerate(S4_GEMM_SHIFTS):
            words |= nib[:, ch, :, j] << (bit + 8 * ch)
    q = quant.reshape(oc2 // 2, 2, 4).transpose(0, 2, 1)  # [pair][bias16, m2, h, e][channel]
    stream = np.concatenate([q[:, 0], words, q[:, 1:].reshape(oc2 // 2, 6)], axis=1)
    pixels = 3
    if 24 * groups > PIXELS3_MAX_SCRATCH and x.size + y.size >= PIXELS2_ACTIVATIONS:
        pixels = 2
    return S4Gemm(wrap_int32(stream.reshape(-1)), groups, pixels, constant, 12 if wide else 4,
                  s4_gemm_stages(kw, ic, dw))


def s4_shifted_requant(op: Operator, mult, shift, rows: np.ndarray) -> np.ndarray | None:
    """{M, K, l | r << 8 | neg << 16 | e << 24} per channel for the depthwise DSP path when some real multiplier
    is at least 0.5 (shift >= 0, where s4_fast_requant does not apply), or None when not provably exact. From
    the sum 16 acc: a = 16 acc << l >> r = acc * 2^(left + 1) (left = max(shift, 0)); then
    (SMMLAR(a, M, K) - (neg & [a < 0])) >> e. With right = max(-shift, 0) >= 1 that is fast_requant_table's
    formula (left 0, neg 1, e = right, K = 2^(e-1) + (zp - act_min) 2^e); with right 0 it is TFLM's
    SRDHM(acc * 2^left, M) = floor((a M + 2^31) / 2^32) itself (neg 0, e 0, K = zp - act_min). Exact while |a|
    and |v| + |K| + 1 stay below 2^31 for every reachable accumulator (checked here)."""
    x, y = op.inputs[0], op.outputs[0]
    b = op.inputs[2] if len(op.inputs) > 2 else None
    lo, _ = activation_range(op.options.get("fused_activation_function", "NONE"), y.quant.s, y.quant.zp, y.dtype)
    q_lo, q_hi = type_range(x.dtype)
    r64 = rows.astype(np.int64)
    bias = np.abs(b.data.astype(np.int64).reshape(-1)) if b is not None else np.zeros(r64.shape[0], np.int64)
    bound = bias + (q_hi - q_lo) * np.abs(r64).sum(axis=1)
    zp = int(y.quant.zp) - int(lo)
    out = np.zeros((len(mult), 3), np.int64)
    for c in range(len(mult)):
        m, s_, bnd = int(mult[c]), int(shift[c]), int(bound[c])
        if not (1 << 30) <= m < _I32:
            return None
        left, right = max(s_, 0), max(-s_, 0)
        if right > 31:
            return None
        k = (1 << (right - 1)) + zp * (1 << right) if right else zp
        amax = bnd << (left + 1)
        vmax = (amax * m >> 32) + 1
        if amax >= _I32 or vmax + abs(k) + 1 >= _I32:
            return None
        up = left + 1 - 4  # a = 16 acc * 2^up
        out[c] = (m, k, max(up, 0) | max(-up, 0) << 8 | int(right > 0) << 16 | right << 24)
    return wrap_int32(out.ravel())

DW_S4_GROUP_MAX_TAPS = 64  # MCU_DW_S4_MAX_TAPS in mcu_depthwise_conv_s4.c
#: |accumulator| below this on the DSP path (it sums 16 x w in int32)
DW_S4_MAX_ACC = 1 << 27


def dw_s4_grouped(op: Operator, features=frozenset()) -> bool:
    """The int4 depthwise kernel's DSP path (tap pairs, groups of 4 channels, 2 output pixels at a time):
    boards with the DSP extension, depth multiplier 1, at most DW_S4_GROUP_MAX_TAPS taps, and every
    accumulator below DW_S4_MAX_ACC in magnitude."""
    f = op.inputs[1].shape
    if not ("dsp" in features and op.options.get("depth_multiplier", 1) == 1
            and f[1] * f[2] <= DW_S4_GROUP_MAX_TAPS):
        return False
    x, w = op.inputs[0], op.inputs[1]
    b = op.inputs[2] if len(op.inputs) > 2 else None
    q_lo, q_hi = type_range(x.dtype)
    wt = w.data.reshape(-1, f[3]).astype(np.int64)
    bias = np.abs(b.data.astype(np.int64).reshape(-1)) if b is not None else 0
    return bool(np.all(bias + (q_hi - q_lo) * np.abs(wt).sum(axis=0) < DW_S4_MAX_ACC))


def pack_dw_s4_groups(op: Operator) -> tuple[np.ndarray, np.ndarray]:
    """(words, group_bias) of the depthwise DSP path (mcu_conv.h): per group of 4 channels (the last padded
    with zero weights), per pair of taps (an odd last tap paired with a zero tap), one word whose bytes are
    (a0, a2), (a1, a3), (b0, b2), (b1, b3): channel j of taps a and b, the first of each pair in the high
    nibble (two's complement). group_bias = 16 (bias - input_zp * sum of the channel's weights), 4 per group."""
    x, w = op.inputs[0], op.inputs[1]
    b = op.inputs[2] if len(op.inputs) > 2 else None
    _, kh, kw, oc = w.shape
    taps = kh * kw
    oc4 = -(-oc // 4) * 4
    wt = np.zeros((taps + taps % 2, oc4), np.int64)
    wt[:taps, :oc] = w.data.reshape(taps, oc)
    n = (wt & 0xF).reshape(-1, 2, oc4 // 4, 4)                  # [tap pair][a/b][group][channel]
    byte = lambda t, hi, lo: (n[:, t, :, hi] << 4) | n[:, t, :, lo]  # noqa: E731
    words = byte(0, 0, 2) | (byte(0, 1, 3) << 8) | (byte(1, 0, 2) << 16) | (byte(1, 1, 3) << 24)
    bias = b.data.astype(np.int64).reshape(-1) if b is not None else np.zeros(oc, np.int64)
    b16 = np.zeros(oc4, np.int64)
    b16[:oc] = 16 * (bias - int(x.quant.zp) * wt[:, :oc].sum(axis=0))
    return wrap_int32(words.T.ravel()), wrap_int32(b16)

# ---- hybrid (scheme hybrid): desktop TFLite's EvalHybrid / EvalHybridPerChannel ---------------------------
def pack_hybrid_conv_weights(rows: np.ndarray, w16: bool) -> np.ndarray:
    """[oc, K] int8 -> mcu_conv_hybrid's int32 words (mcu_conv.h): per channel pair, per group of 4 taps (an
    even number of groups),
    channel c's then channel c + 1's values; int8 bytes, or (w16) int16 pairs (w0, w2), (w1, w3)."""
    oc, k = rows.shape
    groups = 2 * -(-k // 8)  # an even number of groups of 4 (the kernel takes two a turn)
    pad = np.zeros((oc + (oc & 1), 4 * groups), np.int64)
    pad[:oc, :k] = rows
    packed = pad.reshape(-1, 2, groups, 4).transpose(0, 2, 1, 3)  # [pair][group][channel][4]
    if w16:
        return np.ascontiguousarray(packed[..., [0, 2, 1, 3]].astype("<i2")).view("<i4").reshape(-1).astype(np.int32)
    return np.ascontiguousarray(packed.astype(np.int8)).view("<i4").reshape(-1).astype(np.int32)


DW_HYBRID_MAX_TAPS = 64  # MCU_DW_HYBRID_MAX_TAPS in mcu_conv.h


def pack_dw_hybrid_pairs(taps: np.ndarray) -> np.ndarray:
    """[taps, oc] int8 (oc % 4 == 0) -> per tap, per 4 channels c..c+3 the int16 pairs (w[c], w[c+2]),
    (w[c+1], w[c+3]) as int32 words (mcu_conv.h, dw_pairs)."""
    t, oc = taps.shape
    g = taps.reshape(t, oc // 4, 4)[..., [0, 2, 1, 3]].astype("<i2")
    return np.ascontiguousarray(g).view("<i4").reshape(-1).astype(np.int32)


def hybrid_w16(op: Operator, rows: np.ndarray, features=frozenset()) -> bool:
    """int16 weight copies for a hybrid CONV_2D: on a board with the DSP extension, by the int8 fast
    kernels' rule (enough output pixels, a small enough layer; not under --optimize size)."""
    oc, k = rows.shape
    y = op.outputs[0]
    pixels = int(np.prod(y.shape[:-1]))
    return ("dsp" in features and "optimize:size" not in features and pixels >= W16_MIN_PIXELS
            and (oc + (oc & 1)) * 8 * -(-k // 8) <= W16_MAX_BYTES)


def _conv_hybrid_methods():
    from .hybrid import HYBRID_SIG, hybrid_activation, hybrid_aware, weight_scales

    _ConvBase.signatures = _ConvBase.signatures + (HYBRID_SIG,)
    for cls in (_ConvBase, Conv2D, DepthwiseConv2D):
        if "signatures" in vars(cls) and cls is not _ConvBase:
            cls.signatures = cls.signatures + (HYBRID_SIG,)
    _ConvBase.rule_quantized = hybrid_aware(_ConvBase.rule_quantized)

    def hybrid_per_channel(op) -> bool:
        """LiteRT takes the per-channel path (asymmetric input) only when the weight scales differ."""
        s = np.asarray(op.inputs[1].quant.scale, np.float32).reshape(-1)
        return bool(s.size > 1 and np.any(s != s[0]))

    def rule_hybrid_weights(self, op):
        """Hybrid: the weight scales are one per tensor or one per output channel (DEPTHWISE_CONV_2D: one per
        output channel, as LiteRT requires)."""
        if self.scheme(op) != "hybrid":
            return None
        w, oc = op.inputs[1], op.outputs[0].shape[-1]
        n = w.quant.scale.size if w.quant is not None else 1
        if self.depthwise and n != oc:
            return f"hybrid depthwise weights need one scale per output channel ({n} for {oc}; LiteRT refuses)"
        return None if n in (1, oc) else f"{n} weight scales for {oc} output channels"

    def hybrid_scratch(self, op):
        n, ih, iw, ic, oh, ow, oc, kh, kw, *_ = self.geometry(op)
        image = 4 * -(-(ih * iw * ic) // 4)
        groups = 2 * -(-(kh * kw * ic) // 8)  # an even number of groups of 4
        # conv: the image, two window rows, their int16 pairs, 2 x (oc + 2) sums, oc + 2 start values and scales
        if self.depthwise:  # the image, then (dw_pairs path) a row of zero points, oc start values, sums, scales
            return image + 4 * -(-ic // 4) + 3 * 4 * oc
        return image + 2 * 4 * groups + 16 * groups + 4 * 4 * (oc + 2)

    def lower_hybrid(self, op, ctx):
        """The batch image quantized at run time (symmetric with one weight scale, asymmetric per channel, as
        LiteRT chooses), int8 x int8 in int32, scaled back in LiteRT's float order, plus the float bias, then
        the activation in float."""
        x, w, y = op.inputs[0], op.inputs[1], op.outputs[0]
        b = op.inputs[2] if len(op.inputs) > 2 else None
        oc = y.shape[-1]
        clamp, lo, hi = hybrid_activation(op)
        # DEPTHWISE_CONV_2D hybrid is always LiteRT's per-channel path; CONV_2D only with differing scales
        per_channel = int(self.depthwise or hybrid_per_channel(op))
        wt = np.asarray(w.data)
        w16, dw_pairs = 0, "NULL"
        if self.depthwise:
            filt = ctx.const("filter", wt, "int8_t")
            row_sums, single_pass = "NULL", 0
            taps = wt.reshape(-1, oc)
            if (ctx.has("dsp") and op.options.get("depth_multiplier", 1) == 1 and oc % 4 == 0
                    and taps.shape[0] <= DW_HYBRID_MAX_TAPS):
                dw_pairs = ctx.const("dw_pairs", pack_dw_hybrid_pairs(taps), "int32_t")
                row_sums = ctx.const("row_sums", taps.astype(np.int64).sum(axis=0).astype(np.int32), "int32_t")
        else:
            rows = wt.reshape(wt.shape[0], -1)
            w16 = int(hybrid_w16(op, rows, ctx.features))
            filt = ctx.const("filter", pack_hybrid_conv_weights(rows, w16), "int32_t")
            single_pass = 0
            row_sums = ctx.const("row_sums", rows.astype(np.int64).sum(axis=1).astype(np.int32), "int32_t")
        fields = [f for f in self.geometry_fields(op, ctx) if f[0] != "reverse"] + [
            ("per_channel", per_channel), ("single_pass", single_pass), ("clamp", clamp),
            ("act_min", lo), ("act_max", hi), ("filter", filt),
            ("scale", ctx.const("scale", weight_scales(w, oc), "float")),
            ("bias", ctx.const("bias", np.asarray(b.data, np.float32), "float") if b is not None else "NULL"),
            ("row_sums", row_sums), ("w16", w16), ("dw_pairs", dw_pairs),
        ]
        name = "depthwise_conv_hybrid" if self.depthwise else "conv_hybrid"
        return Layer(op, function=name, struct="conv_hybrid_params_t", fields=fields,
                     args=[ctx.ptr(x), ctx.ptr(y), ctx.scratch(hybrid_scratch(self, op), "int8_t")],
                     sources=(f"conv/mcu_{name}.c",))

    conv_scratch = Conv2D.scratch_bytes

    def conv_scratch_bytes(self, op, features=frozenset()):
        if self.scheme(op) == "hybrid":
            return hybrid_scratch(self, op)
        return conv_scratch(self, op, features)

    dw_scratch = DepthwiseConv2D.scratch_bytes

    def dw_scratch_bytes(self, op, features=frozenset()):
        if self.scheme(op) == "hybrid":
            return hybrid_scratch(self, op)
        return dw_scratch(self, op, features)

    conv_overlap = _ConvBase.overlap

    def overlap(self, op):
        """Hybrid: each batch image is quantized whole before that image's outputs are written, so a single
        image allows the integer kernels' overlap (any placement the window rule admits); with several
        images an output could overwrite the next image before it is read: no overlap."""
        if self.scheme(op) == "hybrid" and op.inputs[0].shape[0] != 1:
            return {}
        return conv_overlap(self, op)

    _ConvBase.overlap = overlap

    def rule_hybrid_bias(self, op):
        """Hybrid: a bias tensor is present (LiteRT's hybrid CONV_2D refuses to prepare without one)."""
        if self.scheme(op) != "hybrid" or (len(op.inputs) > 2 and op.inputs[2] is not None):
            return None
        return "hybrid convolution without a bias tensor"

    _ConvBase.rule_hybrid_bias = rule_hybrid_bias
    _ConvBase.rule_hybrid_weights = rule_hybrid_weights
    _ConvBase.lower_hybrid = lower_hybrid
    Conv2D.scratch_bytes = conv_scratch_bytes
    DepthwiseConv2D.scratch_bytes = dw_scratch_bytes


_conv_hybrid_methods()


# ---- weight-only (scheme w8): float activations, int8 weights kept int8 (mcu_conv_w8.c, ------------------
# mcu_depthwise_conv_w8.c; runtime_c/include/mcu_weight_only.h)
DW_W8_TILE = 2048  # floats of the depthwise weight tile at most (8 KB of scratch), at least 4 channels


def dw_w8_block(op: Operator) -> int:
    """Channels of one depthwise weight tile: all of them when the tile holds at most DW_W8_TILE floats,
    otherwise a multiple of 4 (at least 4)."""
    _, kh, kw, oc = op.inputs[1].shape
    if kh * kw * oc <= DW_W8_TILE:
        return oc
    return min(oc, max(4, DW_W8_TILE // (kh * kw) // 4 * 4))


#: floats of the staging area of one block of output pixels: 8 KB (--optimize speed) or 1 KB (size)
W8_STAGE = {"speed": 2048, "size": 256}


def w8_block_pixels(op: Operator, features=frozenset()) -> int:
    """Output pixels per block of the w8 convolution kernels: as many as the staging area holds (at least 1,
    at most all of them). Each block dequantizes the weight tiles again (once in all when one tile holds
    them): about 5.5 instructions per weight per block against 1.5 per MAC, so 32 pixels per block cost
    some 11% over the float kernel, 4 pixels some 90%."""
    n, oh, ow, oc = op.outputs[0].shape
    stage = W8_STAGE["size" if "optimize:size" in features else "speed"]
    return max(1, min(n * oh * ow, stage // max(oc, 1)))


def _conv_w8_methods():
    from .fully_connected import W8_SIG, group_rows_int8, w8_aware, w8_params

    for cls in (_ConvBase, Conv2D, DepthwiseConv2D):
        if "signatures" in vars(cls):
            cls.signatures = cls.signatures + (W8_SIG,)
    _ConvBase.rule_quantized = w8_aware(_ConvBase.rule_quantized)
    symmetric = _ConvBase.rule_symmetric_weights

    def rule_symmetric_weights(self, op):
        return None if self.scheme(op) == "w8" else symmetric(self, op)
    rule_symmetric_weights.__doc__ = ((symmetric.__doc__ or "").strip()
                                      + " (Not for weight-only (w8) layers: their kernels subtract the zero point.)")

    def rule_w8_weights(self, op):
        """Weight-only (w8): the weight scales are one per tensor or one per output channel (CONV_2D axis 0,
        DEPTHWISE_CONV_2D axis 3)."""
        if self.scheme(op) != "w8":
            return None
        w, oc = op.inputs[1], op.outputs[0].shape[-1]
        n = w.quant.scale.size
        return None if n in (1, oc) else f"{n} weight scales for {oc} output channels"

    def w8_scratch(self, op, features=frozenset()):
        _, kh, kw, c = op.inputs[1].shape
        tile = kh * kw * dw_w8_block(op) if self.depthwise else kh * kw * c * 8
        return 4 * (tile + w8_block_pixels(op, features) * op.outputs[0].shape[-1])

    def lower_w8(self, op, ctx):
        """The int8 filter (CONV_2D: grouped by 8 output channels as the float kernel's; DEPTHWISE_CONV_2D: the
        model's order), the float scales and zero points (NULL when all are 0): a tile of weights is
        dequantized into the scratch and the float kernel's arithmetic runs on it, tile by tile."""
        x, w, y = op.inputs[0], op.inputs[1], op.outputs[0]
        b = op.inputs[2] if len(op.inputs) > 2 else None
        oc = y.shape[-1]
        lo, hi = float_activation_range(op.options.get("fused_activation_function", "NONE"))
        scale, zp = w8_params(w, oc)
        wt = np.asarray(w.data, np.int8)
        if self.depthwise:
            filt, block = wt.reshape(-1), dw_w8_block(op)
        else:
            filt, block = group_rows_int8(wt.reshape(oc, -1)), 8
            pad = -oc % 8
            scale = np.concatenate([scale, np.zeros(pad, np.float32)])
            zp = np.concatenate([zp, np.zeros(pad, np.int32)]) if zp is not None else None
        fields = self.geometry_fields(op, ctx) + [
            ("block", block), ("block_pixels", w8_block_pixels(op, ctx.features)), ("act_min", lo), ("act_max", hi),
            ("filter", ctx.const("filter", filt, "int8_t")),
            ("scale", ctx.const("scale", scale, "float")),
            ("zero_point", ctx.const("zp", zp, "int32_t") if zp is not None else "NULL"),
            ("bias", ctx.const("bias", np.asarray(b.data, np.float32), "float") if b is not None else "NULL"),
        ]
        name = "depthwise_conv_w8" if self.depthwise else "conv_w8"
        return Layer(op, function=name, struct="conv_w8_params_t", fields=fields,
                     args=[ctx.ptr(x), ctx.ptr(y), ctx.scratch(w8_scratch(self, op, ctx.features), "float")],
                     sources=(f"conv/mcu_{name}.c",))

    for cls in (Conv2D, DepthwiseConv2D):
        def scratch_bytes(self, op, features=frozenset(), _other=cls.scratch_bytes):
            return w8_scratch(self, op, features) if self.scheme(op) == "w8" else _other(self, op, features)
        scratch_bytes.__doc__ = cls.scratch_bytes.__doc__
        cls.scratch_bytes = scratch_bytes

    _ConvBase.rule_symmetric_weights = rule_symmetric_weights
    _ConvBase.rule_w8_weights = rule_w8_weights
    _ConvBase.lower_w8 = lower_w8


_conv_w8_methods()
