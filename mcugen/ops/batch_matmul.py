"""BATCH_MATMUL, int8 and 16x8 (int16 operands; kernel: runtime_c/matmul/mcu_batch_matmul.c).

TFLM's reference BatchMatMul: per-tensor quantization; the multiplier is GetQuantizedConvolutionMultipler
(the two input scales multiplied in float32, then divided by the output scale in double); no fused
activation (the clamp is the type's range). int8 accumulates (lhs - zp) * (rhs - zp) in int32 and uses the
32-bit requantization; int16 needs zero points 0 (TFLM checks) and accumulates in int64 with the 64-bit
requantization. Either operand may be constant or computed at run time; adj_x / adj_y and broadcast batch
dimensions (ranks 2 to 5) are handled by strides, without transposed copies.

Also float32 (TFLM's reference kernel, mcu_batch_matmul_f32.c), hybrid (float LHS quantized per row at run
time against a constant int8 RHS, as LiteRT's hybrid kernel: mcu_batch_matmul_hybrid.c) and weight-only (w8:
a constant int8 RHS behind DEQUANTIZE, dequantized where it is read in the float kernel's order:
mcu_batch_matmul_w8.c). One handler; `lower_<scheme>`, scratch and overlap dispatch on the scheme.
"""
from __future__ import annotations

import numpy as np

from ..quant import f64, quantize_multiplier, reduce_multiplier_16, type_range
from ..planner.overlap import streaming_min_offset
from .base import Layer, OpHandler, Sig, need_quant, register
from .f32 import integer_only

MAX_RANK = 5  # TFLM accepts ranks 2..5
W8_ATTR = "weight_only"  # the mark mcugen/passes/fold_dequantize_weights.py sets (fully_connected.W8_ATTR)


def rhs_channel_axis(op) -> int:
    """The rhs axis along the output columns n: its last axis, or the one before with adj_y."""
    rank = len(op.inputs[1].shape)
    return rank - 2 if op.options.get("adj_y") else rank - 1


@register
class BatchMatMul(OpHandler):
    ops = ("BATCH_MATMUL",)
    signatures = (
        Sig("s8", (("int8",), ("int8",)), (("int8",),)),
        Sig("s16", (("int16",), ("int16",)), (("int16",),)),
        Sig("f32", (("float32",), ("float32",)), (("float32",),)),
        Sig("w8", (("float32",), ("int8",)), (("float32",),), attr=W8_ATTR),
        Sig("hybrid", (("float32",), ("int8",)), (("float32",),)),
    )

    @integer_only
    def rule_quantized(self, op):
        """both operands and the output are quantized per tensor. (Hybrid: rule_hybrid_rhs; weight-only:
        rule_w8_rhs.)"""
        if self.scheme(op) in ("hybrid", "w8"):
            return None
        msg = need_quant(op.inputs[0], op.inputs[1], op.outputs[0])
        if msg:
            return msg
        for t in (op.inputs[0], op.inputs[1], op.outputs[0]):
            if t.quant.per_channel:
                return f"tensor '{t.name}' is quantized per channel"
        return None

    def rule_int16_zero_points(self, op):
        """int16: every zero point is 0 (TFLM rejects others)."""
        if self.scheme(op) == "s16" and any(t.quant is not None and t.quant.zp != 0
                                             for t in (op.inputs[0], op.inputs[1], op.outputs[0])):
            return "int16 BATCH_MATMUL needs zero points 0"
        return None

    def rule_shapes(self, op):
        """Ranks are 2 to 5; the batch dimensions broadcast; the contracted dimensions agree (after adj_x and
        adj_y); the output has the broadcast batch and [rows, columns]; no dimension is 0."""
        a, b, y = op.inputs[0].shape, op.inputs[1].shape, op.outputs[0].shape
        for s in (a, b):
            if not 2 <= len(s) <= MAX_RANK:
                return f"rank {len(s)} is outside 2..{MAX_RANK}"
        if any(d <= 0 for s in (a, b, y) for d in s):
            return "a dimension is 0"
        want = self.output_shape(op)
        if want is None:
            return f"shapes {a} and {b} do not multiply"
        return None if tuple(want) == tuple(y) else f"output shape {tuple(y)} is not {tuple(want)}"

    def dims(self, op):
        """(batch extents, lhs batch strides, rhs batch strides, M, N, K, K of rhs) or None."""
        a, b = list(op.inputs[0].shape), list(op.inputs[1].shape)
        o = op.options
        r = max(len(a), len(b))
        a, b = [1] * (r - len(a)) + a, [1] * (r - len(b)) + b
        m, ka = (a[-1], a[-2]) if o.get("adj_x") else (a[-2], a[-1])
        kb, n = (b[-1], b[-2]) if o.get("adj_y") else (b[-2], b[-1])
        batch, sa, sb = [], [], []
        acc_a, acc_b = m * ka, kb * n
        for da, db in zip(reversed(a[:-2]), reversed(b[:-2])):
            if da != db and da != 1 and db != 1:
                return None
            batch.append(max(da, db))
            sa.append(acc_a if da != 1 else 0)
            sb.append(acc_b if db != 1 else 0)
            acc_a *= da
            acc_b *= db
        return batch[::-1], sa[::-1], sb[::-1], m, n, ka, kb

    def output_shape(self, op):
        d = self.dims(op)
        if d is None or d[5] != d[6]:
            return None
        return (*d[0], d[3], d[4])

    def rule_hybrid_rhs(self, op):
        """Hybrid (float32 LHS, int8 RHS): the RHS is constant with one finite scale and zero point 0 (LiteRT
        reads the legacy per-tensor scale, 0 for per-channel weights)."""
        if self.scheme(op) != "hybrid":
            return None
        w = op.inputs[1]
        if not w.is_const:
            return f"hybrid RHS '{w.name}' is not constant"
        q = w.quant
        if q is None or q.scale.size != 1:
            return f"hybrid RHS '{w.name}' needs one scale per tensor (LiteRT reads 0 for per-channel scales)"
        if not np.all(np.isfinite(q.scale)) or np.any(q.zero_point != 0):
            return f"hybrid RHS '{w.name}' needs a finite scale and zero point 0"
        return None

    def rule_hybrid_batch_dims(self, op):
        """Hybrid: the LHS and the RHS each have at most one batch dimension above 1 (LiteRT's hybrid kernel
        steps its per-row scales, zero points and row sums by one matrix per batch dimension, which is right
        only then; measured: an LHS [2, 3, 3, 5] gives outputs off by up to 60% of the output range)."""
        if self.scheme(op) != "hybrid":
            return None
        for t in op.inputs[:2]:
            if sum(1 for d in t.shape[:-2] if d > 1) > 1:
                return f"'{t.name}' {tuple(t.shape)} has more than one batch dimension above 1"
        return None

    def rule_w8_rhs(self, op):
        """Weight-only (w8): the constant int8 rhs carries finite scales, one per tensor or one per output
        column."""
        if self.scheme(op) != "w8":
            return None
        w = op.inputs[1]
        if w.quant is None or w.quant.scale.size == 0 or not np.all(np.isfinite(w.quant.scale)):
            return f"weight-only rhs '{w.name}' has no finite quantization scale"
        n = w.quant.scale.size
        if n > 1 and (w.quant.axis % len(w.shape) != rhs_channel_axis(op) or n != w.shape[rhs_channel_axis(op)]):
            return f"weight-only rhs '{w.name}' is quantized along axis {w.quant.axis}, not its output columns"
        return None

    def macs(self, op):
        return int(np.prod(op.outputs[0].shape)) * self.dims(op)[5]

    def layout(self, op) -> dict:
        """The geometry every kernel takes: batch extents and strides (padded to rank 3), M, N, K and the
        element strides of the two operands (adj_x / adj_y read by strides)."""
        batch, sa, sb, m, n, k, _ = self.dims(op)
        pad = 3 - len(batch)
        o = op.options
        lhs_m, lhs_k = (1, m) if o.get("adj_x") else (k, 1)
        rhs_k, rhs_n = (1, k) if o.get("adj_y") else (n, 1)
        return {"batch": [1] * pad + batch, "lhs_batch_stride": [0] * pad + sa,
                "rhs_batch_stride": [0] * pad + sb, "m": m, "n": n, "k": k, "lhs_m_stride": lhs_m,
                "lhs_k_stride": lhs_k, "rhs_k_stride": rhs_k, "rhs_n_stride": rhs_n}

    def scratch_bytes(self, op, features=frozenset()):
        """Integer schemes: the DSP path's gathered row or column, k int16 values, on a board with the DSP
        extension, unless both operands are read with k strides other than 1 (adj_x without adj_y: plain
        C). float32 and weight-only: none. Hybrid: the quantized LHS row (k bytes rounded up to 4) and, with
        adj_x, the gathered float row."""
        scheme, o, k = self.scheme(op), op.options, self.dims(op)[5]
        if scheme == "hybrid":
            return -(-k // 4) * 4 + (4 * k if o.get("adj_x") else 0)
        if scheme in ("f32", "w8") or "dsp" not in features or (o.get("adj_x") and not o.get("adj_y")):
            return 0
        return -(-2 * k // 4) * 4

    def overlap(self, op):
        """lhs and output may share bytes when the kernel writes output row i only after reading lhs row
        i and never reads rows below i again: lhs not broadcast over a batch dimension and stored
        [M, K] (no adj_x), and rhs read row by row (adj_y), where the plain and DSP paths both go row by
        row (without adj_y the DSP path goes column by column and reads every lhs row for each). Hybrid:
        none."""
        o = op.options
        batch, sa, _, m, n, k, _ = self.dims(op)
        if (self.scheme(op) == "hybrid" or o.get("adj_x") or not o.get("adj_y")
                or any(s == 0 for s, d in zip(sa, batch) if d > 1)):
            return {}
        item = np.dtype(op.inputs[0].dtype).itemsize
        rows = int(np.prod(batch, dtype=np.int64)) * m
        first = np.arange(rows, dtype=np.int64) * k * item
        return {0: (streaming_min_offset(n * item, first), None)}

    def lower_s8(self, op, ctx):
        """TFLM's reference BatchMatMul, int8 and 16x8 (mcu_batch_matmul.c; DSP path on DSP boards)."""
        scheme = self.scheme(op)
        x, w, y = op.inputs[0], op.inputs[1], op.outputs[0]
        real = f64(np.float32(x.quant.s) * np.float32(w.quant.s)) / f64(y.quant.s)
        mult, shift = quantize_multiplier(real)
        if scheme == "s16":
            mult = reduce_multiplier_16(mult)
        lo, hi = type_range(y.dtype)
        fields = list(self.layout(op).items()) + [
            ("lhs_offset", -x.quant.zp), ("rhs_offset", -w.quant.zp), ("output_offset", y.quant.zp),
            ("multiplier", mult), ("shift", shift), ("act_min", lo), ("act_max", hi),
        ]
        nbytes = self.scratch_bytes(op, ctx.features)
        scratch = ctx.scratch(nbytes, "int16_t") if nbytes else "NULL"
        return Layer(op, function=f"batch_matmul_{scheme}", struct="batch_matmul_params_t", fields=fields,
                     args=[ctx.ptr(x), ctx.ptr(w), ctx.ptr(y), scratch], sources=("matmul/mcu_batch_matmul.c",))

    lower_s16 = lower_s8

    #: the integer fields the float kernels' shared parameter struct carries unused
    _NO_QUANT = {"lhs_offset": 0, "rhs_offset": 0, "output_offset": 0, "multiplier": 0, "shift": 0,
                 "act_min": 0, "act_max": 0}

    def lower_f32(self, op, ctx):
        """TFLM's reference float BatchMatMul (mcu_batch_matmul_f32.c)."""
        x, w, y = op.inputs[0], op.inputs[1], op.outputs[0]
        fields = list({**self.layout(op), **self._NO_QUANT}.items())
        return Layer(op, function="batch_matmul_f32", struct="batch_matmul_params_t", fields=fields,
                     args=[ctx.ptr(x), ctx.ptr(w), ctx.ptr(y)], sources=("matmul/mcu_batch_matmul_f32.c",))

    def lower_w8(self, op, ctx):
        """Weight-only: the rhs stays int8 in flash; each value is dequantized where it is read, in the float
        kernel's order (mcu_batch_matmul_w8.c: the float kernel's bits)."""
        x, w, y = op.inputs[0], op.inputs[1], op.outputs[0]
        scale = np.asarray(w.quant.scale, np.float32).reshape(-1)
        zp = np.asarray(w.quant.zero_point, np.int64).reshape(-1).astype(np.int32)
        fields = [("mm", {**self.layout(op), **self._NO_QUANT}), ("per_channel", int(scale.size > 1)),
                  ("scale", ctx.const("scale", scale, "float")), ("zero_point", ctx.const("zp", zp, "int32_t"))]
        return Layer(op, function="batch_matmul_w8", struct="batch_matmul_w8_params_t", fields=fields,
                     args=[ctx.ptr(x), ctx.const("rhs", np.asarray(w.data, np.int8).reshape(-1), "int8_t"),
                           ctx.ptr(y)], sources=("matmul/mcu_batch_matmul_w8.c",))

    def lower_hybrid(self, op, ctx):
        """LiteRT's hybrid BatchMatMul: each LHS row quantized at run time (symmetric, or asymmetric with
        the RHS column sums), int8 products against the constant RHS stored [matrices][n][k]
        (mcu_batch_matmul_hybrid.c)."""
        from .lstm import pad_rows
        x, w, y = op.inputs[0], op.inputs[1], op.outputs[0]
        geo = self.layout(op)
        k, o = geo["k"], op.options
        rhs = np.asarray(w.data, np.int8).reshape(-1, *w.shape[-2:])
        rhs_t = rhs if o.get("adj_y") else np.transpose(rhs, (0, 2, 1))   # [matrices][n][k]
        asym = int(bool(o.get("asymmetric_quantize_inputs", False)))
        fields = [(key, geo[key]) for key in ("batch", "lhs_batch_stride", "rhs_batch_stride", "m", "n", "k",
                                              "lhs_m_stride", "lhs_k_stride")] + [
            ("asymmetric", asym),
            ("rhs_scale", float(np.float32(w.quant.scale.reshape(-1)[0]))),
            ("rhs", ctx.const("rhs", pad_rows(rhs_t.reshape(-1, k)), "int8_t")),
            ("col_sums", ctx.const("colsums", rhs_t.astype(np.int64).sum(axis=2).astype(np.int32).reshape(-1),
                                   "int32_t") if asym else "NULL"),
        ]
        return Layer(op, function="batch_matmul_hybrid", struct="batch_matmul_hybrid_params_t", fields=fields,
                     args=[ctx.ptr(x), ctx.ptr(y), ctx.scratch(self.scratch_bytes(op, ctx.features), "uint8_t")],
                     sources=("matmul/mcu_batch_matmul_hybrid.c",))
