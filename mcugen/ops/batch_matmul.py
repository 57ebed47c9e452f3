"""BATCH_MATMUL, int8 and 16x8 (int16 operands; kernel: runtime_c/matmul/mcu_batch_matmul.c).

TFLM's reference BatchMatMul: per-tensor quantization; the multiplier is GetQuantizedConvolutionMultipler
(the two input scales multiplied in float32, then divided by the output scale in double); no fused
activation (the clamp is the type's range). int8 accumulates (lhs - zp) * (rhs - zp) in int32 and uses the
32-bit requantization; int16 needs zero points 0 (TFLM checks) and accumulates in int64 with the 64-bit
requantization. Either operand may be constant or computed at run time; adj_x / adj_y and broadcast batch
dimensions (ranks 2 to 5) are handled by strides, without transposed copies.
"""
from __future__ import annotations

import numpy as np

from ..quant import f64, quantize_multiplier, reduce_multiplier_16, type_range
from ..planner.overlap import streaming_min_offset
from .base import Layer, OpHandler, Sig, need_quant, register

MAX_RANK = 5  # TFLM accepts ranks 2..5


@register
class BatchMatMul(OpHandler):
    ops = ("BATCH_MATMUL",)
    signatures = (
        Sig("s8", (("int8",), ("int8",)), (("int8",),)),
        Sig("s16", (("int16",), ("int16",)), (("int16",),)),
    )

    def rule_quantized(self, op):
        """Both operands and the output are quantized per tensor."""
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

    def macs(self, op):
        return int(np.prod(op.outputs[0].shape)) * self.dims(op)[5]

    def scratch_bytes(self, op, features=frozenset()):
        """The DSP path's gathered row or column: k int16 values, on a board with the DSP extension,
        unless both operands are read with k strides other than 1 (adj_x without adj_y: plain C)."""
        o = op.options
        if "dsp" not in features or (o.get("adj_x") and not o.get("adj_y")):
            return 0
        return -(-2 * self.dims(op)[5] // 4) * 4

    def overlap(self, op):
        """lhs and output may share bytes when the kernel writes output row i only after reading lhs row
        i and never reads rows below i again: lhs not broadcast over a batch dimension and stored
        [M, K] (no adj_x), and rhs read row by row (adj_y), where the plain and DSP paths both go row by
        row (without adj_y the DSP path goes column by column and reads every lhs row for each)."""
        o = op.options
        batch, sa, _, m, n, k, _ = self.dims(op)
        if o.get("adj_x") or not o.get("adj_y") or any(s == 0 for s, d in zip(sa, batch) if d > 1):
            return {}
        item = np.dtype(op.inputs[0].dtype).itemsize
        rows = int(np.prod(batch, dtype=np.int64)) * m
        first = np.arange(rows, dtype=np.int64) * k * item
        return {0: (streaming_min_offset(n * item, first), None)}

    def lower(self, op, ctx):
        scheme = self.scheme(op)
        x, w, y = op.inputs[0], op.inputs[1], op.outputs[0]
        batch, sa, sb, m, n, k, _ = self.dims(op)
        pad = 3 - len(batch)
        batch, sa, sb = [1] * pad + batch, [0] * pad + sa, [0] * pad + sb
        o = op.options
        lhs_m, lhs_k = (1, m) if o.get("adj_x") else (k, 1)
        rhs_k, rhs_n = (1, k) if o.get("adj_y") else (n, 1)
        real = f64(np.float32(x.quant.s) * np.float32(w.quant.s)) / f64(y.quant.s)
        mult, shift = quantize_multiplier(real)
        if scheme == "s16":
            mult = reduce_multiplier_16(mult)
        lo, hi = type_range(y.dtype)
        fields = [
            ("batch", batch), ("lhs_batch_stride", sa), ("rhs_batch_stride", sb), ("m", m), ("n", n), ("k", k),
            ("lhs_m_stride", lhs_m), ("lhs_k_stride", lhs_k), ("rhs_k_stride", rhs_k), ("rhs_n_stride", rhs_n),
            ("lhs_offset", -x.quant.zp), ("rhs_offset", -w.quant.zp), ("output_offset", y.quant.zp),
            ("multiplier", mult), ("shift", shift), ("act_min", lo), ("act_max", hi),
        ]
        nbytes = self.scratch_bytes(op, ctx.features)
        scratch = ctx.scratch(nbytes, "int16_t") if nbytes else "NULL"
        return Layer(op, function=f"batch_matmul_{scheme}", struct="batch_matmul_params_t", fields=fields,
                     args=[ctx.ptr(x), ctx.ptr(w), ctx.ptr(y), scratch], sources=("matmul/mcu_batch_matmul.c",))

    # ---- float32 (scheme f32): TFLM's reference float BatchMatMul (mcu_batch_matmul_f32.c) ----
    signatures = signatures + (Sig("f32", (("float32",), ("float32",)), (("float32",),)),)
    from .f32 import integer_only as _f32_integer_only  # an import here keeps this block append-only
    rule_quantized = _f32_integer_only(rule_quantized)
    del _f32_integer_only
    _lower_before_f32, _scratch_before_f32 = lower, scratch_bytes

    def scratch_bytes(self, op, features=frozenset()):
        """Integer schemes: the DSP path's gathered row or column (see above); float32: none."""
        return 0 if self.scheme(op) == "f32" else self._scratch_before_f32(op, features)

    def lower(self, op, ctx):
        if self.scheme(op) != "f32":
            return self._lower_before_f32(op, ctx)
        x, w, y = op.inputs[0], op.inputs[1], op.outputs[0]
        batch, sa, sb, m, n, k, _ = self.dims(op)
        pad = 3 - len(batch)
        batch, sa, sb = [1] * pad + batch, [0] * pad + sa, [0] * pad + sb
        o = op.options
        lhs_m, lhs_k = (1, m) if o.get("adj_x") else (k, 1)
        rhs_k, rhs_n = (1, k) if o.get("adj_y") else (n, 1)
        fields = [
            ("batch", batch), ("lhs_batch_stride", sa), ("rhs_batch_stride", sb), ("m", m), ("n", n), ("k", k),
            ("lhs_m_stride", lhs_m), ("lhs_k_stride", lhs_k), ("rhs_k_stride", rhs_k), ("rhs_n_stride", rhs_n),
            ("lhs_offset", 0), ("rhs_offset", 0), ("output_offset", 0), ("multiplier", 0), ("shift", 0),
            ("act_min", 0), ("act_max", 0),
        ]
        return Layer(op, function="batch_matmul_f32", struct="batch_matmul_params_t", fields=fields,
                     args=[ctx.ptr(x), ctx.ptr(w), ctx.ptr(y)], sources=("matmul/mcu_batch_matmul_f32.c",))

    # ---- hybrid (scheme hybrid): LiteRT's hybrid BatchMatMul (mcu_batch_matmul_hybrid.c) ----
    signatures = signatures + (Sig("hybrid", (("float32",), ("int8",)), (("float32",),)),)
    _rule_quantized_before_hybrid = rule_quantized

    def rule_quantized(self, op):
        """Integer schemes: both operands and the output are quantized per tensor. (Hybrid:
        rule_hybrid_rhs.)"""
        return None if self.scheme(op) == "hybrid" else self._rule_quantized_before_hybrid(op)

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

    _scratch_before_hybrid, _lower_before_hybrid, _overlap_before_hybrid = scratch_bytes, lower, overlap

    def scratch_bytes(self, op, features=frozenset()):
        """Integer schemes: the DSP path's gathered row or column; float32: none; hybrid: the quantized LHS
        row (k bytes rounded up to 4) and, with adj_x, the gathered float row."""
        if self.scheme(op) != "hybrid":
            return self._scratch_before_hybrid(op, features)
        k = self.dims(op)[5]
        return -(-k // 4) * 4 + (4 * k if op.options.get("adj_x") else 0)

    def overlap(self, op):
        return {} if self.scheme(op) == "hybrid" else self._overlap_before_hybrid(op)

    def lower(self, op, ctx):
        if self.scheme(op) != "hybrid":
            return self._lower_before_hybrid(op, ctx)
        from .lstm import pad_rows
        x, w, y = op.inputs[0], op.inputs[1], op.outputs[0]
        batch, sa, sb, m, n, k, _ = self.dims(op)
        pad = 3 - len(batch)
        batch, sa, sb = [1] * pad + batch, [0] * pad + sa, [0] * pad + sb
        o = op.options
        lhs_m, lhs_k = (1, m) if o.get("adj_x") else (k, 1)
        rhs = np.asarray(w.data, np.int8).reshape(-1, *w.shape[-2:])
        rhs_t = rhs if o.get("adj_y") else np.transpose(rhs, (0, 2, 1))   # [matrices][n][k]
        asym = int(bool(o.get("asymmetric_quantize_inputs", False)))
        fields = [
            ("batch", batch), ("lhs_batch_stride", sa), ("rhs_batch_stride", sb), ("m", m), ("n", n), ("k", k),
            ("lhs_m_stride", lhs_m), ("lhs_k_stride", lhs_k), ("asymmetric", asym),
            ("rhs_scale", float(np.float32(w.quant.scale.reshape(-1)[0]))),
            ("rhs", ctx.const("rhs", pad_rows(rhs_t.reshape(-1, k)), "int8_t")),
            ("col_sums", ctx.const("colsums", rhs_t.astype(np.int64).sum(axis=2).astype(np.int32).reshape(-1),
                                   "int32_t") if asym else "NULL"),
        ]
        return Layer(op, function="batch_matmul_hybrid", struct="batch_matmul_hybrid_params_t", fields=fields,
                     args=[ctx.ptr(x), ctx.ptr(y), ctx.scratch(self.scratch_bytes(op, ctx.features), "uint8_t")],
                     sources=("matmul/mcu_batch_matmul_hybrid.c",))
