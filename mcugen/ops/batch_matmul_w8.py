"""BATCH_MATMUL with a constant int8 rhs behind DEQUANTIZE (weight-only, scheme w8): the rhs stays int8 in
flash and mcu_batch_matmul_w8 dequantizes each value where it reads it, in mcu_batch_matmul_f32's order
(the float kernel's bits). Added to the BatchMatMul handler of batch_matmul.py from here, so that file stays
untouched: its signatures gain the w8 one, its quantization rule learns the w8 case, scratch and lowering
dispatch on the scheme."""
from __future__ import annotations

import numpy as np

from .base import Layer, Sig
from .batch_matmul import BatchMatMul

W8_ATTR = "weight_only"  # the mark mcugen/passes/fold_dequantize_weights.py sets (fully_connected.W8_ATTR)

W8_BMM_SIG = Sig("w8", (("float32",), ("int8",)), (("float32",),), attr=W8_ATTR)


def rhs_channel_axis(op) -> int:
    """The rhs axis along the output columns n: its last axis, or the one before with adj_y."""
    rank = len(op.inputs[1].shape)
    return rank - 2 if op.options.get("adj_y") else rank - 1


def _install():
    cls = BatchMatMul
    cls.signatures = cls.signatures + (W8_BMM_SIG,)
    quantized, scratch, lower = cls.rule_quantized, cls.scratch_bytes, cls.lower

    def rule_quantized(self, op):
        if self.scheme(op) != "w8":
            return quantized(self, op)
        w = op.inputs[1]
        if w.quant is None or w.quant.scale.size == 0 or not np.all(np.isfinite(w.quant.scale)):
            return f"weight-only rhs '{w.name}' has no finite quantization scale"
        n = w.quant.scale.size
        if n > 1 and (w.quant.axis % len(w.shape) != rhs_channel_axis(op) or n != w.shape[rhs_channel_axis(op)]):
            return f"weight-only rhs '{w.name}' is quantized along axis {w.quant.axis}, not its output columns"
        return None
    rule_quantized.__doc__ = ((quantized.__doc__ or "").strip() + " Weight-only (w8): the constant int8 rhs "
                              "carries finite scales, one per tensor or one per output column.")

    def scratch_bytes(self, op, features=frozenset()):
        return 0 if self.scheme(op) == "w8" else scratch(self, op, features)
    scratch_bytes.__doc__ = scratch.__doc__

    def lower_any(self, op, ctx):
        if self.scheme(op) != "w8":
            return lower(self, op, ctx)
        x, w, y = op.inputs[0], op.inputs[1], op.outputs[0]
        batch, sa, sb, m, n, k, _ = self.dims(op)
        pad = 3 - len(batch)
        batch, sa, sb = [1] * pad + batch, [0] * pad + sa, [0] * pad + sb
        o = op.options
        lhs_m, lhs_k = (1, m) if o.get("adj_x") else (k, 1)
        rhs_k, rhs_n = (1, k) if o.get("adj_y") else (n, 1)
        mm = {"batch": batch, "lhs_batch_stride": sa, "rhs_batch_stride": sb, "m": m, "n": n, "k": k,
              "lhs_m_stride": lhs_m, "lhs_k_stride": lhs_k, "rhs_k_stride": rhs_k, "rhs_n_stride": rhs_n,
              "lhs_offset": 0, "rhs_offset": 0, "output_offset": 0, "multiplier": 0, "shift": 0,
              "act_min": 0, "act_max": 0}
        scale = np.asarray(w.quant.scale, np.float32).reshape(-1)
        zp = np.asarray(w.quant.zero_point, np.int64).reshape(-1).astype(np.int32)
        fields = [("mm", mm), ("per_channel", int(scale.size > 1)),
                  ("scale", ctx.const("scale", scale, "float")), ("zero_point", ctx.const("zp", zp, "int32_t"))]
        return Layer(op, function="batch_matmul_w8", struct="batch_matmul_w8_params_t", fields=fields,
                     args=[ctx.ptr(x), ctx.const("rhs", np.asarray(w.data, np.int8).reshape(-1), "int8_t"),
                           ctx.ptr(y)], sources=("matmul/mcu_batch_matmul_w8.c",))

    cls.rule_quantized = rule_quantized
    cls.scratch_bytes = scratch_bytes
    cls.lower = lower_any


_install()
