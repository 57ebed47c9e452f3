"""`mcugen quantize`: static post-training quantization (int8, or 16x8) of a float .tflite, without TensorFlow.

The pipeline, one module per stage (as in the compiler):
  read float model (frontend) -> calibration.py (load and check the samples; every 5th held back for the
  report unless --eval is given) -> statistics.py (run the float model in LiteRT in a child process;
  per-tensor min/max, histograms, means) -> ranges.py (a calibrator turns statistics into a range:
  minmax, percentile, entropy, mse) or auto.py (per tensor, the calibrator that least harms the model
  output) -> rewrite.py (activation quantization, weights and biases, the per-operator rules of rules.py,
  float edges) -> bias_correction.py (optional) -> frontend.tflite_writer (the flatbuffer) -> validate.py
  (reads back, passes support rules) -> report.py (per-layer SQNR against the float model).
"""
from __future__ import annotations

import sys
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ..errors import UnsupportedModelError, UsageError
from ..frontend import read_model, read_model_bytes
from ..frontend.tflite_writer import write_model
from ..ir import Graph
from . import calibration, ranges as _ranges, rewrite as _rewrite, statistics
from .validate import validate

IO_MODES = ("int8", "float")
WEIGHT_MODES = ("int8", "int4", "mixed")


@dataclass
class QuantizeResult:
    model: bytes  # the int8 .tflite
    graph: Graph  # the int8 graph, as read back
    ranges: dict[str, tuple[float, float]] = field(default_factory=dict)  # tensor name -> range chosen
    samples: int = 0  # calibration samples used
    methods: dict[str, str] = field(default_factory=dict)  # tensor name -> calibrator that chose its range
    errors: dict[str, float] = field(default_factory=dict)  # auto: output error of each single method and auto
    bias_corrected: tuple[int, int] | None = None  # (layers corrected, layers without a bias)
    report: dict | None = None
    report_files: tuple | None = None
    precision: dict | None = None  # --weights mixed / limits: the per-layer choice (mixed.choose)
    activation_precision: dict | None = None  # --activations mixed: the per-group choice (mixed.choose_activations)
    int4_layers: list = field(default_factory=list)  # node indices with int4 weights


def load_float_model(model) -> tuple[Graph, bytes, str]:
    """(graph, bytes, where) of a float model given as a path or bytes; refuses models with no float tensors."""
    if isinstance(model, (bytes, bytearray, memoryview)):
        data, where = bytes(model), "<bytes>"
        g = read_model_bytes(data, where)
    else:
        where = str(model)
        g = read_model(model)
        data = Path(model).read_bytes()
    acts = [t for t in g.tensors if t.dtype == "float32" and not t.is_const]
    if not acts:
        quantized = [t for t in g.tensors if t.quant is not None and t.dtype in ("int8", "int16", "uint8")]
        if quantized:
            raise UnsupportedModelError(
                f"{where} is already quantized ({len(quantized)} of its {len(g.tensors)} tensors are "
                f"{'/'.join(sorted({t.dtype for t in quantized}))} with quantization, no activation is float32). "
                "mcugen quantize takes a float32 model; build this one directly with `mcugen build`.")
        raise UnsupportedModelError(f"{where} has no float32 activation tensors (types: "
                                    f"{', '.join(sorted({t.dtype for t in g.tensors}))}): nothing to quantize.")
    bad_in = [t for t in g.inputs if t.dtype != "float32"]
    if bad_in:
        raise UnsupportedModelError(f"{where}: input '{bad_in[0].name}' is {bad_in[0].dtype}; the quantizer "
                                    "needs every model input to be float32.")
    return g, data, where


def _topological(g: Graph) -> list[int]:
    """Float activation tensor indices, producers before consumers (inputs, then operator outputs)."""
    seen, out = set(), []
    for t in [*g.inputs, *(t for op in g.operators for t in op.inputs if t is not None),
              *(t for op in g.operators for t in op.outputs)]:
        if t.dtype == "float32" and not t.is_const and t.index not in seen:
            seen.add(t.index)
            out.append(t.index)
    return out


def _split(arrays: list[np.ndarray]) -> tuple[list[np.ndarray], list[np.ndarray] | None, str]:
    """(calibration, evaluation, note): every 5th sample held back for evaluation when there are >= 10."""
    n = arrays[0].shape[0]
    if n < 10:
        return arrays, None, f"on the {n} calibration samples themselves (fewer than 10: none held back)"
    held = np.arange(n) % 5 == 4
    return ([np.asarray(x)[~held] for x in arrays], [np.asarray(x)[held] for x in arrays],
            f"{int(held.sum())} samples held back from the {n} given (every 5th)")


def quantize(model, samples=None, *, calibration_files=None, method: str = "minmax",
             percentile: float = _ranges.DEFAULT_PERCENTILE, activations="int8", per_tensor: bool = False,
             io: str = "int8", bias_correction: bool | None = None, eval_samples=None, eval_files=None,
             report: bool | None = None, output: str | Path | None = None, progress: bool = False,
             labels=None, keep_float=None, weights: str = "int8", max_flash=None, max_ram=None,
             min_sqnr: float | None = None, board=None) -> QuantizeResult:
    """Quantize a float model to int8 (or the 16x8 scheme).

    model: path or bytes of a float32 .tflite. samples: an iterable of samples (each an array for a
    single-input model, a sequence of arrays in input order, or a dict keyed by input name; one (N, ...)
    array also works for a single-input model); or calibration_files: .npy per input / one .npz.
    method: activation range calibrator (ranges.ALL_METHODS; percentile: its p). activations: 'mixed' (int8
    or int16 per group of nodes, chosen under min_sqnr / max_ram / board: mixed.choose_activations), 'int8' or
    'int16' (16x8: int16 symmetric activations, int8 weights, int64 bias), or a dict {node index: 'int8' |
    'int16'} (nodes absent: int8): mixed, see rewrite.py (a QUANTIZE converts where types meet; the
    description and the report's settings list the int16 nodes). per_tensor: one weight scale per tensor
    instead of per channel. io: 'int8' (integer model inputs/outputs, of the activation type) or
    'float' (QUANTIZE/DEQUANTIZE at the edges). bias_correction: correct each channel's mean shift caused
    by weight quantization (bias_correction.py); None (default): off, except with method 'auto', whose
    search decides (True / False force it on / off). eval_samples / eval_files: samples for the report (default:
    every 5th calibration sample is held back when there are at least 10). report: measure the quantization
    report (default: when `output` is given; written beside it). progress: a progress bar on stderr when it
    is a terminal, one line per stage when it is not. labels: the class labels (an .npy path or an array,
    integer class indices (N,) or one-hot (N, classes)) of the evaluation samples (of the calibration samples
    when no evaluation samples are given: the held-back ones are picked from them); the report then gives the
    float and the quantized model's accuracy. keep_float: operators left in float (node indices or operator
    names, e.g. ['SOFTMAX', 3]): a mixed model, DEQUANTIZE before and QUANTIZE after each of them.
    weights: 'int8'; 'int4' (every CONV_2D, DEPTHWISE_CONV_2D and FULLY_CONNECTED with int8 activations:
    int4.py); or 'mixed' (per layer int8 or int4 by measured sensitivity: mixed.py) under the limits
    max_flash (bytes of the weights and biases: an int, '200K', or '60%' of the all-int8 model's), max_ram
    (arena bytes), min_sqnr (dB, output SQNR against float) and board (a board name or Board: its flash and
    RAM). The chosen precision per layer is in the result's report['precision'] (and `precision`).
    """
    if method not in _ranges.ALL_METHODS:
        raise UsageError(f"unknown --method {method!r}; available: {', '.join(_ranges.ALL_METHODS)}.")
    if io not in IO_MODES:
        raise UsageError(f"unknown --io {io!r}; available: {', '.join(IO_MODES)}.")
    mixed_acts = not isinstance(activations, str)
    search_acts = activations == "mixed"
    if search_acts and max_ram is None and min_sqnr is None and board is None:
        raise UsageError("--activations mixed needs a limit to choose by: --min-sqnr, --max-ram or --board.")
    if not mixed_acts and not search_acts and activations not in _rewrite.ACTIVATION_TYPES:
        raise UsageError(f"unknown --activations {activations!r}; available: "
                         f"{', '.join(_rewrite.ACTIVATION_TYPES)}.")
    if weights not in WEIGHT_MODES:
        raise UsageError(f"unknown --weights {weights!r}; available: {', '.join(WEIGHT_MODES)}.")
    limited = any(v is not None for v in (max_flash, max_ram, min_sqnr, board))
    if weights == "mixed" and not limited:
        raise UsageError("--weights mixed needs a limit to choose by: --max-flash, --max-ram, --min-sqnr or --board.")
    if weights == "int4" and limited:
        raise UsageError("--max-flash, --max-ram, --min-sqnr and --board choose the precision per layer: use them with "
                         "--weights mixed (or with int8 weights, to check the int8 model against them).")
    if weights == "int4" and activations == "int16":
        raise UsageError("--weights int4 needs --activations int8: TFLM runs int4 weights with int8 activations "
                         "only (use --weights mixed to keep the 16x8 layers int8).")
    if not 50.0 < float(percentile) <= 100.0:
        raise UsageError(f"--percentile {percentile}: must be in (50, 100] (e.g. 99.99).")
    g, data, where = load_float_model(model)
    if mixed_acts:
        try:
            activations = {int(k): v for k, v in _rewrite.node_types(g, activations).items()
                           if k in activations}
        except ValueError as e:
            raise UsageError(f"{e}.") from None
    keep = _rewrite.keep_nodes(g, keep_float)
    _rewrite.refuse(g, where, keep=keep)  # before the (slow) calibration
    if calibration_files is not None:
        arrays = calibration.load_files(list(calibration_files), g.inputs)
    elif samples is not None:
        arrays = calibration.from_samples(samples, g.inputs)
    else:
        raise UsageError("no calibration data given.")
    if report is None:
        report = output is not None
    if eval_files is not None:
        ev, note = calibration.load_files(list(eval_files), g.inputs), None
    elif eval_samples is not None:
        ev, note = calibration.from_samples(eval_samples, g.inputs), None
    else:
        ev = None
    ev_given, held = ev is not None, None
    if ev is not None:
        cal, note = arrays, f"{ev[0].shape[0]} evaluation samples given"
    elif not report:  # nothing to hold back for: calibrate on every sample
        cal, note = arrays, None
    else:
        cal, ev, note = _split(arrays)
        if ev is None:
            ev = cal
            held = np.ones(arrays[0].shape[0], bool)
        else:
            held = np.arange(arrays[0].shape[0]) % 5 == 4
        calibration.check(cal, g.inputs, ["the calibration samples (after holding some back)"] * len(cal))

    lab = None
    if labels is not None:
        n_lab = ev[0].shape[0] if ev_given else arrays[0].shape[0]
        lab = calibration.load_labels(labels, n_lab, "evaluation" if ev_given else "calibration")
        if not ev_given and held is not None:
            lab = lab[held]

    def say(stage):
        return calibration.progress_bar(stage) if progress else None

    wanted = _topological(g)
    bins = 0 if method == "minmax" and not report else _ranges.HISTOGRAM_BINS
    stateful = any(t.is_variable for t in g.tensors)  # each sample one sequence from the zero state
    stats = statistics.collect(data, wanted, cal, bins=bins, progress=say("calibrating (sample passes)"),
                               reset_state=stateful)
    stats = {i: s for i, s in stats.items() if np.isfinite(s.min)}
    if stateful:  # LSTM hidden and cell states over every time step (a float LSTM in numpy: lstm_rule.py)
        from .lstm_rule import state_stats
        stats.update(state_stats(g, data, cal, keep, stats))

    act_precision = None
    if search_acts:  # --activations mixed: int16 per group of nodes (mixed.choose_activations)
        from . import mixed as _mixed
        by_index = {t.index: t for t in g.tensors}

        def make_acts(types, io_="float"):
            dt = _rewrite.tensor_types(g, types, keep)
            rng = {id(by_index[i]): _ranges.METHODS["minmax"](s, dt.get(i, "int8")) for i, s in stats.items()}
            return _rewrite.rewrite(g, rng, per_channel=not per_tensor, io=io_, activations=types, keep=keep)
        lim_a = _mixed.limits_for(board, None, max_ram, min_sqnr, 0, make_acts, where)
        k = min(_mixed.SENSITIVITY_SAMPLES, cal[0].shape[0])
        activations, act_precision = _mixed.choose_activations(
            g, make_acts, data, [x[:k] for x in cal], _rewrite.activation_groups(g, keep), lim_a, where,
            progress=say("mixed activations (groups)"))
        mixed_acts = True
    dtype_of = _rewrite.tensor_types(g, activations, keep)  # each range is sized for its tensor's type

    def calibrate(m, s, i):
        f, d = _ranges.METHODS[m], dtype_of.get(i, "int8" if mixed_acts else activations)
        return f(s, d, p=percentile) if m == "percentile" else f(s, d)

    by_index = {t.index: t for t in g.tensors}
    kw = dict(per_channel=not per_tensor, activations=activations, keep=keep)
    errors = {}
    if method == "auto":
        from . import auto
        candidates = {m: {i: calibrate(m, s, i) for i, s in stats.items()} for m in _ranges.METHODS}
        k = min(auto.AUTO_SAMPLES, cal[0].shape[0])
        candidates.update(auto.softmax_tail_candidates(g, stats, candidates["minmax"], activations))
        candidates.update(auto.scaled_candidates(candidates["minmax"]))
        means = {i: s.mean for i, s in stats.items() if s.mean is not None}
        ev_auto = auto.Evaluator(g, data, [x[:k] for x in cal], kw, means)
        method_of, errors, bias_correction = auto.choose(ev_auto, candidates, progress=say("auto (tensors)"),
                                                         bias_correction=bias_correction)
        chosen = {i: candidates[m][i] for i, m in method_of.items()}
    else:
        bias_correction = bool(bias_correction)
        chosen = {i: calibrate(method, s, i) for i, s in stats.items()}
        method_of = {i: method for i in chosen}
    ranges_by_id = {id(by_index[i]): r for i, r in chosen.items()}
    means = {i: s.mean for i, s in stats.items() if s.mean is not None}
    weight_types, rounding, precision = {}, None, None
    if weights != "int8" or limited:
        from . import int4 as _int4, mixed
        node_types = ({op.index: activations for op in g.operators} if isinstance(activations, str)
                      else activations)
        cands = mixed.eligible(g, keep, node_types)
        if weights != "int8" and not cands:
            raise UnsupportedModelError(f"{where}: no layer can take int4 weights (CONV_2D, DEPTHWISE_CONV_2D and "
                                        "FULLY_CONNECTED with constant weights and int8 activations).")
        held = {"rounding": _int4.Rounding()}  # the int4 rounding the model is made with (make)

        def make(wt, io_=io):
            q = _rewrite.rewrite(g, ranges_by_id, io=io_, weight_types=wt, int4=held["rounding"], **kw)
            if bias_correction:
                from .bias_correction import corrected_biases
                corrected_biases(g, q, means)
            return q

        def finalize(nodes):  # round the int4 layers in sequence (int4.sequential)
            held["rounding"] = (_int4.sequential(g, data, cal, cands, nodes, per_channel=not per_tensor)
                                if nodes else _int4.Rounding())
        k = min(mixed.SENSITIVITY_SAMPLES, cal[0].shape[0])
        if weights == "int4":
            weight_types = {op.index: "int4" for op in cands}
            finalize(list(weight_types))
        else:
            base = mixed.weight_bytes(make({}))
            save = {op.index: int(np.prod(op.inputs[1].shape)) - _int4.packed_bytes(int(np.prod(op.inputs[1].shape)))
                    for op in cands}
            lim = mixed.limits_for(board, max_flash, max_ram, min_sqnr, base, make, where)

            def fit(nodes):  # bytes the library is over the board's room (0: fits)
                return mixed.fit_figures(write_model(make({i: "int4" for i in nodes})), lim, where)[2]
            alone = _int4.Rounding(_int4.layer_grams(g, data, cal, cands)) if cands and weights == "mixed" else None
            precision = mixed.choose(g, lambda wt: make(wt, "float"), data, [x[:k] for x in cal],
                                     cands if weights == "mixed" else [], lim,
                                     lambda nodes: base - sum(save[i] for i in nodes), alone, not per_tensor,
                                     finalize, fit, progress=say("mixed precision (layers)"))
            weight_types = {i: "int4" for i in precision["int4"]}
        rounding = held["rounding"]
    qg = _rewrite.rewrite(g, ranges_by_id, io=io, weight_types=weight_types, int4=rounding, **kw)
    corrected = None
    if bias_correction:
        from .bias_correction import corrected_biases
        corrected = corrected_biases(g, qg, means)
    int16_nodes = sorted(i for i, d in activations.items() if d == "int16") if mixed_acts else None
    act_text = f"mixed activations (int16 nodes {int16_nodes}, others int8)" if mixed_acts else activations
    qg.description = (f"mcugen quantize: {act_text}, {method} ranges on {cal[0].shape[0]} samples, "
                      f"{'per-tensor' if per_tensor else 'per-channel'} weights, {io} I/O"
                      + (", bias correction" if bias_correction else "")
                      + (f", {len(weight_types)} layers with int4 weights" if weight_types else "")
                      + (f", nodes {sorted(keep)} kept in float" if keep else ""))
    out = write_model(qg)
    back = validate(out)
    if precision is not None:
        from . import mixed
        precision.update(mixed.check_fit(out, lim, where))
    if output is not None:
        Path(output).write_bytes(out)
    result = QuantizeResult(out, back, {by_index[i].name: r for i, r in chosen.items()}, int(cal[0].shape[0]))
    result.methods = {by_index[i].name: m for i, m in method_of.items()}
    result.errors = errors
    result.bias_corrected = corrected
    result.precision = precision
    result.activation_precision = act_precision
    result.int4_layers = sorted(weight_types)
    if report:
        from . import report as _report
        settings = {"model": Path(where).name, "activations": "mixed" if mixed_acts else activations,
                    "method": method,
                    "percentile": percentile, "per_tensor": per_tensor, "io": io,
                    "bias_correction": bias_correction, "calibration_samples": int(cal[0].shape[0]),
                    "keep_float": sorted(keep), "weights": weights,
                    "int4_layers": sorted(weight_types)}
        if mixed_acts:
            settings["int16_nodes"] = int16_nodes
        if bias_correction:
            settings["bias_corrected_layers"] = corrected[0]
        result.report = _report.measure(g, data, out, back, ev, chosen, method_of, stats, note, settings,
                                        labels=lab)
        if precision is not None:
            result.report["precision"] = precision
        if act_precision is not None:
            result.report["activation_precision"] = act_precision
        if output is not None:
            result.report_files = _report.write(result.report, output)
    return result


__all__ = ["quantize", "QuantizeResult", "IO_MODES", "WEIGHT_MODES"]


class _CallableModule(type(sys.modules[__name__])):
    """`mcugen.quantize` is both this package and the API function: importing the package binds the name
    `quantize` in `mcugen` to it, so the package itself is made callable as `quantize(...)`."""

    def __call__(self, *args, **kwargs):
        return quantize(*args, **kwargs)


sys.modules[__name__].__class__ = _CallableModule
