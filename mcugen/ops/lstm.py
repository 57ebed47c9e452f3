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
word serves all four gates; `fast_requant` marks layers whose every rounding
can take the short form (_fast_requant_ok). 16x8 (scheme s16, lower_s16): int16
input/hidden/output with zero points 0, int64 biases, gate sums requantized by
TFLM's int64 MultiplyByQuantizedMultiplier (16-bit multiplier); TFLM accepts an
int32 bias there but reads it as int64 (garbage), so the signature asks for
int64. float32 (lower_f32, mcu_lstm_f32.c): TFLM's float LSTM, bit-identical on
the host for every case tested.
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
    """The four gates' [units, n] int8 matrices as the kernel reads them, widened to int16: per unit, per group
    of 4 columns, each gate's 4 weights in the order c0, c2, c1, c3 ([units][ceil(n / 4)][4 gates][4],
    zero-padded columns)."""
    units, n = mats[0].shape
    groups = (n + 3) // 4
    out = np.zeros((units, groups, 4, 4), np.int16)
    for k, m in enumerate(mats):
        padded = np.zeros((units, groups * 4), np.int16)
        padded[:, :n] = m
        out[:, :, k, :] = padded.reshape(units, groups, 4)[:, :, GROUP_ORDER]
    return out.ravel()


def _fast_requant_ok(op, gate_mults, gate_shifts, gate_biases, cell_mults, cell_shifts) -> bool:
    """Whether the kernel's short rounding (mcu_lstm_rq_fast) is exact for every sum: every shift is -e <= -1
    and v = SRDHM(acc, M) + 2^(e-1) + 1 stays below 2^31 for the largest |acc| each stage can make (gate sums:
    |bias| + 128 * sum |w| per row; cell and hidden products of two Q0.15 values: 2^30)."""
    weights = [op.inputs[i].data for i in GATE_WEIGHTS + GATE_RECURRENT]
    stages = [(m, sh, np.abs(b.astype(np.int64)) + 128 * np.abs(w.astype(np.int64)).sum(axis=1))
              for m, sh, b, w in zip(gate_mults, gate_shifts, gate_biases, weights)]
    stages += [(m, sh, np.array([1 << 30])) for m, sh in zip(cell_mults, cell_shifts)]
    for m, sh, bound in stages:
        e = -int(sh)
        if e < 1 or e > 31:
            return False
        v = (int(bound.max(initial=0)) * int(m) >> 31) + 1
        if v + (1 << (e - 1)) + 1 >= 1 << 31:
            return False
    return True


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


def _wrap(v: np.ndarray) -> np.ndarray:
    return ((v + (1 << 31)) % (1 << 32)) - (1 << 31)


@register
class UnidirectionalSequenceLstm(OpHandler):
    ops = ("UNIDIRECTIONAL_SEQUENCE_LSTM",)
    signatures = (
        Sig("s8", (I8,) + (I8,) * 8 + (None,) * 3 + (I32,) * 4 + (None, None) + (I8, I16) + (None,) * 4, (I8,)),
        Sig("s16", (I16,) + (I8,) * 8 + (None,) * 3 + (I64,) * 4 + (None, None) + (I16, I16) + (None,) * 4, (I16,)),
        Sig("f32", (F32,) + (F32,) * 8 + (None,) * 3 + (F32,) * 4 + (None, None) + (F32, F32) + (None,) * 4, (F32,)),
    )

    def rule_inputs(self, op):
        """The operator has 24 inputs, as TFLM requires."""
        return None if len(op.inputs) == 24 else f"{len(op.inputs)} inputs, TFLM needs 24"

    def rule_standard_lstm(self, op):
        """The LSTM has all four gates (no CIFG) and no peephole, projection or layer norm: TFLM's kernel
        supports only this form and rejects the others."""
        if len(op.inputs) != 24:
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
        """Input and output are 3-D ([time, batch, *] when time_major, else [batch, time, *]); weights are
        [units, input_size] and [units, units], biases [units]; each state holds batch x units values."""
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
        """Every tensor has one positive scale; weights are symmetric (zero point 0)."""
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
        aborts at run time on any other) and cell_clip >= 0."""
        act = op.options.get("fused_activation_function", "NONE")
        if act != "TANH":
            return f"activation {act}: TFLM's LSTM runs only TANH (it aborts on others)"
        return None if float(op.options.get("cell_clip", 0.0)) >= 0 else "cell_clip is negative"

    def macs(self, op):
        d = lstm_dims(op)
        return d["time_steps"] * self.macs_per_step(op)

    def macs_per_step(self, op) -> int:
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
            ("input_weights", ctx.const("w", iw, "int16_t")), ("recurrent_weights", ctx.const("r", rw, "int16_t")),
            ("input_bias", ctx.const("bi", np.stack(ib, axis=1).ravel(), "int32_t")),
            ("recurrent_bias", ctx.const("br", np.stack(rb, axis=1).ravel(), "int32_t")),
            ("input_mult", im), ("input_shift", ish), ("recurrent_mult", rm), ("recurrent_shift", rsh),
            ("cell_gate_tanh", int(op.options.get("fused_activation_function") == "TANH")),
            ("forget_mult", fm), ("forget_shift", fs), ("update_mult", um), ("update_shift", us),
            ("hidden_mult", hm), ("hidden_shift", hs), ("hidden_zero_point", h.quant.zp),
            ("cell_clip", qclip), ("cell_tanh_mult", tanh_mult), ("cell_tanh_shift", tanh_shift),
            ("sigmoid_table", ctx.const("sigmoid", sigmoid_table(), "uint16_t")),
            ("fast_requant", int(_fast_requant_ok(op, im + rm, ish + rsh, ib + rb, [fm, um, hm], [fs, us, hs]))),
        ]
        return Layer(op, function="lstm_s8", struct="lstm_params_t", fields=fields,
                     args=[ctx.ptr(x), ctx.ptr(h), ctx.ptr(c), ctx.ptr(y)], sources=("recurrent/mcu_lstm_s8.c",))

    def lower_f32(self, op, ctx):
        """Float weights and biases as in the model, the cell clip as a float."""
        x, h, c, y = op.inputs[INPUT], op.inputs[HIDDEN], op.inputs[CELL], op.outputs[0]
        d = lstm_dims(op)
        fields = [(k, d[k]) for k in ("time_steps", "batches", "input_size", "units", "time_major")] + [
            ("input_weights", [ctx.const(f"w{k}", op.inputs[i].data, "float") for k, i in enumerate(GATE_WEIGHTS)]),
            ("recurrent_weights", [ctx.const(f"r{k}", op.inputs[i].data, "float")
                                   for k, i in enumerate(GATE_RECURRENT)]),
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
