"""`mcugen quantize --mode dynamic|weight-only`: weight quantization without calibration data.

dynamic (dynamic range, "hybrid"), as the TFLite converter's `optimizations=[DEFAULT]` without a
representative dataset: the constant weights of FULLY_CONNECTED, CONV_2D and DEPTHWISE_CONV_2D become int8
symmetric (zero point 0, scale max|w| / 127 per output channel: CONV_2D and FULLY_CONNECTED axis 0,
DEPTHWISE_CONV_2D axis 3; `per_tensor`: one scale, which a DEPTHWISE_CONV_2D still carries per channel,
repeated, since LiteRT's hybrid depthwise kernel wants one per channel); activations and biases stay
float32 and the kernels quantize their input at run time. Weight tensors with fewer than `min_weights`
values (default 1,024, the converter's threshold) stay float. FULLY_CONNECTED gets
`asymmetric_quantize_inputs` = `asymmetric_inputs` (default True, as the converter sets it: each input row is
quantized with its own zero point, more accurate for inputs that are not centred on 0); CONV_2D and
DEPTHWISE_CONV_2D have no such option (LiteRT chooses). A CONV_2D or DEPTHWISE_CONV_2D without a bias gets a
zero float bias (LiteRT's hybrid convolution refuses to prepare without one; adding 0.0 changes nothing).

weight-only: the same int8 weights (same scales, same threshold option, default 0: every layer; also the
constant rhs of BATCH_MATMUL, per channel along its output columns), each behind a DEQUANTIZE of the
constant feeding the float layer, which stays float32. mcugen keeps these
weights int8 in flash and its float kernels read them directly (scheme w8,
mcugen/passes/fold_dequantize_weights.py).

Other operators (dynamic: BATCH_MATMUL too; LSTM, SVDF, EMBEDDING_LOOKUP, ...) keep their float weights. No calibration
samples are used: `mcugen quantize` refuses --calibration in these modes (with a message) rather than
ignore data the user expects to matter.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np

from ..errors import UnsupportedModelError, UsageError
from ..frontend import read_model_bytes
from ..frontend.tflite_writer import write_model
from ..ir import Graph, Operator, Quant, Tensor

MODES = ("static", "dynamic", "weight-only")
MIN_WEIGHTS = 1024  # the converter leaves smaller weight tensors in float
#: operator -> axis of its weights along the output channels
WEIGHT_AXIS = {"FULLY_CONNECTED": 0, "CONV_2D": 0, "DEPTHWISE_CONV_2D": 3}


def _round_away(v: np.ndarray) -> np.ndarray:
    """Round half away from zero (std::round, as the converter's SymmetricQuantizeFloats)."""
    return np.sign(v) * np.floor(np.abs(v) + 0.5)


def symmetric_int8(w: np.ndarray, axis: int | None) -> tuple[np.ndarray, np.ndarray]:
    """(int8 values, float32 scales) of float weights: scale = max|w| / 127 per slice along `axis` (None: one
    scale), values round(w / scale) clipped to [-127, 127]; an all-zero slice gets scale 1."""
    wf = np.asarray(w, np.float64)
    if axis is None:
        amax = np.array([np.abs(wf).max(initial=0.0)])
        shape = [1] * wf.ndim
    else:
        amax = np.abs(np.moveaxis(wf, axis, 0).reshape(wf.shape[axis], -1)).max(axis=1, initial=0.0)
        shape = [1] * wf.ndim
        shape[axis] = wf.shape[axis]
    scale = np.where(amax > 0, amax / 127.0, 1.0).astype(np.float32)
    q = _round_away(wf / scale.astype(np.float64).reshape(shape))
    return np.clip(q, -127, 127).astype(np.int8), scale


def _weight_axis(op: Operator) -> int:
    if op.op == "BATCH_MATMUL":  # the rhs: along the output columns
        return len(op.inputs[1].shape) - (2 if op.options.get("adj_y") else 1)
    return WEIGHT_AXIS[op.op]


def _quant_for(op: Operator, w: Tensor, per_tensor: bool) -> tuple[np.ndarray, Quant]:
    axis = _weight_axis(op)
    q, scale = symmetric_int8(w.data, None if per_tensor else axis)
    if per_tensor and op.op == "DEPTHWISE_CONV_2D":
        scale = np.full(w.shape[axis], scale[0], np.float32)  # LiteRT's hybrid depthwise: one per channel
    return q, Quant(scale, np.zeros(scale.size, np.int64), axis if scale.size > 1 else 0)


def _candidates(g: Graph, min_weights: int, mode: str = "dynamic") -> list[Operator]:
    """The float layers with constant float weights of at least `min_weights` values (weight-only: also
    BATCH_MATMUL with a constant rhs)."""
    out = []
    for op in g.operators:
        kinds = WEIGHT_AXIS if mode == "dynamic" else (*WEIGHT_AXIS, "BATCH_MATMUL")
        if op.op not in kinds or len(op.inputs) < 2:
            continue
        x, w = op.inputs[0], op.inputs[1]
        if x is None or w is None or x.dtype != "float32" or w.dtype != "float32" or not w.is_const:
            continue
        if w.size < min_weights or not np.all(np.isfinite(w.data)):
            continue
        out.append(op)
    return out


def _zero_bias(g: Graph, op: Operator) -> None:
    oc = op.outputs[0].shape[-1]
    b = Tensor(f"{op.outputs[0].name}_zero_bias", (oc,), "float32", data=np.zeros(oc, np.float32))
    g.tensors.append(b)
    while len(op.inputs) < 3:
        op.inputs.append(None)
    op.inputs[2] = b


def quantize_weights_graph(g: Graph, mode: str = "dynamic", per_tensor: bool = False,
                           min_weights: int | None = None, asymmetric_inputs: bool = True) -> list[Operator]:
    """Rewrite `g` in place (see the module docstring); returns the layers whose weights became int8."""
    if mode not in ("dynamic", "weight-only"):
        raise UsageError(f"mode {mode!r}: expected dynamic or weight-only")
    if min_weights is None:
        min_weights = MIN_WEIGHTS if mode == "dynamic" else 0
    ops = _candidates(g, min_weights, mode)
    users: dict[int, list[Operator]] = {}
    for op in g.operators:
        for t in op.inputs:
            if t is not None:
                users.setdefault(id(t), []).append(op)
    done: dict[int, Tensor] = {}  # float weight tensor -> its int8 twin (weight-only: shared DEQUANTIZE)
    dequantize: list[Operator] = []
    for op in ops:
        w = op.inputs[1]
        if mode == "dynamic":
            q, quant = _quant_for(op, w, per_tensor)
            if sum(1 for u in users.get(id(w), []) for t in u.inputs if t is w) > 1:
                w = Tensor(f"{w.name}_int8_{len(g.tensors)}", w.shape, "float32", data=w.data)
                g.tensors.append(w)
                op.inputs[1] = w
            w.data, w.dtype, w.quant = q, "int8", quant
            if op.op != "FULLY_CONNECTED" and (len(op.inputs) < 3 or op.inputs[2] is None):
                _zero_bias(g, op)
            if op.op == "FULLY_CONNECTED":
                op.options["asymmetric_quantize_inputs"] = bool(asymmetric_inputs)
            continue
        if id(w) in done:
            continue
        q, quant = _quant_for(op, w, per_tensor)
        qt = Tensor(f"{w.name}_int8", w.shape, "int8", quant=quant, data=q)
        g.tensors.append(qt)
        w.data = None  # now the DEQUANTIZE's float output
        done[id(w)] = qt
        dequantize.append(Operator("DEQUANTIZE", [qt], [w], {}, index=-1))
    if dequantize:
        g.operators[:0] = dequantize
    for k, op in enumerate(g.operators):
        op.index = k
    return ops


def quantize_dynamic(model, mode: str = "dynamic", *, per_tensor: bool = False, min_weights: int | None = None,
                     asymmetric_inputs: bool = True, output=None):
    """Quantize the weights of a float model (path or bytes) without calibration data; returns a
    QuantizeResult (`.model` the bytes, `.graph` as read back). Writes `output` if given."""
    from . import QuantizeResult, load_float_model
    g, _, where = load_float_model(model)
    if min_weights is not None and min_weights < 0:
        raise UsageError(f"--min-weights {min_weights}: expected a count >= 0")
    changed = quantize_weights_graph(g, mode, per_tensor, min_weights, asymmetric_inputs)
    if not changed:
        raise UnsupportedModelError(
            f"{where}: no FULLY_CONNECTED, CONV_2D or DEPTHWISE_CONV_2D with float32 constant weights of at least "
            f"{MIN_WEIGHTS if min_weights is None and mode == 'dynamic' else min_weights or 0} values: nothing to "
            "quantize (see --min-weights).")
    data = write_model(g)
    back = validate_weights_model(data)
    if output is not None:
        Path(output).write_bytes(data)
    return QuantizeResult(model=data, graph=back, samples=0)


def validate_weights_model(data: bytes) -> Graph:
    """The written model reads back and, after mcugen's passes, breaks no support rule."""
    from ..errors import InternalError, McugenError
    from ..passes import run_passes
    from ..support import problems
    try:
        g = read_model_bytes(data, "the quantized model")
        compiled = read_model_bytes(data, "the quantized model")
    except McugenError as e:
        raise InternalError(f"the quantized model does not read back: {e.message}") from None
    run_passes(compiled)
    found = problems(compiled)
    if found:
        lines = "\n".join(f"  node {i}: {op}: {why}" for i, op, why in found)
        raise UnsupportedModelError(f"the quantized model was made, but {len(found)} of its operators break "
                                    f"mcugen's support rules, so it could not be compiled:\n{lines}")
    return g


def cli_quantize_dynamic(model, out, mode, calibration, eval_files, per_tensor, min_weights, symmetric_inputs,
                         bias_correction: bool = False) -> None:
    """`mcugen quantize --mode dynamic|weight-only`: refuses the calibration-only options, writes OUT, prints
    one line per mode and the layers changed."""
    import click
    if calibration or eval_files or bias_correction:
        given = [n for n, v in (("--calibration", calibration), ("--eval", eval_files),
                                ("--bias-correction", bias_correction)) if v]
        raise UsageError(f"--mode {mode} quantizes the weights only and uses no samples: remove "
                         f"{', '.join(given)} (or use --mode static)")
    r = quantize_dynamic(model, mode, per_tensor=per_tensor, min_weights=min_weights,
                         asymmetric_inputs=not symmetric_inputs, output=out)
    g = r.graph
    layers = [op for op in g.operators if op.op in WEIGHT_AXIS and len(op.inputs) > 1 and op.inputs[1] is not None
              and (op.inputs[1].dtype == "int8" or not op.inputs[1].is_const)]
    kept = [op for op in g.operators if op.op in WEIGHT_AXIS and len(op.inputs) > 1 and op.inputs[1] is not None
            and op.inputs[1].dtype == "float32" and op.inputs[1].is_const]
    what = "int8 weights, float activations quantized at run time" if mode == "dynamic" else \
        "int8 weights behind DEQUANTIZE, float layers"
    extra = f", asymmetric_quantize_inputs {not symmetric_inputs}" if mode == "dynamic" else ""
    click.echo(f"{out}: {mode} ({what}), {len(layers)} layers quantized, {len(kept)} left float, "
               f"{'per-tensor' if per_tensor else 'per-channel'} weights{extra}")
