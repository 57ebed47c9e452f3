"""UNIDIRECTIONAL_SEQUENCE_LSTM, int8 activations with int16 cell state (kernel: runtime_c/recurrent/mcu_lstm_s8.c).

TFLM's kernel (lstm_eval.h, lstm_eval_common.cc) runs the "standard" LSTM
only: all four gates (no CIFG), no peephole, no projection, no layer norm -
rule_standard_lstm rejects those as TFLM's Prepare does. Per time step each gate
is FC(input) + FC(hidden), each FC requantized to int16 Q3.12 (scale 2^-12, the
multiplier real = float32(in_scale * w_scale) / 2^-12 in double), the two added
with int16 saturation, then sigmoid (forget, input, output) or the layer's
activation (cell gate) by TFLM's interpolated int16 table, all to Q0.15. Then
cell = sat(sat(f * cell) + sat(i * g)) (MUL multipliers 2^-15 * s1 / s2 in double),
clipped to +-int16(cell_clip / cell_scale) when cell_clip > 0, and the new hidden
(= output row) = clamp8(h_zp + tanh(cell) * o * 2^-30 / h_scale), tanh scaled from the
cell's power-of-two exponent (round(log2(cell_scale)), float32, as CheckedLog2).
Hidden and cell state are variable tensors; TFLM zeroes the cell and fills the
int8 hidden state with its zero point at reset.

Kernel layout (int8): the four gates' weights interleaved per unit and group of
4 columns, widened to int16 in SMLAD pair order (interleave_gates), so one input
word serves all four gates; `exact_requant` marks layers whose every
requantization takes the one-multiply form (exact_requant). 16x8 (scheme s16, lower_s16): int16
input/hidden/output with zero points 0, int64 biases, gate sums requantized by
TFLM's int64 MultiplyByQuantizedMultiplier (16-bit multiplier); TFLM accepts an
int32 bias there but reads it as int64 (garbage), so the signature asks for
int64. float32 (lower_f32, mcu_lstm_f32.c): TFLM's float LSTM, its sums in TFLM's
order, exp and tanh by the kernel's own (mcu_rec_expf, within 2 ulp; newlib's expf costs hundreds of
instructions on Cortex-M): trained_lstm within 3e-7 of TFLM's outputs (it was bit-identical with the C
library's expf / tanhf) at 0.44x TFLM's instructions on cortex-m4 (gates side by side in the weights).

hybrid (lower_hybrid, mcu_lstm_hybrid.c): LiteRT's EvalHybrid (TFLM has no hybrid LSTM): float input,
state and output, int8 weights with one scale per tensor (LiteRT reads scale 0 for per-channel weights,
so they are refused), float biases; CIFG, peephole, projection and layer norm as LiteRT runs them.
"""
from __future__ import annotations

import math

import numpy as np

from ..quant import f64, quantize_multiplier, reduce_multiplier_16, round_half_away
from .base import Layer, OpHandler, Sig, register
from .f32 import integer_only

I8, I16, I32, I64, F32 = ("int8",), ("int16",), ("int32",), ("int64",), ("float32",)
INPUT, HIDDEN, CELL = 0, 18, 19
GATE_WEIGHTS = (1, 2, 3, 4)        # input, forget, cell, output
GATE_RECURRENT = (5, 6, 7, 8)
GATE_BIAS = (12, 13, 14, 15)
VARIANTS = {"peephole": (9, 10, 11), "projection": (16, 17), "layer norm": (20, 21, 22, 23)}
Q3_12 = 2.0 ** -12
Q0_15 = 2.0 ** -15


def sigmoid_table() -> np.ndarray:
    """TFLM's 256-entry uint16 table of sigmoid(i / 24) in 0.16: each entry lowered by half the error that
    linear interpolation makes at the midpoint of its interval, rounded; the last entry is 65535."""
    step = 1.0 / 24
    sig = lambda v: 65536.0 / (1.0 + math.exp(-v))  # noqa: E731
    out = []
    for i in range(256):
        a, b, mid = sig(i * step), sig((i + 1) * step), sig((i + 0.5) * step)
        out.append(min(65535, int(round_half_away(a - ((a + b) / 2 - mid) / 2))))
    out[255] = 65535
    return np.array(out, np.uint16)


def lstm_dims(op) -> dict:
    x, h = op.inputs[INPUT], op.inputs[HIDDEN]
    tm = bool(op.options.get("time_major", False))
    return {"time_steps": int(x.shape[0 if tm else 1]), "batches": int(x.shape[1 if tm else 0]),
            "input_size": int(x.shape[2]), "units": int(h.shape[-1]), "time_major": int(tm)}


def _fc_multiplier(in_scale: float, w_scale: float) -> tuple[int, int]:
    """TFLM GetQuantizedConvolutionMultipler: the scale product in float32, divided by 2^-12 in double."""
    return quantize_multiplier(f64(np.float32(in_scale) * np.float32(w_scale)) / Q3_12)


def _log2_power(scale: float) -> int:
    """TFLM CheckedLog2: round(log(x) * (1 / log(2))) in float32 (its 'exact' verdict is ignored)."""
    v = np.float32(np.log(np.float32(scale))) * np.float32(1.0 / np.log(np.float32(2.0)))
    return int(round_half_away(float(np.float32(v))))


GROUP_ORDER = [0, 2, 1, 3]  # columns of a group as stored: the pairs (c0, c2), (c1, c3) SXTB16 makes of inputs


def interleave_gates(mats: list) -> np.ndarray:
    """The four gates' [units, n] int8 matrices as the kernel reads them, widened to int16 and packed two to an
    int32 word (low half first): per unit, per group of 4 columns, each gate's 4 weights in the order c0, c2, c1,
    c3 ([units][ceil(n / 4)][4 gates][2 words], zero-padded columns)."""
    units, n = mats[0].shape
    groups = (n + 3) // 4
    out = np.zeros((units, groups, 4, 4), np.int16)
    for k, m in enumerate(mats):
        padded = np.zeros((units, groups * 4), np.int16)
        padded[:, :n] = m
        out[:, :, k, :] = padded.reshape(units, groups, 4)[:, :, GROUP_ORDER]
    halves = out.reshape(-1, 2).astype(np.int64) & 0xFFFF
    return _wrap(halves[:, 0] | (halves[:, 1] << 16)).astype(np.int32)


def exact_requant(mult: int, shift: int, zp: int = 0) -> dict | None:
    """The kernels' one-multiply form of TFLM's MultiplyByQuantizedMultiplier plus `zp`, or None when it does
    not apply (shift > -1 or the sums could leave int64): mcu_rec_rq (mcu_recurrent.h) computes
        (bias[a < 0] + a * M) >> (31 + e)        with shift = -e, 1 <= e <= 31,
        bias[s] = 2^30 + 2^(e + 30) + zp 2^(31 + e) - s 2^31
    (the high word, then >> (e - 1)). It equals TFLM's for every int32 a: SRDHM(a, M) = floor((aM + 2^30) / 2^31)
    (TFLM's saturation needs M = INT32_MIN); RDBPOT(v, e) = floor((v + 2^(e-1) - [v < 0]) / 2^e); nested floors
    of divisions by powers of two are one floor; and [v < 0] may be replaced by [a < 0] because they differ
    only when v = 0, where both give 0. |a M| < 2^62, so the sum stays inside int64 when |bias| < 2^62."""
    e = -int(shift)
    if not 1 <= e <= 31 or not 0 < int(mult) < (1 << 31):
        return None
    base = (1 << 30) + (1 << (e + 30)) + int(zp) * (1 << (31 + e))
    bias = [base, base - (1 << 31)]
    if any(abs(b) >= 1 << 62 for b in bias):
        return None
    return {"bias": bias, "mult": int(mult), "e1": e - 1}


def exact_requant_py(a: int, q: dict) -> int:
    """mcu_rec_rq on Python integers (for the tests)."""
    return ((q["bias"][int(a < 0)] + a * q["mult"]) >> 32) >> q["e1"]


NO_RQ = {"bias": [0, 0], "mult": 0, "e1": 0}


def _cell_params(op):
    """The cell and hidden multipliers, the quantized cell clip and the tanh(cell) input scaling."""
    c, h = op.inputs[CELL], op.inputs[HIDDEN]
    cs = f64(c.quant.s)
    fm, fs = quantize_multiplier(Q0_15 * cs / cs)
    um, us = quantize_multiplier(Q0_15 * Q0_15 / cs)
    hm, hs = quantize_multiplier(Q0_15 * Q0_15 / f64(h.quant.s))
    clip = float(np.float32(op.options.get("cell_clip", 0.0)))
    qclip = int(min(max(clip / cs, -32768.0), 32767.0)) if clip > 0 else 0
    left = 15 + _log2_power(c.quant.s) - 3
    tanh_mult, tanh_shift = (3, -left) if left < 0 else (3 << left, 0)
    return fm, fs, um, us, hm, hs, qclip, tanh_mult, tanh_shift


def gates_side_by_side(op, idx) -> np.ndarray:
    """The four gates' float [units, n] weights as [units][n][4] (flattened)."""
    return np.stack([np.asarray(op.inputs[i].data, np.float32) for i in idx], axis=-1).reshape(-1)


def _wrap(v: np.ndarray) -> np.ndarray:
    return ((v + (1 << 31)) % (1 << 32)) - (1 << 31)


@register
class UnidirectionalSequenceLstm(OpHandler):
    ops = ("UNIDIRECTIONAL_SEQUENCE_LSTM",)
    signatures = (
        Sig("s8", (I8,) + (I8,) * 8 + (None,) * 3 + (I32,) * 4 + (None, None) + (I8, I16) + (None,) * 4, (I8,)),
        Sig("s16", (I16,) + (I8,) * 8 + (None,) * 3 + (I64,) * 4 + (None, None) + (I16, I16) + (None,) * 4, (I16,)),
        Sig("f32", (F32,) + (F32,) * 8 + (None,) * 3 + (F32,) * 4 + (None, None) + (F32, F32) + (None,) * 4, (F32,)),
        # hybrid: LiteRT's EvalHybrid, with CIFG (inputs 1, 5, 9, 12, 20 absent), peephole (9-11), projection
        # (16, 17) and layer norm (20-23) as LiteRT runs them
        Sig("hybrid", (F32,) + (I8,) * 8 + (I8,) * 3 + (F32,) * 4 + (I8, F32) + (F32, F32) + (F32,) * 4, (F32,),
            optional=(1, 5, 9, 10, 11, 12, 16, 17, 20, 21, 22, 23)),
    )

    def rule_inputs(self, op):
        """The operator has 24 inputs, as TFLM requires."""
        return None if len(op.inputs) == 24 else f"{len(op.inputs)} inputs, TFLM needs 24"

    def rule_standard_lstm(self, op):
        """The LSTM has all four gates (no CIFG) and no peephole, projection or layer norm: TFLM's kernel
        supports only this form and rejects the others. Hybrid: see rule_hybrid_variants."""
        if len(op.inputs) != 24 or self.scheme(op) == "hybrid":
            return None
        missing = [i for i in GATE_WEIGHTS + GATE_RECURRENT + GATE_BIAS if op.inputs[i] is None]
        if missing:
            return f"inputs {missing} are absent (CIFG or missing gates)"
        for name, idx in VARIANTS.items():
            if any(op.inputs[i] is not None for i in idx):
                return f"{name} tensors are present"
        return None

    def rule_state_variables(self, op):
        """The hidden state (input 18) and cell state (input 19) are variable tensors."""
        for i in (HIDDEN, CELL):
            t = op.inputs[i] if len(op.inputs) > i else None
            if t is None or not t.is_variable:
                return f"input {i} is {'absent' if t is None else 'not a variable tensor'}"
        return None

    def rule_constant_weights(self, op):
        """Weights and biases are constant."""
        for i in GATE_WEIGHTS + GATE_RECURRENT + GATE_BIAS:
            t = op.inputs[i] if len(op.inputs) > i else None
            if t is not None and not t.is_const:
                return f"input {i} ('{t.name}') is not constant"
        return None

    def rule_shapes(self, op):
        """(Hybrid: rule_hybrid_shapes.) Input and output are 3-D ([time, batch, *] when time_major, else
        [batch, time, *]); weights are [units, input_size] and [units, units], biases [units]; each state
        holds batch x units values."""
        if self.scheme(op) == "hybrid":
            return None
        x, y = op.inputs[INPUT], op.outputs[0]
        if len(x.shape) != 3 or len(y.shape) != 3:
            return "input and output must be 3-D"
        d = lstm_dims(op)
        s, n = d["units"], d["input_size"]
        for i in GATE_WEIGHTS:
            if tuple(op.inputs[i].shape) != (s, n):
                return f"input {i} shape {op.inputs[i].shape}, needs {(s, n)}"
        for i in GATE_RECURRENT:
            if tuple(op.inputs[i].shape) != (s, s):
                return f"input {i} shape {op.inputs[i].shape}, needs {(s, s)}"
        for i in GATE_BIAS:
            if tuple(op.inputs[i].shape) != (s,):
                return f"input {i} shape {op.inputs[i].shape}, needs {(s,)}"
        for i in (HIDDEN, CELL):
            if op.inputs[i].size != d["batches"] * s:
                return f"state {i} has {op.inputs[i].size} values, needs {d['batches'] * s}"
        if tuple(y.shape) != (x.shape[0], x.shape[1], s):
            return f"output shape {y.shape}, needs {(x.shape[0], x.shape[1], s)}"
        return None

    @integer_only
    def rule_quantization(self, op):
        """Every tensor has one positive scale; weights are symmetric (zero point 0). (Hybrid:
        rule_hybrid_weights.)"""
        if self.scheme(op) == "hybrid":
            return None
        idx = (INPUT, HIDDEN, CELL) + GATE_WEIGHTS + GATE_RECURRENT
        for i in idx:
            t = op.inputs[i]
            if t is None or t.quant is None or t.quant.scale.size != 1 or not t.quant.s > 0:
                return f"input {i} needs one positive scale"
        for i in GATE_WEIGHTS + GATE_RECURRENT:
            if op.inputs[i].quant.zp != 0:
                return f"weights {i} have zero point {op.inputs[i].quant.zp}, need 0"
        return None

    def rule_int16_zero_points(self, op):
        """16x8 (int16 input, hidden state and output): their zero points are 0."""
        if self.scheme(op) != "s16":
            return None
        for t in (op.inputs[INPUT], op.inputs[HIDDEN], op.outputs[0]):
            if t.quant is not None and t.quant.zp != 0:
                return f"tensor '{t.name}' has zero point {t.quant.zp}, 16x8 needs 0"
        return None

    def rule_16x8_gate_scales(self, op):
        """16x8: every gate's input scale x weight scale / 2^-12 is below 2^7 (TFLM's int64 requantization takes
        shifts up to 7 only)."""
        if self.scheme(op) != "s16" or len(op.inputs) != 24:
            return None
        x, h = op.inputs[INPUT], op.inputs[HIDDEN]
        for i in GATE_WEIGHTS + GATE_RECURRENT:
            w, src = op.inputs[i], (x if i in GATE_WEIGHTS else h)
            if w is None or w.quant is None or src.quant is None:
                continue
            if _fc_multiplier(src.quant.s, w.quant.s)[1] > 7:
                return f"input {i}: gate multiplier shift above 7"
        return None

    def rule_options(self, op):
        """The cell-gate activation is TANH (the flatbuffer cannot express TFLM's other choice, sigmoid, and TFLM
        aborts at run time on any other) and cell_clip >= 0. Hybrid: TANH, RELU, RELU6 or RELU_N1_TO_1 (LiteRT
        leaves the cell output unwritten with NONE), cell_clip and proj_clip >= 0, no
        diagonal_recurrent_tensors."""
        act = op.options.get("fused_activation_function", "NONE")
        if self.scheme(op) == "hybrid":
            return self._hybrid_options(op)
        if act != "TANH":
            return f"activation {act}: TFLM's LSTM runs only TANH (it aborts on others)"
        return None if float(op.options.get("cell_clip", 0.0)) >= 0 else "cell_clip is negative"

    def macs(self, op):
        d = lstm_dims(op)
        return d["time_steps"] * self.macs_per_step(op)

    def macs_per_step(self, op) -> int:
        if self.scheme(op) == "hybrid" and len(op.inputs) == 24:
            d = hybrid_dims(op)
            gates = 3 if op.inputs[1] is None else 4
            proj = d["units"] * d["output_size"] if op.inputs[16] is not None else 0
            return d["batches"] * (gates * d["units"] * (d["input_size"] + d["output_size"]) + proj)
        d = lstm_dims(op)
        return d["batches"] * 4 * d["units"] * (d["input_size"] + d["units"])

    def lower_s8(self, op, ctx):
        x, h, c, y = op.inputs[INPUT], op.inputs[HIDDEN], op.inputs[CELL], op.outputs[0]
        d = lstm_dims(op)
        ib, rb, im, ish, rm, rsh = [], [], [], [], [], []
        for k in range(4):
            w, r, b = op.inputs[GATE_WEIGHTS[k]], op.inputs[GATE_RECURRENT[k]], op.inputs[GATE_BIAS[k]]
            ib.append(_wrap(b.data.astype(np.int64) - x.quant.zp * w.data.astype(np.int64).sum(1)))
            rb.append(_wrap(-h.quant.zp * r.data.astype(np.int64).sum(1)))
            m, s = _fc_multiplier(x.quant.s, w.quant.s)
            im.append(m), ish.append(s)
            m, s = _fc_multiplier(h.quant.s, r.quant.s)
            rm.append(m), rsh.append(s)
        iw = interleave_gates([op.inputs[i].data for i in GATE_WEIGHTS])
        rw = interleave_gates([op.inputs[i].data for i in GATE_RECURRENT])
        fm, fs, um, us, hm, hs, qclip, tanh_mult, tanh_shift = _cell_params(op)
        fields = [(k, d[k]) for k in ("time_steps", "batches", "input_size", "units", "time_major")] + [
            ("input_weights", ctx.const("w", iw, "int32_t")), ("recurrent_weights", ctx.const("r", rw, "int32_t")),
            ("input_bias", ctx.const("bi", np.stack(ib, axis=1).ravel(), "int32_t")),
            ("recurrent_bias", ctx.const("br", np.stack(rb, axis=1).ravel(), "int32_t")),
            ("input_mult", im), ("input_shift", ish), ("recurrent_mult", rm), ("recurrent_shift", rsh),
            ("cell_gate_tanh", int(op.options.get("fused_activation_function") == "TANH")),
            ("forget_mult", fm), ("forget_shift", fs), ("update_mult", um), ("update_shift", us),
            ("hidden_mult", hm), ("hidden_shift", hs), ("hidden_zero_point", h.quant.zp),
            ("cell_clip", qclip), ("cell_tanh_mult", tanh_mult), ("cell_tanh_shift", tanh_shift),
            ("sigmoid_table", ctx.const("sigmoid", sigmoid_table(), "uint16_t")),
        ]
        rq = [exact_requant(m, sh) for m, sh in zip(im + rm + [fm, um], ish + rsh + [fs, us])]
        rq.append(exact_requant(hm, hs, h.quant.zp))
        exact = all(q is not None for q in rq)
        fields += [("exact_requant", int(exact)), ("rq", [q if exact else NO_RQ for q in rq])]
        return Layer(op, function="lstm_s8", struct="lstm_params_t", fields=fields,
                     args=[ctx.ptr(x), ctx.ptr(h), ctx.ptr(c), ctx.ptr(y)], sources=("recurrent/mcu_lstm_s8.c",))

    def lower_f32(self, op, ctx):
        """Float weights with the four gates side by side per unit and column ([units][n][4], one pass of
        the kernel reads all four), biases as in the model, the cell clip as a float."""
        x, h, c, y = op.inputs[INPUT], op.inputs[HIDDEN], op.inputs[CELL], op.outputs[0]
        d = lstm_dims(op)
        fields = [(k, d[k]) for k in ("time_steps", "batches", "input_size", "units", "time_major")] + [
            ("input_weights", ctx.const("w", gates_side_by_side(op, GATE_WEIGHTS), "float")),
            ("recurrent_weights", ctx.const("r", gates_side_by_side(op, GATE_RECURRENT), "float")),
            ("bias", [ctx.const(f"b{k}", op.inputs[i].data, "float") for k, i in enumerate(GATE_BIAS)]),
            ("cell_gate_tanh", int(op.options.get("fused_activation_function") == "TANH")),
            ("cell_clip", float(np.float32(op.options.get("cell_clip", 0.0)))),
        ]
        return Layer(op, function="lstm_f32", struct="lstm_f32_params_t", fields=fields,
                     args=[ctx.ptr(x), ctx.ptr(h), ctx.ptr(c), ctx.ptr(y)], sources=("recurrent/mcu_lstm_f32.c",))

    def lower_s16(self, op, ctx):
        """16x8: per-gate int8 weights and int64 biases as in the model, the gate multipliers reduced to 16 bits
        for TFLM's int64 requantization; cell and hidden arithmetic as in int8."""
        x, h, c, y = op.inputs[INPUT], op.inputs[HIDDEN], op.inputs[CELL], op.outputs[0]
        d = lstm_dims(op)
        im, ish, rm, rsh = [], [], [], []
        for k in range(4):
            w, r = op.inputs[GATE_WEIGHTS[k]], op.inputs[GATE_RECURRENT[k]]
            m, sh = _fc_multiplier(x.quant.s, w.quant.s)
            im.append(reduce_multiplier_16(m)), ish.append(sh)
            m, sh = _fc_multiplier(h.quant.s, r.quant.s)
            rm.append(reduce_multiplier_16(m)), rsh.append(sh)
        fm, fs, um, us, hm, hs, qclip, tanh_mult, tanh_shift = _cell_params(op)
        fields = [(k, d[k]) for k in ("time_steps", "batches", "input_size", "units", "time_major")] + [
            ("input_weights", [ctx.const(f"w{k}", op.inputs[i].data, "int8_t") for k, i in enumerate(GATE_WEIGHTS)]),
            ("recurrent_weights", [ctx.const(f"r{k}", op.inputs[i].data, "int8_t")
                                   for k, i in enumerate(GATE_RECURRENT)]),
            ("input_bias", [ctx.const(f"b{k}", op.inputs[i].data.astype(np.int64), "int64_t")
                            for k, i in enumerate(GATE_BIAS)]),
            ("input_mult", im), ("input_shift", ish), ("recurrent_mult", rm), ("recurrent_shift", rsh),
            ("cell_gate_tanh", int(op.options.get("fused_activation_function") == "TANH")),
            ("forget_mult", fm), ("forget_shift", fs), ("update_mult", um), ("update_shift", us),
            ("hidden_mult", hm), ("hidden_shift", hs), ("hidden_zero_point", h.quant.zp),
            ("cell_clip", qclip), ("cell_tanh_mult", tanh_mult), ("cell_tanh_shift", tanh_shift),
            ("sigmoid_table", ctx.const("sigmoid", sigmoid_table(), "uint16_t")),
        ]
        return Layer(op, function="lstm_s16", struct="lstm_s16_params_t", fields=fields,
                     args=[ctx.ptr(x), ctx.ptr(h), ctx.ptr(c), ctx.ptr(y)], sources=("recurrent/mcu_lstm_s8.c",))


# ---- hybrid (scheme hybrid): LiteRT's EvalHybrid / LstmStepHybrid (mcu_lstm_hybrid.c) -------------------
HYBRID_ACTS = {"TANH": 0, "RELU": 1, "RELU6": 2, "RELU_N1_TO_1": 3}  # MCU_HYACT_* in mcu_recurrent_hybrid.h
PEEPHOLE = (9, 10, 11)      # cell to input, forget, output
PROJECTION, PROJECTION_BIAS = 16, 17
LAYER_NORM = (20, 21, 22, 23)


def pad_rows(w: np.ndarray) -> np.ndarray:
    """int8 [rows, cols] with each row zero-filled to a multiple of 4 columns (MCU_RHY_STRIDE), flattened."""
    w = np.asarray(w, np.int8).reshape(-1, w.shape[-1])
    out = np.zeros((w.shape[0], -(-w.shape[1] // 4) * 4), np.int8)
    out[:, :w.shape[1]] = w
    return out.reshape(-1)


def hybrid_dims(op) -> dict:
    """Dimensions of a hybrid LSTM: units from the forget-gate weights, output_size from the recurrent
    weights (the projection's size when there is one)."""
    x = op.inputs[INPUT]
    tm = bool(op.options.get("time_major", False))
    w, r = op.inputs[2], op.inputs[6]
    return {"time_steps": int(x.shape[0 if tm else 1]), "batches": int(x.shape[1 if tm else 0]),
            "input_size": int(x.shape[-1]), "units": int(w.shape[0]), "output_size": int(r.shape[-1]),
            "time_major": int(tm)}


def _hybrid_rules():
    from .hybrid import weight_scales  # noqa: F401 (the shared hybrid helpers; LSTM needs one scale)

    cls = UnidirectionalSequenceLstm

    def rule_hybrid_variants(self, op):
        """Hybrid: CIFG (no input gate: inputs 1, 5, 9, 12 and 20 all absent) or all four gates; peephole
        weights all present (i, f, o; f, o with CIFG) or all absent; projection bias only with projection
        weights; layer-norm coefficients for every gate or none (LiteRT's Prepare checks these)."""
        if self.scheme(op) != "hybrid" or len(op.inputs) != 24:
            return None
        ins = op.inputs
        cifg = ins[1] is None
        if cifg and any(ins[i] is not None for i in (5, 9, 12, 20)):
            return "no input-gate weights (CIFG) but other input-gate tensors present"
        if not cifg and any(ins[i] is None for i in (5, 12)):
            return "input-gate weights without recurrent input-gate weights or bias"
        peep = [ins[i] is not None for i in PEEPHOLE[1 if cifg else 0:]]
        if any(peep) and not all(peep):
            return "only some peephole weights are present"
        if ins[PROJECTION] is None and ins[PROJECTION_BIAS] is not None:
            return "projection bias without projection weights"
        ln = [ins[i] is not None for i in LAYER_NORM[1 if cifg else 0:]]
        if any(ln) and not all(ln):
            return "only some layer-norm coefficients are present"
        return None

    def rule_hybrid_shapes(self, op):
        """Hybrid: input and output 3-D; gate weights [units, input_size], recurrent weights
        [units, output_size], biases, peephole and layer-norm vectors [units], projection [output_size, units]
        and its bias [output_size]; states of batch x output_size and batch x units values; output
        [.., .., output_size] (output_size = units without projection)."""
        if self.scheme(op) != "hybrid" or len(op.inputs) != 24:
            return None
        x, y = op.inputs[INPUT], op.outputs[0]
        if len(x.shape) != 3 or len(y.shape) != 3:
            return "input and output must be 3-D"
        d = hybrid_dims(op)
        s, n, no = d["units"], d["input_size"], d["output_size"]
        want = {i: (s, n) for i in GATE_WEIGHTS}
        want.update({i: (s, no) for i in GATE_RECURRENT})
        want.update({i: (s,) for i in GATE_BIAS + PEEPHOLE + LAYER_NORM})
        want.update({PROJECTION: (no, s), PROJECTION_BIAS: (no,)})
        for i, shape in want.items():
            t = op.inputs[i]
            if t is not None and tuple(t.shape) != shape:
                return f"input {i} shape {tuple(t.shape)}, needs {shape}"
        if op.inputs[PROJECTION] is None and no != s:
            return f"recurrent weights have {no} columns for {s} units without projection"
        for i, size in ((HIDDEN, no), (CELL, s)):
            if op.inputs[i].size != d["batches"] * size:
                return f"state {i} has {op.inputs[i].size} values, needs {d['batches'] * size}"
        if tuple(y.shape) != (x.shape[0], x.shape[1], no):
            return f"output shape {tuple(y.shape)}, needs {(x.shape[0], x.shape[1], no)}"
        return None

    def rule_hybrid_weights(self, op):
        """Hybrid: every int8 weight tensor has one finite scale and zero point 0. LiteRT's hybrid LSTM reads
        only the legacy per-tensor scale: with per-channel weights it reads scale 0 and the weights contribute
        nothing (measured), so mcugen refuses them."""
        if self.scheme(op) != "hybrid":
            return None
        for i in GATE_WEIGHTS + GATE_RECURRENT + PEEPHOLE + (PROJECTION,):
            t = op.inputs[i] if i < len(op.inputs) else None
            if t is None:
                continue
            q = t.quant
            if q is None or q.scale.size == 0:
                return f"hybrid weights {i} ('{t.name}') have no quantization parameters"
            if q.scale.size != 1:
                return (f"hybrid weights {i} ('{t.name}') are quantized per channel; LiteRT's hybrid LSTM uses "
                        "one scale per tensor (it reads scale 0 for these)")
            if not np.all(np.isfinite(q.scale)) or np.any(q.zero_point != 0):
                return f"hybrid weights {i} ('{t.name}') need a finite scale and zero point 0"
        return None

    def rule_hybrid_constants(self, op):
        """Hybrid: peephole, projection and layer-norm tensors are constant."""
        if self.scheme(op) != "hybrid":
            return None
        for i in PEEPHOLE + (PROJECTION, PROJECTION_BIAS) + LAYER_NORM:
            t = op.inputs[i] if i < len(op.inputs) else None
            if t is not None and not t.is_const:
                return f"input {i} ('{t.name}') is not constant"
        return None

    def _hybrid_options(self, op):
        """Hybrid: the activation is TANH, RELU, RELU6 or RELU_N1_TO_1, the clips are >= 0 and the recurrent
        weights are matrices (diagonal_recurrent_tensors is not supported)."""
        if op.options.get("diagonal_recurrent_tensors", False):
            return "diagonal_recurrent_tensors is not supported"
        act = op.options.get("fused_activation_function", "NONE")
        if act not in HYBRID_ACTS:
            return (f"activation {act}: the hybrid LSTM runs {', '.join(HYBRID_ACTS)} (LiteRT leaves the cell "
                    "output unwritten with NONE)")
        for k in ("cell_clip", "proj_clip"):
            if float(op.options.get(k, 0.0)) < 0:
                return f"{k} is negative"
        return None

    def scratch_bytes(self, op, features=frozenset()):
        """Hybrid: the quantized input, output-state and cell-output rows (each rounded up to 4 bytes) and five
        float rows of units (the four gates and the cell output)."""
        if self.scheme(op) != "hybrid":
            return 0
        d = hybrid_dims(op)
        a4 = lambda n: -(-n // 4) * 4  # noqa: E731
        return a4(d["input_size"]) + a4(d["output_size"]) + a4(d["units"]) + 5 * 4 * d["units"]

    def lower_hybrid(self, op, ctx):
        """Weights as in the model (int8, row-major, rows zero-filled to a multiple of 4), one float scale each,
        row sums for the asymmetric zero point, peephole weights dequantized at build time (w * scale in float32, as LiteRT does at run
        time), float biases, layer-norm coefficients and projection bias as in the model."""
        ins = op.inputs
        x, h, c, y = ins[INPUT], ins[HIDDEN], ins[CELL], op.outputs[0]
        d = hybrid_dims(op)
        asym = int(bool(op.options.get("asymmetric_quantize_inputs", False)))
        scale = lambda t: float(np.float32(t.quant.scale.reshape(-1)[0]))  # noqa: E731
        const8 = lambda hint, t: "NULL" if t is None else ctx.const(hint, pad_rows(t.data), "int8_t")  # noqa: E731
        def constf(hint, t):
            return "NULL" if t is None else ctx.const(hint, np.asarray(t.data, np.float32), "float")

        def sums(hint, t):
            if t is None or not asym:
                return "NULL"
            return ctx.const(hint, t.data.astype(np.int64).sum(axis=1).astype(np.int32), "int32_t")

        def peep(k, i):
            t = ins[i]
            if t is None:
                return "NULL"
            return ctx.const(f"peep{k}", (t.data.astype(np.float32) * np.float32(scale(t))).astype(np.float32),
                             "float")

        proj = ins[PROJECTION]
        fields = [(k, d[k]) for k in ("time_steps", "batches", "input_size", "units", "output_size",
                                      "time_major")] + [
            ("asymmetric", asym), ("activation", HYBRID_ACTS[op.options.get("fused_activation_function")]),
            ("cell_clip", float(np.float32(op.options.get("cell_clip", 0.0)))),
            ("proj_clip", float(np.float32(op.options.get("proj_clip", 0.0)))),
            ("input_weights", [const8(f"w{k}", ins[i]) for k, i in enumerate(GATE_WEIGHTS)]),
            ("recurrent_weights", [const8(f"r{k}", ins[i]) for k, i in enumerate(GATE_RECURRENT)]),
            ("input_scale", [scale(ins[i]) if ins[i] is not None else 0.0 for i in GATE_WEIGHTS]),
            ("recurrent_scale", [scale(ins[i]) if ins[i] is not None else 0.0 for i in GATE_RECURRENT]),
            ("input_row_sums", [sums(f"ws{k}", ins[i]) for k, i in enumerate(GATE_WEIGHTS)]),
            ("recurrent_row_sums", [sums(f"rs{k}", ins[i]) for k, i in enumerate(GATE_RECURRENT)]),
            ("bias", [constf(f"b{k}", ins[i]) for k, i in enumerate(GATE_BIAS)]),
            ("peephole", [peep(k, i) for k, i in enumerate(PEEPHOLE)]),
            ("layer_norm", [constf(f"ln{k}", ins[i]) for k, i in enumerate(LAYER_NORM)]),
            ("projection_weights", const8("proj", proj)),
            ("projection_scale", scale(proj) if proj is not None else 0.0),
            ("projection_row_sums", sums("projs", proj)),
            ("projection_bias", constf("projb", ins[PROJECTION_BIAS])),
        ]
        return Layer(op, function="lstm_hybrid", struct="lstm_hybrid_params_t", fields=fields,
                     args=[ctx.ptr(x), ctx.ptr(h), ctx.ptr(c), ctx.ptr(y),
                           ctx.scratch(self.scratch_bytes(op, ctx.features), "uint8_t")],
                     sources=("recurrent/mcu_lstm_hybrid.c",))

    for f in (rule_hybrid_variants, rule_hybrid_shapes, rule_hybrid_weights, rule_hybrid_constants,
              _hybrid_options, scratch_bytes, lower_hybrid):
        setattr(cls, f.__name__, f)


_hybrid_rules()
