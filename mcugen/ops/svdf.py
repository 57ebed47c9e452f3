"""SVDF, int8 input with int16 or int8 state (kernel: runtime_c/recurrent/mcu_svdf_s8.c).

TFLM (svdf_common.cc, EvalIntegerSvdfReference): every invocation moves the
state (a variable tensor [batch, filters * memory]) one element to the left,
writes the feature projection of the input into each filter's newest column
(requantized with scale_1 = input_scale * feature_scale / state_scale, clamped to
the state type, then the state zero point added and the sum narrowed to the
state type, wrapping), then sums time weights x (state -
state zero point) over the memory and the rank, adds the bias and requantizes
with scale_2 = state_scale * time_scale / output_scale. Both scales are
computed in float32 and widened to double. The fused activation is ignored by
TFLM's integer path (only the int8 clamp applies) - checked against the pip
interpreter - so mcugen ignores it too. The int8 state starts at its zero point
(TFLM's ResetVariableTensors), the int16 one at 0.

TFLM oddity: the pip interpreter adds the state zero point after the clamp, so a
projection near the end of the range wraps around (e.g. 127 + 20 becomes -109).
Newer tflite-micro sources (svdf_common.cc) add it before the clamp and call the
old order a bug; the oracle is the pip build, so mcugen wraps like it (found by
a seeded test with an int8 state of zero point -10 whose first all-minimum input
saturated the projection; a numpy model of each order told the two apart).

Kernel layout (int8 schemes): the state is a ring buffer - each invocation writes
every row's newest value over its oldest at one position h, nothing moves - and
h lives in a word after the state (state_extra_bytes, head_offset), planned and
reset with it. Each time-weights row is stored twice, so the dot product with the
row rotated by h is one contiguous sum (under --optimize size once, and the sum is
taken in two parts; no blocked loop then). reset() fills the state with one value,
for which every h gives TFLM's rows, so the word needs no value of its own (the
kernel takes it modulo the memory). Both requantizations take the exact
one-multiply form (lstm.exact_requant) when their shifts allow; with DSP, rank-1
int8 layers whose memory is a multiple of 4 get their own loop (blocked: 4 filters
share the input loads, their feature weights interleaved, feature_blocks).

float32 (lower_f32, mcu_svdf_f32.c): TFLM's float SVDF, the fused activation
applied. The pip TFLM crashes (segmentation fault) on a float SVDF without bias,
so the bias is required in every scheme. int16 activations (16x8): TFLM fails to
allocate the tensors of such an SVDF, so mcugen has no s16 signature for it.
"""
from __future__ import annotations

import numpy as np

from ..quant import quantize_multiplier
from .base import Layer, OpHandler, Sig, register
from .f32 import float_activation_range, integer_only
from .lstm import NO_RQ, exact_requant

I8, I16, I32, F32 = ("int8",), ("int16",), ("int32",), ("float32",)


def svdf_dims(op) -> dict:
    x, wf, wt = op.inputs[0], op.inputs[1], op.inputs[2]
    rank = int(op.options.get("rank", 1))
    filters = int(wf.shape[0])
    return {"batches": int(x.shape[0]), "input_size": int(x.shape[1]), "filters": filters,
            "units": filters // rank if rank > 0 else 0, "rank": rank, "memory": int(wt.shape[1])}


def _scale(a: float, b: float, c: float) -> float:
    """TFLM: static_cast<double>(a * b / c) with float32 operands."""
    return float(np.float32(np.float32(a) * np.float32(b)) / np.float32(c))


def feature_blocks(wf: np.ndarray) -> np.ndarray:
    """The first filters & ~3 feature-weight rows as the rank-1 kernel reads them: per block of 4 filters, per
    group of 4 inputs, each filter's 4 weights in one int32 word (weight j in byte j, low byte first), zero-padded
    past the input size ([filters / 4][ceil(input_size / 4)][4] words)."""
    filters, n = wf.shape
    full, groups = filters // 4 * 4, (n + 3) // 4
    padded = np.zeros((full, groups * 4), np.int64)
    padded[:, :n] = wf[:full]
    b = (padded & 0xFF).reshape(full // 4, 4, groups, 4).transpose(0, 2, 1, 3)  # [block][group][filter][byte]
    words = b[..., 0] | (b[..., 1] << 8) | (b[..., 2] << 16) | (b[..., 3] << 24)
    return (((words + (1 << 31)) % (1 << 32)) - (1 << 31)).astype(np.int32).ravel()


def head_offset(state) -> int:
    """Where the kernel keeps its ring position: the first word boundary after the state's elements."""
    return -(-state.nbytes // 4) * 4


@register
class Svdf(OpHandler):
    ops = ("SVDF",)
    signatures = (
        Sig("s8", (I8, I8, I16, I32, I16), (I8,)),
        Sig("s8", (I8, I8, I8, I32, I8), (I8,)),
        Sig("f32", (F32, F32, F32, F32, F32), (F32,), optional=(3,)),  # the bias: rule_inputs asks for it
        # hybrid: LiteRT's EvalHybridSVDF, int8 feature and time weights (the time weights dequantized)
        Sig("hybrid", (F32, I8, I8, F32, F32), (F32,), optional=(3,)),
    )

    def rule_inputs(self, op):
        """The operator has five inputs (input, feature weights, time weights, bias, state) and the bias is
        present (TFLM's integer SVDF reads the bias scale unconditionally; the pip TFLM interpreter crashes
        (segmentation fault) on a float32 SVDF without bias)."""
        if len(op.inputs) != 5:
            return f"SVDF has {len(op.inputs)} inputs, needs 5"
        if self.scheme(op) == "hybrid":  # LiteRT's hybrid SVDF starts from 0 without a bias
            return None
        return None if op.inputs[3] is not None else "the bias is absent; TFLM's SVDF needs one"

    def rule_state_variable(self, op):
        """The state (input 4) is a variable tensor, which keeps its value from one invocation to the next."""
        s = op.inputs[4] if len(op.inputs) > 4 else None
        return None if s is None or s.is_variable else f"state '{s.name}' is not a variable tensor"

    def rule_constant_weights(self, op):
        """The feature weights, time weights and bias are constant."""
        for i in (1, 2, 3):
            t = op.inputs[i] if len(op.inputs) > i else None
            if t is not None and not t.is_const:
                return f"input {i} ('{t.name}') is not constant"
        return None

    def rule_shapes(self, op):
        """Input [batch, input_size], feature weights [filters, input_size], time weights [filters, memory],
        bias [filters / rank], state [batch, filters * memory], output [batch, filters / rank]; rank >= 1 divides
        filters."""
        x, wf, wt, b, s = op.inputs[:5]
        y = op.outputs[0]
        if any(len(t.shape) != 2 for t in (x, wf, wt, s, y)):
            return "input, weights, state and output must be 2-D"
        d = svdf_dims(op)
        if d["rank"] < 1 or d["filters"] % d["rank"]:
            return f"rank {d['rank']} does not divide {d['filters']} filters"
        want = {"feature weights": (wf.shape, (d["filters"], d["input_size"])),
                "time weights": (wt.shape, (d["filters"], d["memory"])),
                "state": (s.shape, (d["batches"], d["filters"] * d["memory"])),
                "output": (y.shape, (d["batches"], d["units"]))}
        if b is not None:
            want["bias"] = (b.shape, (d["units"],))
        for name, (have, need) in want.items():
            if tuple(have) != need:
                return f"{name} shape {tuple(have)}, needs {need}"
        return None

    @integer_only
    def rule_quantization(self, op):
        """Every tensor is quantized per tensor with a positive scale; the weights are symmetric; the bias scale
        equals state scale x time-weights scale within 1e-5 (TFLM's check). (Hybrid: rule_hybrid_weights.)"""
        if self.scheme(op) == "hybrid":
            return None
        for t in op.inputs[:5] + op.outputs[:1]:
            if t is None:
                continue
            if t.quant is None or t.quant.scale.size != 1 or not t.quant.s > 0:
                return f"tensor '{t.name}' needs one positive scale"
        for t in op.inputs[1:3]:
            if t is not None and t.quant.zp != 0:
                return f"weights '{t.name}' have zero point {t.quant.zp}, need 0"
        wt, b, s = op.inputs[2], op.inputs[3], op.inputs[4]
        if b is not None and abs(float(b.quant.s) - float(np.float32(s.quant.s) * np.float32(wt.quant.s))) >= 1e-5:
            return "bias scale differs from state scale x time-weights scale"
        return None

    def state_extra_bytes(self, op):
        """int8 schemes: the ring position word after the state (see head_offset); the hybrid and float kernels
        move their state as TFLM does."""
        if self.scheme(op) != "s8":
            return {}
        s = op.inputs[4]
        return {4: head_offset(s) + 4 - s.nbytes}

    def macs(self, op):
        d = svdf_dims(op)
        return d["batches"] * d["filters"] * (d["input_size"] + d["memory"])

    def macs_per_step(self, op) -> int:
        """An SVDF invocation is one time step (a streaming frame)."""
        return self.macs(op)

    def lower_s8(self, op, ctx):
        x, wf, wt, b, s = op.inputs[:5]
        y = op.outputs[0]
        d = svdf_dims(op)
        m1, sh1 = quantize_multiplier(_scale(x.quant.s, wf.quant.s, s.quant.s))
        m2, sh2 = quantize_multiplier(_scale(s.quant.s, wt.quant.s, y.quant.s))
        w = wf.data.astype(np.int64)
        feature_bias = -x.quant.zp * w.sum(axis=1)
        t = wt.data.astype(np.int64)
        per_filter = t.sum(axis=1).reshape(d["units"], d["rank"]).sum(axis=1)
        unit_bias = b.data.astype(np.int64) - s.quant.zp * per_filter
        wrap = lambda v: ((v + (1 << 31)) % (1 << 32)) - (1 << 31)  # noqa: E731 - TFLM's int32 sums wrap
        state16 = s.dtype == "int16"
        if s.state_extra < head_offset(s) + 4 - s.nbytes:
            raise ValueError("the SVDF state has no room for its ring position (state_extra_bytes not applied)")
        # each time-weights row twice (the ring's rotations in one dot product), or once under --optimize size
        twice = "optimize:size" not in ctx.features
        wt_rows = np.concatenate([wt.data, wt.data], axis=1) if twice else wt.data
        rq1, rq2 = exact_requant(m1, sh1), exact_requant(m2, sh2, y.quant.zp)
        exact = rq1 is not None and rq2 is not None
        # the kernel's rank-1 loop: 4 filters share the input loads (their weights interleaved)
        blocked = twice and exact and not state16 and d["rank"] == 1 and d["memory"] % 4 == 0 and d["filters"] >= 4
        full = d["filters"] // 4 * 4 if blocked else 0
        fields = [(k, d[k]) for k in ("batches", "input_size", "filters", "units", "rank", "memory")] + [
            ("state_zero_point", s.quant.zp), ("output_zero_point", y.quant.zp),
            ("mult1", m1), ("shift1", sh1), ("mult2", m2), ("shift2", sh2),
            ("exact", int(exact)), ("rq1", rq1 if exact else NO_RQ), ("rq2", rq2 if exact else NO_RQ),
            ("head_offset", head_offset(s)), ("blocked", int(blocked)),
            ("weights_blocks", ctx.const("wfb", feature_blocks(wf.data), "int32_t") if blocked else "NULL"),
            ("weights_feature", ctx.const("wf", wf.data[full:], "int8_t") if full < d["filters"] else "NULL"),
            ("weights_time8", "NULL" if state16 else ctx.const("wt", wt_rows, "int8_t")),
            ("weights_time16", ctx.const("wt", wt_rows, "int16_t") if state16 else "NULL"),
            ("feature_bias", ctx.const("fbias", wrap(feature_bias), "int32_t")),
            ("unit_bias", ctx.const("ubias", wrap(np.append(unit_bias, 0)), "int32_t")),  # + a spare entry
        ]
        fn = ("svdf_s8_s16" if state16 else "svdf_s8_s8") + ("" if twice else "_once")
        return Layer(op, function=fn, struct="svdf_params_t", fields=fields,
                     args=[ctx.ptr(x), ctx.ptr(s), ctx.ptr(y)], sources=("recurrent/mcu_svdf_s8.c",))

    def lower_f32(self, op, ctx):
        """Float weights and bias as in the model; the fused activation is a float clamp (TFLM's float SVDF
        applies it, unlike the integer one)."""
        x, wf, wt, b, s = op.inputs[:5]
        y = op.outputs[0]
        d = svdf_dims(op)
        lo, hi = float_activation_range(op.options.get("fused_activation_function", "NONE"))
        fields = [(k, d[k]) for k in ("batches", "input_size", "filters", "units", "rank", "memory")] + [
            ("act_min", lo), ("act_max", hi),
            ("weights_feature", ctx.const("wf", wf.data, "float")),
            ("weights_time", ctx.const("wt", wt.data, "float")),
            ("bias", ctx.const("bias", b.data, "float")),
        ]
        return Layer(op, function="svdf_f32", struct="svdf_f32_params_t", fields=fields,
                     args=[ctx.ptr(x), ctx.ptr(s), ctx.ptr(y)], sources=("recurrent/mcu_svdf_f32.c",))


# ---- hybrid (scheme hybrid): LiteRT's EvalHybridSVDF (mcu_svdf_hybrid.c) ---------------------------------
def _svdf_hybrid_methods():
    from .hybrid import hybrid_activation
    from .lstm import pad_rows

    def rule_hybrid_weights(self, op):
        """Hybrid: the int8 feature and time weights each have one finite scale and zero point 0 (LiteRT reads
        the legacy per-tensor scale: 0 for per-channel weights, which it then ignores)."""
        if self.scheme(op) != "hybrid":
            return None
        for i in (1, 2):
            t = op.inputs[i]
            q = t.quant
            if q is None or q.scale.size == 0:
                return f"hybrid weights '{t.name}' have no quantization parameters"
            if q.scale.size != 1:
                return (f"hybrid weights '{t.name}' are quantized per channel; LiteRT's hybrid SVDF uses one "
                        "scale per tensor")
            if not np.all(np.isfinite(q.scale)) or np.any(q.zero_point != 0):
                return f"hybrid weights '{t.name}' need a finite scale and zero point 0"
        return None

    def rule_hybrid_activation(self, op):
        """Hybrid: the fused activation is NONE, RELU, RELU6 or RELU_N1_TO_1 (applied in float)."""
        if self.scheme(op) != "hybrid":
            return None
        act = op.options.get("fused_activation_function", "NONE")
        return None if act in ("NONE", "RELU", "RELU6", "RELU_N1_TO_1") else f"activation {act} is not supported"

    def scratch_bytes(self, op, features=frozenset()):
        """Hybrid: the quantized input row (rounded up to 4 bytes)."""
        if self.scheme(op) != "hybrid":
            return 0
        return -(-svdf_dims(op)["input_size"] // 4) * 4

    def lower_hybrid(self, op, ctx):
        """The feature weights as in the model with their scale (and row sums for asymmetric inputs), the time
        weights dequantized at build time (int8 x scale in float32, LiteRT's first-run dequantization)."""
        x, wf, wt, b, s = op.inputs[:5]
        y = op.outputs[0]
        d = svdf_dims(op)
        asym = int(bool(op.options.get("asymmetric_quantize_inputs", False)))
        clamp, lo, hi = hybrid_activation(op)
        wt_f = (wt.data.astype(np.float32) * np.float32(wt.quant.scale.reshape(-1)[0])).astype(np.float32)
        fields = [(k, d[k]) for k in ("batches", "input_size", "filters", "units", "rank", "memory")] + [
            ("asymmetric", asym), ("clamp", clamp), ("act_min", lo), ("act_max", hi),
            ("feature_scale", float(np.float32(wf.quant.scale.reshape(-1)[0]))),
            ("weights_feature", ctx.const("wf", pad_rows(wf.data), "int8_t")),
            ("row_sums", ctx.const("rs", wf.data.astype(np.int64).sum(axis=1).astype(np.int32), "int32_t")
             if asym else "NULL"),
            ("weights_time", ctx.const("wt", wt_f, "float")),
            ("bias", ctx.const("bias", np.asarray(b.data, np.float32), "float") if b is not None else "NULL"),
        ]
        return Layer(op, function="svdf_hybrid", struct="svdf_hybrid_params_t", fields=fields,
                     args=[ctx.ptr(x), ctx.ptr(s), ctx.ptr(y), ctx.scratch(self.scratch_bytes(op, ctx.features),
                                                                            "int8_t")],
                     sources=("recurrent/mcu_svdf_hybrid.c",))

    for f in (rule_hybrid_weights, rule_hybrid_activation, scratch_bytes, lower_hybrid):
        setattr(Svdf, f.__name__, f)


_svdf_hybrid_methods()
