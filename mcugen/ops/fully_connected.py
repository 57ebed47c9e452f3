"""FULLY_CONNECTED, int8 and 16x8 (kernels: runtime_c/fully_connected/).

s16: int16 input and output with zero point 0, int8 symmetric weights per tensor or per unit, int64 bias,
int32 bias or none, as TFLM's reference int16 FullyConnected: an int32 bias makes TFLM sum in int32 and
requantize with the 32-bit recipe, otherwise it sums in int64 and uses the 64-bit requantization.
"""
from __future__ import annotations

import numpy as np

from ..quant import activation_range, f64, quantize_multiplier, reduce_multiplier_16, type_range
from .base import Layer, OpHandler, Sig, need_quant, register
from .conv import FUSED, fast_requant_table, per_channel_multipliers, plan_pair_rows, wrap_int32
from .conv import S4_MAX_ROW, pack_s4_rows, s4_fast_requant, s4_row_words
from .f32 import F32_SIG_INPUTS, float_activation_range, group_rows, integer_only


FC_BLOCK = 3  # row pairs interleaved per block (MCU_FC_BLOCK in the kernel)


@register
class FullyConnected(OpHandler):
    ops = ("FULLY_CONNECTED",)

    signatures = (
        Sig("s8", (("int8",), ("int8",), ("int32",)), (("int8",),), optional=(2,)),
        Sig("s16", (("int16",), ("int8",), ("int64", "int32")), (("int16",),), optional=(2,)),
    )

    def rule_quantized(self, op):
        """Input, weights and output carry quantization parameters."""
        return need_quant(op.inputs[0], op.inputs[1], op.outputs[0])

    def rule_int16_zero_points(self, op):
        """16x8 (int16 activations): input, output and weight zero points are 0 (TFLM's int16 kernel
        ignores them)."""
        if self.scheme(op) != "s16":
            return None
        for t in (op.inputs[0], op.inputs[1], op.outputs[0]):
            if t.quant is not None and np.any(t.quant.zero_point != 0):
                return f"tensor '{t.name}' has zero point {int(t.quant.zero_point.flat[0])}, needs 0"
        return None

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

    def multipliers(self, op):
        """Per unit (per-channel weights) or one (M, shift): TFLM's multipliers."""
        x, w, y = op.inputs[0], op.inputs[1], op.outputs[0]
        if w.quant.per_channel:
            return per_channel_multipliers(op, w.shape[0])
        # TFLM GetQuantizedConvolutionMultipler: the scale product is taken in float32
        real = f64(np.float32(x.quant.s) * np.float32(w.quant.s)) / f64(y.quant.s)
        m, s = quantize_multiplier(real)
        return np.array([m], np.int32), np.array([s], np.int32)

    def lower_s16(self, op, ctx):
        """mcu_fully_connected_s16 (TFLM's reference int16 FullyConnected; see mcu_fully_connected.h)."""
        x, w, y = op.inputs[0], op.inputs[1], op.outputs[0]
        b = op.inputs[2] if len(op.inputs) > 2 else None
        units, depth = w.shape
        mult, shift = self.multipliers(op)
        acc64 = b is None or b.dtype == "int64"
        if acc64:
            mult = np.array([reduce_multiplier_16(m) for m in mult], np.int32)
        lo, hi = activation_range(op.options.get("fused_activation_function", "NONE"), y.quant.s, y.quant.zp, y.dtype)
        fields = [
            ("batches", x.size // depth), ("depth", depth), ("units", units),
            ("per_channel", int(w.quant.per_channel)), ("acc64", int(acc64)), ("act_min", lo), ("act_max", hi),
            ("weights", ctx.const("weights", w.data, "int8_t")),
            ("bias", ctx.const("bias", b.data.astype(np.int64), "int64_t") if b is not None else "NULL"),
            ("multiplier", ctx.const("mult", mult, "int32_t")),
            ("shift", ctx.const("shift", shift, "int32_t")),
        ]
        return Layer(op, function="fully_connected_s16", struct="fc_s16_params_t", fields=fields,
                     args=[ctx.ptr(x), ctx.ptr(y)], sources=("fully_connected/mcu_fully_connected_s16.c",))

    def lower_s8(self, op, ctx, reverse: int = 0):
        """mcu_fully_connected_s8. reverse: batches from the last to the first (a 1x1 convolution lowered
        here whose output the planner placed after its input: conv.Conv2D.lower_as_fully_connected)."""
        x, w, y = op.inputs[0], op.inputs[1], op.outputs[0]
        b = op.inputs[2] if len(op.inputs) > 2 else None
        units, depth = w.shape
        per_channel = w.quant.per_channel
        mult, shift = self.multipliers(op)
        pairs = self.pair_plan(op, ctx.features)
        if pairs is not None:
            return self.lower_pairs(op, ctx, pairs, reverse)
        lo, hi = activation_range(op.options.get("fused_activation_function", "NONE"), y.quant.s, y.quant.zp, y.dtype)
        io, fo = -x.quant.zp, -w.quant.zp
        wt = w.data.astype(np.int64)
        bias = b.data.astype(np.int64) if b is not None else np.zeros(units, np.int64)
        # the input offset folded into the bias: sum (x+io)(w+fo) = sum x w + fo sum x + io sum w + depth io fo
        folded = bias + io * wt.sum(axis=1) + depth * io * fo
        folded = np.concatenate([folded, np.zeros(units % 2, np.int64)])  # the kernels read whole pairs
        q_lo, q_hi = type_range(x.dtype)
        bound = np.abs(bias) + (q_hi - q_lo) * np.abs(wt + fo).sum(axis=1)
        if not per_channel:
            bound = np.array([bound.max()])
        rq = fast_requant_table(mult, shift, y.quant.zp - lo, bound)
        fast = rq is not None
        # the DSP kernel recovers sum x * w_B from a 32-bit S - T = 256 * sum: |sum| < 2^23 over the depth
        single_pass = int(128 * np.abs(wt[1::2]).sum(axis=1).max(initial=0) < 1 << 23)
        mve = "mve" in ctx.features  # the Helium kernel reads the model's rows (pack_fc_weights_mve)
        rows4 = not mve and "dsp" not in ctx.features  # plain C: blocks of 4 units (pack_fc_weights_rows4)
        if rows4:
            folded = np.concatenate([folded, np.zeros(-folded.size % 4, np.int64)])
        packed = (pack_fc_weights_mve(w.data) if mve else pack_fc_weights_rows4(w.data) if rows4
                  else pack_fc_weights(w.data))
        fields = [
            ("batches", x.size // depth), ("depth", depth), ("units", units),
            ("filter_offset", fo), ("output_offset", y.quant.zp),
            ("act_min", lo), ("act_max", hi), ("per_channel", int(per_channel)), ("fast", int(fast)),
            ("single_pass", single_pass),
            ("weights", ctx.const("weights", packed, "int32_t")),
            ("bias", ctx.const("bias", wrap_int32(folded * (2 if fast else 1)), "int32_t")),
            ("multiplier", "NULL" if fast else ctx.const("mult", mult, "int32_t")),
            ("shift", "NULL" if fast else ctx.const("shift", shift, "int32_t")),
            ("rq", ctx.const("rq", rq, "int32_t") if fast else "NULL"),
            ("mve", int(mve)), ("rows4", int(rows4)), ("reverse", int(reverse)),
        ]
        return Layer(op, function="fully_connected_s8", struct="fc_params_t", fields=fields,
                     args=[ctx.ptr(x), ctx.ptr(y)], sources=("fully_connected/mcu_fully_connected_s8.c",))

    def pair_plan(self, op, features=frozenset()):
        """On a core without MVE, symmetric weights, not --optimize size (the pair words take 2 bytes of flash
        a weight, twice the int8 rows: a speed layout, which --optimize balanced takes where the board's
        flash holds it): the pair-word plan of the convolution kernels (conv.plan_pair_rows,
        mcu_conv_pairs_pixel) with FULLY_CONNECTED's multipliers, or None (then mcu_fully_connected_s8.c
        runs: its rows4 loop without DSP, its SMLAD row pairs with DSP). With DSP too the pair words are
        faster: one SMLAL per two MACs and the input read as bytes in place (5 instructions per 6 MACs),
        against SMLAD's unpacking of int8 rows (about 1.2-1.4 instructions per MAC)."""
        w = op.inputs[1]
        if "mve" in features or "optimize:size" in features or np.any(w.quant.zero_point != 0):
            return None
        units, depth = w.shape
        return plan_pair_rows(op, units, depth, pair_function(features), self.multipliers(op))

    def lower_pairs(self, op, ctx, plan, reverse: int = 0):
        """The batches as the pixels of a 1x1 convolution (mcu_conv_1x1_s8 / mcu_conv_1x1_pairs_s8, pixels =
        1: each batch row read in place, every unit pair's two MACs per input in one 64-bit
        multiply-accumulate)."""
        x, w, y = op.inputs[0], op.inputs[1], op.outputs[0]
        units, depth = w.shape
        batches = x.size // depth
        lo, hi = activation_range(op.options.get("fused_activation_function", "NONE"), y.quant.s, y.quant.zp, y.dtype)
        fields = [
            ("batches", 1), ("in_h", 1), ("in_w", batches), ("in_c", depth), ("out_h", 1), ("out_w", batches),
            ("out_c", units), ("k_h", 1), ("k_w", 1), ("stride_h", 1), ("stride_w", 1), ("dil_h", 1), ("dil_w", 1),
            ("pad_top", 0), ("pad_left", 0), ("reverse", int(reverse)), ("k_groups", plan.k_groups),
            ("row_groups", 0), ("w16", 0), ("pixels", 1), ("input_zp", x.quant.zp), ("act_min", lo),
            ("act_max", hi), ("weights", ctx.const("weights", plan.weights, "int32_t")),
        ]
        return Layer(op, function=pair_function(ctx.features), struct="conv_fast_params_t", fields=fields,
                     args=[ctx.ptr(x), ctx.ptr(y), "NULL"], sources=("conv/mcu_conv_1x1_s8.c",),
                     extra={"constant_channels": plan.constant_channels})

    # ---- float32 (scheme f32): TFLM's reference float FullyConnected (mcu_fully_connected_f32.c) ----
    signatures = signatures + (Sig("f32", F32_SIG_INPUTS, (("float32",),), optional=(2,)),)
    rule_quantized = integer_only(rule_quantized)

    def lower_f32(self, op, ctx):
        """Float weights (grouped by 8 units, see mcu_fully_connected.h) and bias as in the model; the fused
        activation is a float clamp."""
        x, w, y = op.inputs[0], op.inputs[1], op.outputs[0]
        b = op.inputs[2] if len(op.inputs) > 2 else None
        units, depth = w.shape
        lo, hi = float_activation_range(op.options.get("fused_activation_function", "NONE"))
        fields = [
            ("batches", x.size // depth), ("depth", depth), ("units", units), ("act_min", lo), ("act_max", hi),
            ("weights", ctx.const("weights", group_rows(w.data), "float")),
            ("bias", ctx.const("bias", b.data, "float") if b is not None else "NULL"),
        ]
        return Layer(op, function="fully_connected_f32", struct="fc_f32_params_t", fields=fields,
                     args=[ctx.ptr(x), ctx.ptr(y)], sources=("fully_connected/mcu_fully_connected_f32.c",))

    # ---- int4 weights, int8 activations (scheme s4): TFLM unpacks the weights and runs its int8 kernel
    # (mcu_fully_connected_s4.c; the weights stay packed, rows in the layout of conv/mcu_s4_impl.h)
    signatures = signatures + (Sig("s4", (("int8",), ("int4",), ("int32",)), (("int8",),), optional=(2,)),)

    def rule_s4_per_tensor(self, op):
        """int4 weights are quantized per tensor (TFLM fails to prepare a FULLY_CONNECTED with per-channel int4
        weights) and a weight row holds at most 65,536 values."""
        if self.scheme(op) != "s4":
            return None
        w = op.inputs[1]
        if w.quant is not None and w.quant.per_channel:
            return "int4 weights are quantized per channel (TFLM supports per-tensor int4 FULLY_CONNECTED only)"
        if len(w.shape) == 2 and w.shape[1] > S4_MAX_ROW:
            return f"weight rows of {w.shape[1]} values, at most {S4_MAX_ROW}"
        return None

    def scratch_bytes(self, op, features=frozenset()):
        """s4: mcu_fully_connected_s4_get_buffer_size, one input row as int16; the other schemes need none."""
        if self.scheme(op) == "s4":
            return 16 * s4_row_words(op.inputs[1].shape[1])
        return 0

    def lower_s4(self, op, ctx):
        w = op.inputs[1]
        units, depth = w.shape
        mult, shift = self.multipliers(op)
        return fc_s4_layer(op, ctx, w.data.reshape(units, depth), mult[:1], shift[:1], -w.quant.zp,
                           op.inputs[0].size // depth)


def pair_function(features=frozenset()) -> str:
    """The pair-word kernel's entry: mcu_conv_1x1_s8 (pixels = 1) without DSP, as the 1x1 convolutions of
    those cores; with DSP its own entry mcu_conv_1x1_pairs_s8, so that the DSP convolutions do not link the
    pair-word code."""
    return "conv_1x1_pairs_s8" if "dsp" in features else "conv_1x1_s8"


def pack_s4_rows4(rows: np.ndarray) -> tuple[np.ndarray, int, int]:
    """[units, depth] int4 values -> (int32 words, words per row, blocked units) for mcu_fully_connected_s4:
    the rows in mcu_s4_impl.h's layout, the first 4 * (units // 4) in blocks of 4 interleaved by word
    (mcu_s4_dot4), the rest one after another."""
    units = rows.shape[0]
    words, nwords = pack_s4_rows(rows)
    blocked = units // 4 * 4
    w = words.reshape(units, nwords)
    inter = w[:blocked].reshape(-1, 4, nwords).transpose(0, 2, 1).reshape(-1)
    return np.concatenate([inter, w[blocked:].reshape(-1)]).astype(np.int32), nwords, blocked


def fc_s4_layer(op, ctx, rows: np.ndarray, mult, shift, filter_offset: int, batches: int) -> Layer:
    """mcu_fully_connected_s4 for `op` (FULLY_CONNECTED per tensor, or a per-channel CONV_2D 1x1 on one pixel:
    `rows` [units, depth] int4 values, one multiplier or one per unit)."""
    x, y = op.inputs[0], op.outputs[0]
    b = op.inputs[2] if len(op.inputs) > 2 else None
    units, depth = rows.shape
    lo, hi = activation_range(op.options.get("fused_activation_function", "NONE"), y.quant.s, y.quant.zp, y.dtype)
    words, nwords, blocked = pack_s4_rows4(rows)
    fields = [
        ("batches", batches), ("depth", depth), ("units", units),
        ("input_zp", x.quant.zp), ("filter_offset", filter_offset), ("output_zp", y.quant.zp),
        ("act_min", lo), ("act_max", hi), ("row_words", nwords),
        ("weights", ctx.const("weights", words, "int32_t")),
        ("bias", ctx.const("bias", b.data, "int32_t") if b is not None else "NULL"),
    ]
    rq = s4_fast_requant(op, mult, shift, rows, filter_offset)
    fields += [("multiplier", ctx.const("mult", mult, "int32_t") if rq is None else "NULL"),
               ("shift", ctx.const("shift", shift, "int32_t") if rq is None else "NULL"),
               ("rq", ctx.const("rq", rq, "int32_t") if rq is not None else "NULL"),
               ("blocked_units", blocked), ("per_channel", int(len(mult) > 1))]
    return Layer(op, function="fully_connected_s4", struct="fc_s4_params_t", fields=fields,
                 args=[ctx.ptr(x), ctx.ptr(y), ctx.scratch(16 * nwords, "int16_t")],
                 sources=("fully_connected/mcu_fully_connected_s4.c", "conv/mcu_s4_impl.h"))


def pack_fc_weights(w: np.ndarray) -> np.ndarray:
    """[units, depth] int8 -> the int32 words mcu_fully_connected_s8 reads (layout: mcu_fully_connected.h)."""
    units, depth = w.shape
    groups = -(-depth // 4)
    rows = np.zeros((units + units % 2, groups * 4), np.int64)
    rows[:units, :depth] = w
    pairs = rows.shape[0] // 2
    low = rows[0::2] + 128                      # unit A, unsigned
    high = rows[1::2] & 0xFF                    # unit B, two's complement byte
    half = (low | (high << 8)).reshape(pairs, groups, 4)
    words = np.stack([half[:, :, 0] | (half[:, :, 2] << 16), half[:, :, 1] | (half[:, :, 3] << 16)], axis=-1)
    out, p = [], 0
    while p < pairs:
        n = min(pairs - p, FC_BLOCK)
        out.append(words[p:p + n].transpose(1, 0, 2).reshape(-1))  # per group: each pair's two words
        p += n
    return wrap_int32(np.concatenate(out))


def pack_fc_weights_rows4(w: np.ndarray) -> np.ndarray:
    """[units, depth] int8 -> the plain-C kernel's words (mcu_fully_connected.h, rows4): units in blocks of 4
    (zero rows pad the last), per block and group of 4 inputs one word per unit (its 4 weights, zero-padded)."""
    units, depth = w.shape
    groups = -(-depth // 4)
    rows = np.zeros((-(-units // 4) * 4, groups * 4), np.int8)
    rows[:units, :depth] = w
    blocks = rows.reshape(-1, 4, groups, 4).transpose(0, 2, 1, 3)  # [block][group][unit][4 bytes]
    return np.ascontiguousarray(blocks).view("<i4").reshape(-1).astype(np.int32)


def pack_fc_weights_mve(w: np.ndarray) -> np.ndarray:
    """[units, depth] int8 -> the Helium kernel's words: each row padded with zeros to a multiple of 4 bytes."""
    units, depth = w.shape
    rows = np.zeros((units, -(-depth // 4) * 4), np.int8)
    rows[:, :depth] = w
    return np.ascontiguousarray(rows).view("<i4").reshape(-1).astype(np.int32)


# ---- hybrid (scheme hybrid): desktop TFLite's EvalHybridDense (mcu_fully_connected_hybrid.c) -------------
def _fc_hybrid_methods():
    from .hybrid import HYBRID_SIG, hybrid_activation, hybrid_aware, weight_scales

    FullyConnected.signatures = FullyConnected.signatures + (HYBRID_SIG,)
    FullyConnected.rule_quantized = hybrid_aware(FullyConnected.rule_quantized)

    def rule_hybrid_weights(self, op):
        """Hybrid: the weight scales are one per tensor or one per unit."""
        if self.scheme(op) != "hybrid":
            return None
        w = op.inputs[1]
        n = w.quant.scale.size if w.quant is not None else 1
        return None if n in (1, w.shape[0]) else f"{n} weight scales for {w.shape[0]} units"

    other_scratch = FullyConnected.scratch_bytes

    def scratch_bytes(self, op, features=frozenset()):
        """Hybrid: the quantized input row (depth rounded up to 4 bytes), then units + 6 int32 products."""
        if self.scheme(op) != "hybrid":
            return other_scratch(self, op, features)
        units, depth = op.inputs[1].shape
        return 4 * -(-depth // 4) + 4 * (units + 6)

    def lower_hybrid(self, op, ctx):
        """Each batch row quantized at run time (symmetric, or asymmetric with asymmetric_quantize_inputs),
        int8 x int8 in int32, scaled back by row scale x weight scale, plus the float bias, then the
        activation in float; weights packed as for the int8 kernel, row sums precomputed for the zero point."""
        x, w, y = op.inputs[0], op.inputs[1], op.outputs[0]
        b = op.inputs[2] if len(op.inputs) > 2 else None
        units, depth = w.shape
        per_channel = int(w.quant.scale.size > 1)
        scales = weight_scales(w, units)  # a per-tensor scale repeated: the same products
        asym = int(bool(op.options.get("asymmetric_quantize_inputs", False)))
        wt = w.data.astype(np.int64)
        clamp, lo, hi = hybrid_activation(op)
        # |q| <= 128: the DSP pass recovers sum q * w_B from S - T = 256 * sum exactly while |sum| < 2^23
        single_pass = int(128 * np.abs(wt[1::2]).sum(axis=1).max(initial=0) < 1 << 23)
        fields = [
            ("batches", x.size // depth), ("depth", depth), ("units", units), ("asymmetric", asym),
            ("per_channel", per_channel), ("single_pass", single_pass), ("clamp", clamp),
            ("act_min", lo), ("act_max", hi),
            ("weights", ctx.const("weights", pack_fc_weights(w.data), "int32_t")),
            ("scale", ctx.const("scale", scales, "float")),
            # without a bias LiteRT starts every output from 0.0f and adds the product: the same as zeros
            ("bias", ctx.const("bias", np.asarray(b.data if b is not None else np.zeros(units), np.float32), "float")),
            ("row_sums", ctx.const("row_sums", wt.sum(axis=1).astype(np.int32), "int32_t") if asym else "NULL"),
        ]
        return Layer(op, function="fully_connected_hybrid", struct="fc_hybrid_params_t", fields=fields,
                     args=[ctx.ptr(x), ctx.ptr(y), ctx.scratch(self.scratch_bytes(op, ctx.features), "int8_t")],
                     sources=("fully_connected/mcu_fully_connected_hybrid.c",))

    FullyConnected.rule_hybrid_weights = rule_hybrid_weights
    FullyConnected.scratch_bytes = scratch_bytes
    FullyConnected.lower_hybrid = lower_hybrid


_fc_hybrid_methods()


# ---- weight-only (scheme w8): float activations, int8 weights kept int8 (mcu_fully_connected_w8.c) -------
W8_ATTR = "weight_only"  # the mark mcugen/passes/fold_dequantize_weights.py sets
W8_SIG = Sig("w8", (("float32",), ("int8",), ("float32",)), (("float32",),), optional=(2,), attr=W8_ATTR)


def w8_aware(rule):
    """A quantization rule of the other schemes that, for weight-only operators, checks the int8 weights only
    (their float input and output carry no quantization)."""
    import functools

    @functools.wraps(rule)
    def check(self, op):
        if self.scheme(op) != "w8":
            return rule(self, op)
        w = op.inputs[1]
        if w.quant is None or w.quant.scale.size == 0:
            return f"weight-only weights '{w.name}' have no quantization parameters"
        if not np.all(np.isfinite(w.quant.scale)):
            return f"weight-only weights '{w.name}' have a non-finite scale"
        return None
    check.__doc__ = (rule.__doc__ or "").strip() + (" Weight-only (w8): the int8 weights carry finite scales "
                                                    "(the float input and output carry none).")
    return check


def w8_params(w, channels: int) -> tuple[np.ndarray, np.ndarray | None]:
    """(scale, zero point or None when all are 0), one per output channel, float32 and int32."""
    s = np.asarray(w.quant.scale, np.float32).reshape(-1)
    z = np.asarray(w.quant.zero_point, np.int64).reshape(-1)
    if s.size != channels:
        s, z = np.full(channels, s[0], np.float32), np.full(channels, z[0], np.int64)
    return s, (z.astype(np.int32) if np.any(z != 0) else None)


def group_rows_int8(rows: np.ndarray, group: int = 8) -> np.ndarray:
    """[outputs, k] int8 -> [ceil(outputs / group), k, group] (the last group padded with zeros): the int8
    twin of f32.group_rows, the order mcu_fully_connected_w8 / mcu_conv_w8 read."""
    rows = np.asarray(rows, np.int8)
    n, k = rows.shape
    padded = np.zeros((-(-n // group) * group, k), np.int8)
    padded[:n] = rows
    return np.ascontiguousarray(padded.reshape(-1, group, k).transpose(0, 2, 1))


def _fc_w8_methods():
    FullyConnected.signatures = FullyConnected.signatures + (W8_SIG,)
    FullyConnected.rule_quantized = w8_aware(FullyConnected.rule_quantized)

    def rule_w8_weights(self, op):
        """Weight-only (w8): the weight scales are one per tensor or one per unit (axis 0)."""
        if self.scheme(op) != "w8":
            return None
        w = op.inputs[1]
        n = w.quant.scale.size
        return None if n in (1, w.shape[0]) else f"{n} weight scales for {w.shape[0]} units"

    def lower_w8(self, op, ctx):
        """The float scales, the zero points (NULL when all are 0) and the int8 weights in one of two layouts
        (mcu_weight_only.h): on boards with the DSP extension, unit pairs of 4-byte row words for the
        fixed-point path (each batch row in 27-bit fixed point, exact SMLAD sums, then float); elsewhere
        grouped by 8 units as the float kernel's, summing input * (float)(q - zp) in TFLM's order. Either
        way the sum is multiplied by the unit's scale once, plus the bias, then the float clamp."""
        x, w, y = op.inputs[0], op.inputs[1], op.outputs[0]
        b = op.inputs[2] if len(op.inputs) > 2 else None
        units, depth = w.shape
        lo, hi = float_activation_range(op.options.get("fused_activation_function", "NONE"))
        scale, zp = w8_params(w, units)
        fixed = w8_fixed(op, ctx.features)
        fields = [
            ("batches", x.size // depth), ("depth", depth), ("units", units), ("fixed", int(fixed)),
            ("act_min", lo), ("act_max", hi),
            ("weights", "NULL" if fixed else ctx.const("weights", group_rows_int8(w.data), "int8_t")),
            ("words", ctx.const("words", pack_w8_pairs(w.data), "int32_t") if fixed else "NULL"),
            ("scale", ctx.const("scale", scale, "float")),
            ("zero_point", ctx.const("zp", zp, "int32_t") if zp is not None else "NULL"),
            ("bias", ctx.const("bias", b.data, "float") if b is not None else "NULL"),
        ]
        scratch = ctx.scratch(w8_fc_scratch(op, ctx.features), "uint32_t") if fixed else "NULL"
        return Layer(op, function="fully_connected_w8", struct="fc_w8_params_t", fields=fields,
                     args=[ctx.ptr(x), ctx.ptr(y), scratch], sources=("fully_connected/mcu_fully_connected_w8.c",))

    other_scratch = FullyConnected.scratch_bytes

    def scratch_bytes(self, op, features=frozenset()):
        if self.scheme(op) == "w8":
            return w8_fc_scratch(op, features)
        return other_scratch(self, op, features)
    scratch_bytes.__doc__ = (other_scratch.__doc__ or "").strip() + (
        " Weight-only (w8) on a board with the DSP extension: the batch row in fixed point, 16 bytes per 4 "
        "values of the depth.")

    FullyConnected.rule_w8_weights = rule_w8_weights
    FullyConnected.lower_w8 = lower_w8
    FullyConnected.scratch_bytes = scratch_bytes


def w8_fixed(op, features=frozenset()) -> bool:
    """The fixed-point path of mcu_fully_connected_w8 (SMLAD on the row in 27-bit fixed point, see
    mcu_weight_only.h): boards with the DSP extension."""
    return "dsp" in features


def w8_fc_scratch(op, features=frozenset()) -> int:
    return 16 * -(-op.inputs[1].shape[1] // 4) if w8_fixed(op, features) else 0


def pack_w8_pairs(w: np.ndarray) -> np.ndarray:
    """[units, depth] int8 -> [ceil(units / 2)][ceil(depth / 4)][2] int32 words (4 values of one unit's row
    each, little-endian; unit 2p then 2p+1; zero padding), the fixed-point path's layout."""
    units, depth = w.shape
    rows = np.zeros((units + units % 2, -(-depth // 4) * 4), np.int8)
    rows[:units, :depth] = w
    words = np.ascontiguousarray(rows).view("<i4").reshape(rows.shape[0] // 2, 2, -1)
    return np.ascontiguousarray(words.transpose(0, 2, 1)).reshape(-1).astype(np.int32)


_fc_w8_methods()
