"""Static quantization of UNIDIRECTIONAL_SEQUENCE_LSTM: the int8 LSTM the TFLite converter writes (issue 12).

What TFLM's integer LSTM (lstm_eval.cc, unidirectional_sequence_lstm.cc) needs, and what the converter's
quantizer (operator_property.cc, MLIR prepare_quantize_helper.h) writes for the standard LSTM (four gates,
no peephole, projection or layer norm):
- input (0) and output (0): int8 activations, asymmetric, as any other activation;
- the hidden state (input 18, a variable tensor) shares the output's quantization (the converter's
  restrict_scale {18, 0}: the kernel writes each new hidden row into the output and reads it back as the
  next step's recurrent input, without rescaling); the hidden state holds the output's values (and the
  zero initial state), so it carries the output's statistics and every calibrator sees the pair as one;
- the eight weight matrices (inputs 1-8): int8 symmetric in [-127, 127], ONE scale per tensor (TFLM reads
  params.scale: per-channel scales are not used), max |w| / 127;
- the four gate biases (12-15): int32, scale float32(input scale x that gate's input-weight scale) (the
  kernel adds them to the input FC's accumulator, before the Q3.12 requantization); a weight scale is
  widened where a bias would not fit int32;
- the cell state (input 19, variable): int16 symmetric with a power-of-two scale 2^ceil(log2(max |c|)) /
  32768 (the converter's extend_to_power_of_two; TFLM takes log2 of it for the cell tanh);
- the intermediates: five tensors as the converter writes them: four float32 [0] placeholders for the gate
  outputs (without layer norm the kernel fixes them at Q3.12 and ignores them) and the
  effective_hidden_scale intermediate, int8 [0] with the output's quantization (desktop LiteRT's integer
  LSTM writes the hidden state with its scale and zero point; TFLM ignores it).

Calibration: LiteRT does not expose the cell state at every time step (the variable tensor holds only the
last one), so the cell range comes from a float LSTM in numpy (float_lstm: the float weights, the LSTM's
calibration inputs, every step of every sample from the zero state; min/max, as the converter, since the
power of two rounds it up anyway), checked against LiteRT's output in the tests to 1e-5. Each calibration sample is one independent sequence: the state starts at zero for every
sample (statistics.collect resets LiteRT's variables between samples for models with state, the same).

16x8 (an int16 LSTM node): int16 input, hidden and output (symmetric, zero point 0), int8 weights, int64
biases: TFLM's 16x8 integer LSTM (the converter does not make this one: its LSTM property has
quantizable_int16 = false).

The gate pre-activations are not calibrated: without layer norm TFLM fixes them at Q3.12 (+-8, saturating;
sigmoid(8) = 0.99966) whatever the intermediates say, as the converter leaves them.

Measured (tests/quantize/test_quantize_lstm.py): float/trained_lstm on 500 held-out sklearn digits upscaled
to 28x28 (160 calibration digits, minmax): output SQNR 33.6 dB, top-1 agreement with float 0.992; the
converter's trained_lstm_int8 on the same inputs 32.2 dB, 0.988; the LSTM layer alone 36.00 dB (converter
35.98 dB). Bit-exact with TFLM on the host and under QEMU (cortex-m0/m3/m4/m7/m33/m55 for single LSTMs,
cortex-m4 for trained_lstm).

Not supported (refused with the node named): CIFG (no input gate), peephole, projection, layer norm, a
cell-gate activation other than TANH, state tensors that are not variable, non-constant weights.
"""
from __future__ import annotations

import numpy as np

from ..ir import Operator, Quant, Tensor
from ..quant import type_range

OP = "UNIDIRECTIONAL_SEQUENCE_LSTM"
INPUT, HIDDEN, CELL = 0, 18, 19
GATE_WEIGHTS = (1, 2, 3, 4)  # input, forget, cell, output gate: input-to-gate weights
GATE_RECURRENT = (5, 6, 7, 8)
GATE_BIAS = (12, 13, 14, 15)
VARIANTS = {"peephole": (9, 10, 11), "projection": (16, 17), "layer norm": (20, 21, 22, 23)}
PARAMS = GATE_WEIGHTS + GATE_RECURRENT + GATE_BIAS + (CELL,)  # not int8 activations
WEIGHT_MAX = 127
INTERMEDIATES = ("input_to_input_intermediate", "input_to_forget_intermediate", "input_to_cell_intermediate",
                 "input_to_output_intermediate", "effective_hidden_scale_intermediate")
BIAS_TYPE = {"int8": "int32", "int16": "int64"}


def problems(op: Operator) -> list[str]:
    """Why the quantizer cannot quantize this float LSTM (empty: it can). The supported form is TFLM's
    integer LSTM: 24 inputs, all four gates (no CIFG), no peephole, projection or layer norm, TANH as the
    cell-gate activation, constant float32 weights and biases, variable float32 hidden and cell states."""
    if len(op.inputs) != 24:
        return [f"{len(op.inputs)} inputs; the integer LSTM needs 24"]
    out = []
    absent = [i for i in GATE_WEIGHTS + GATE_RECURRENT + GATE_BIAS if op.inputs[i] is None]
    if absent:
        out.append(f"inputs {absent} are absent (CIFG or missing gates): the integer LSTM needs all four gates")
    for name, idx in VARIANTS.items():
        if any(op.inputs[i] is not None for i in idx):
            out.append(f"{name} tensors are present (inputs {list(idx)}): TFLM's integer LSTM has no {name}")
    act = op.options.get("fused_activation_function", "NONE")
    if act != "TANH":
        out.append(f"cell-gate activation {act}: TFLM's integer LSTM runs only TANH")
    if float(op.options.get("cell_clip", 0.0)) < 0:
        out.append("cell_clip is negative")
    for i in GATE_WEIGHTS + GATE_RECURRENT + GATE_BIAS:
        t = op.inputs[i]
        if t is not None and (not t.is_const or t.dtype != "float32"):
            out.append(f"input {i} ('{t.name}') is not a constant float32 tensor")
    for i, what in ((HIDDEN, "hidden"), (CELL, "cell")):
        t = op.inputs[i]
        if t is None or not t.is_variable or t.dtype != "float32":
            out.append(f"the {what} state (input {i}) is {'absent' if t is None else 'not a variable float32 tensor'}")
    x, y = op.inputs[INPUT], op.outputs[0]
    if x is None or len(x.shape) != 3 or len(y.shape) != 3:
        out.append("input and output must be 3-D")
    return out


def param_ids(op: Operator) -> set[int]:
    """id() of the tensors this LSTM quantizes itself (weights, biases, cell state): not int8 activations."""
    return {id(op.inputs[i]) for i in PARAMS if i < len(op.inputs) and op.inputs[i] is not None}


def tied_pairs(op: Operator) -> list[tuple[Tensor, Tensor]]:
    """Tensors that must share one quantization: the hidden state and the output."""
    h = op.inputs[HIDDEN] if len(op.inputs) > HIDDEN else None
    return [(h, op.outputs[0])] if h is not None else []


# ---------------------------------------------------------------- the float LSTM (calibration of the states)

def _sigmoid(v):
    return 1.0 / (1.0 + np.exp(-v))


def float_lstm(op: Operator, x: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The float LSTM over N independent samples x (N, *input shape), each from the zero state, in float64:
    (outputs (N, *output shape), cell states (N, steps, batch, units), gate pre-activations (N, steps, 4,
    batch, units)) - TFLite's standard LSTM: i, f, o = sigmoid, g = tanh of W x + R h + b, c = f c + i g
    (clipped to +-cell_clip when it is > 0), h = o tanh(c)."""
    w = [np.asarray(op.inputs[i].data, np.float64) for i in GATE_WEIGHTS]
    r = [np.asarray(op.inputs[i].data, np.float64) for i in GATE_RECURRENT]
    b = [np.asarray(op.inputs[i].data, np.float64) for i in GATE_BIAS]
    tm = bool(op.options.get("time_major", False))
    clip = float(np.float32(op.options.get("cell_clip", 0.0)))
    x = np.asarray(x, np.float64).reshape((-1, *op.inputs[INPUT].shape))
    seq = x if tm else np.swapaxes(x, 1, 2)  # (N, steps, batch, features)
    n, steps, batch, _ = seq.shape
    units = w[0].shape[0]
    h = np.zeros((n, batch, units))
    c = np.zeros((n, batch, units))
    hs, cs, gs = [], [], []
    for t in range(steps):
        pre = [seq[:, t] @ w[k].T + h @ r[k].T + b[k] for k in range(4)]
        i, f, g, o = _sigmoid(pre[0]), _sigmoid(pre[1]), np.tanh(pre[2]), _sigmoid(pre[3])
        c = f * c + i * g
        if clip > 0:
            c = np.clip(c, -clip, clip)
        h = o * np.tanh(c)
        hs.append(h), cs.append(c), gs.append(np.stack(pre, 1))
    y = np.stack(hs, 1)  # (N, steps, batch, units)
    y = y if tm else np.swapaxes(y, 1, 2)
    return y.reshape((n, *op.outputs[0].shape)), np.stack(cs, 1), np.stack(gs, 1)


def state_stats(graph, model: bytes, arrays: list[np.ndarray], keep=frozenset(), stats=None) -> dict:
    """TensorStats of the hidden and cell state of every LSTM to quantize, by flatbuffer tensor index. The
    cell state: min/max of float_lstm on the calibration samples (the LSTM's input values from LiteRT when it
    is not a model input), every step, with the zero initial state. The hidden state holds the output's
    values (and the zero initial state): it gets the output's statistics from `stats` (LiteRT's, with their
    histograms, so every calibrator treats the tied pair as the output alone), or float_lstm's min/max."""
    from .statistics import TensorStats, collect_values
    lstms = [op for op in graph.operators if op.op == OP and op.index not in keep and not problems(op)]
    if not lstms:
        return {}
    by_input = {id(t): x for t, x in zip(graph.inputs, arrays)}
    need = [op.inputs[INPUT].index for op in lstms if id(op.inputs[INPUT]) not in by_input]
    values = collect_values(model, need, arrays, reset_state=True) if need else {}
    out = {}
    for op in lstms:
        x = by_input.get(id(op.inputs[INPUT]))
        if x is None:
            x = values[op.inputs[INPUT].index]
        y, c, _ = float_lstm(op, x)
        n = int(np.asarray(x).shape[0])
        for t, v in ((op.inputs[HIDDEN], y), (op.inputs[CELL], c)):
            out[t.index] = TensorStats(min(float(v.min()), 0.0), max(float(v.max()), 0.0), n)
        seen = (stats or {}).get(op.outputs[0].index)
        if seen is not None:
            out[op.inputs[HIDDEN].index] = seen
    return out


# ---------------------------------------------------------------- the rewrite

def cell_quant(lo: float, hi: float) -> Quant:
    """int16 symmetric, scale 2^ceil(log2(max |c|)) / 32768 (the converter's power-of-two cell scale);
    a cell that stays 0 gets 2^-15."""
    m = max(abs(float(lo)), abs(float(hi)))
    pot = int(np.ceil(np.log2(m))) if m > 0 else 0
    return Quant(np.array([2.0 ** pot / 32768.0], np.float32), np.array([0], np.int64))


def _per_tensor_weights(t: Tensor, floor: float = 0.0) -> float:
    w = np.asarray(t.data, np.float64)
    s = float(np.abs(w).max()) / WEIGHT_MAX if w.size else 0.0
    s = float(np.float32(max(s, floor) if s > 0 or floor > 0 else 1.0))
    t.data = np.clip(np.round(w / s), -WEIGHT_MAX, WEIGHT_MAX).astype(np.int8)
    t.dtype = "int8"
    t.quant = Quant(np.array([s], np.float32), np.array([0], np.int64))
    return s


def quantize_params(g, op: Operator, ranges: dict, act: str = "int8") -> None:
    """Quantize the LSTM's weights, biases and cell state in place (its input, hidden state and output are
    activations, already quantized by rewrite, which refused the forms problems() names) and give it the converter's five intermediates. `ranges`:
    id(tensor) -> real range (the cell state's must be there). act: the node's activation type."""
    from ..errors import UnsupportedModelError
    if act not in BIAS_TYPE:
        raise UnsupportedModelError(f"node {op.index} {OP}: no integer LSTM with {act} activations")
    x, h, c = op.inputs[INPUT], op.inputs[HIDDEN], op.inputs[CELL]
    if id(c) not in ranges:
        raise UnsupportedModelError(f"node {op.index} {OP}: the cell state '{c.name}' was not calibrated")
    bias_type = BIAS_TYPE[act]
    bias_max = float(min(type_range(bias_type)[1], 2 ** 62))
    s_in = np.float32(x.quant.s)
    for k in range(4):
        w, b = op.inputs[GATE_WEIGHTS[k]], op.inputs[GATE_BIAS[k]]
        bf = np.asarray(b.data, np.float64)
        floor = float(np.abs(bf).max() / (float(s_in) * bias_max) * (1 + 1e-6)) if bf.size else 0.0
        ws = _per_tensor_weights(w, floor)  # widened where the bias would not fit its type
        bs = np.float32(s_in * np.float32(ws))
        b.data = np.clip(np.round(bf / np.float64(bs)), -bias_max, bias_max).astype(bias_type)
        b.dtype = bias_type
        b.quant = Quant(np.array([bs], np.float32), np.array([0], np.int64))
        _per_tensor_weights(op.inputs[GATE_RECURRENT[k]])
    c.quant = cell_quant(*ranges[id(c)])
    c.dtype = "int16"
    inter = []
    for name in INTERMEDIATES[:4]:
        inter.append(Tensor(f"{op.outputs[0].name}/{name}", (0,), "float32", index=-1))
    hq = op.outputs[0].quant
    inter.append(Tensor(f"{op.outputs[0].name}/{INTERMEDIATES[4]}", (0,), op.outputs[0].dtype,
                        quant=Quant(hq.scale.copy(), hq.zero_point.copy()), index=-1))
    g.tensors.extend(inter)
    op.intermediates = inter
