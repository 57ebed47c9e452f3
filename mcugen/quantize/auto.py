"""`--method auto`: per tensor, the range that causes the least error at the model output; bias correction
when it helps.

How: every calibrator of ranges.METHODS proposes a range for each activation tensor, and so do scaled
copies of the minmax range, [f*lo, f*hi] for f in SCALES (shrunk: clipping the rare extremes buys a finer
grid; widened a little: the grid moves, which changes how the values round; both measured, not assumed),
and copies with one side only shrunk, [f*lo, hi] and [lo, f*hi] for f in SIDE_SCALES (a tensor whose
consumer does not care about one tail: the logits before a SOFTMAX, whose very negative values all give a
probability of 0 — on the digits Conv1D model, [0.4*lo, hi] there gains 1.1 dB on the calibration samples
and on held-out ones alike). The rarely useful ones cost little: a candidate equal to one already tried
(ReLU outputs have lo = 0) is skipped. Shrinking the upper side (or both) is left to the calibrators
(percentile, mse): plain shrunk copies, tried in an earlier version, won on the calibration samples by
clipping what the held-out samples then exceeded (digits CNN: +4.5 dB on its own samples, -12 dB held out).
One more candidate is derived from the statistics, not from a factor: 'softmax tail'
(softmax_tail_candidates), the logits' range cut where SOFTMAX writes 0 anyway.
A quantized model is judged by its output error on (up to AUTO_SAMPLES of) the calibration samples: the
float model's outputs (LiteRT reference kernels, child process) against the quantized model's dequantized
outputs (the TFLM interpreter: the arithmetic the firmware runs), error = sum over outputs of
||y_float - y_quant||^2 / ||y_float||^2 (the SQNR's inverse).

The search:
1. every single calibrator for all tensors, each without and with bias correction (bias_correction.py);
   the best of these is the start;
2. coordinate descent: visit the tensors in graph order (producers before consumers) and, for each, try
   every other candidate range with all other choices kept; a candidate is kept when it lowers the error
   by at least MIN_GAIN (2 %: smaller gains on a few hundred samples are noise) and does not raise it on
   either half of the samples (even / odd samples: two folds; a change that helps one half and harms the
   other fits those samples, not the model: measured on the digits MLP, the search without this check
   gained 2.4 dB on its own samples and lost 0.7 dB on held-out ones); SWEEPS passes over the tensors
   (the second sees the later tensors' new ranges);
3. bias correction is tried on and off once more with the final ranges (unless the caller forces it); it is
   is on unless turning it off lowers the error by MIN_GAIN on both folds (it removes a systematic shift
   measured on all calibration samples, so it is kept unless it measurably harms).
The result is never worse on those samples than the best single calibrator (where the search starts).
Candidates that produce the same flatbuffer (tensors tied to a neighbour, fixed output scales) are
evaluated once. Choices are deterministic: no randomness, ties keep the earlier choice, and the samples
used are the first AUTO_SAMPLES in the order given (the statistics do not depend on sample order).
"""
from __future__ import annotations

import hashlib

import numpy as np

from ..frontend.tflite_writer import write_model
from ..ir import Graph

AUTO_SAMPLES = 256
MIN_GAIN = 0.02  # a change is kept only when it lowers the error by at least 2 % (less is noise)
SCALES = (1.05, 1.1, 1.2)  # minmax range multipliers tried per tensor (widening only: see above)
SIDE_SCALES = (0.3, 0.4, 0.5, 0.6, 0.7, 0.8)  # one side of the minmax range multiplied (the other kept)
SWEEPS = 2
SOFTMAX_TAIL = {"int8": 12.0, "int16": 16.0}  # see softmax_tail_candidates


def output_error(ref: list[np.ndarray], got: list[np.ndarray]) -> float:
    return float(sample_errors(ref, got).sum())


def sample_errors(ref: list[np.ndarray], got: list[np.ndarray]) -> np.ndarray:
    """Per sample: sum over outputs of ||y_float - y_quant||^2 / ||y_float||^2 (the norm over all samples),
    so that the total is the SQNR's inverse."""
    e = 0.0
    for r, y in zip(ref, got):
        n = r.shape[0]
        r = r.astype(np.float64).reshape(n, -1)
        y = y.astype(np.float64).reshape(n, -1)
        e = e + ((r - y) ** 2).sum(1) / max((r ** 2).sum(), 1e-30)
    return np.asarray(e, np.float64)


class Score:
    """An error: the total, and the totals of the even and odd samples (the two folds)."""

    def __init__(self, per_sample: np.ndarray):
        self.total = float(per_sample.sum())
        self.folds = (float(per_sample[0::2].sum()), float(per_sample[1::2].sum()))

    def better_than(self, other: "Score", gain: float = 0.0) -> bool:
        """Lower in total by `gain` (a fraction) and no worse on either fold."""
        return (self.total < other.total * (1 - gain)
                and all(a <= b for a, b in zip(self.folds, other.folds)))


class Evaluator:
    """Quantize `graph` with given ranges (and optionally bias correction) and measure the output error on
    `samples` (float I/O). means: element-wise float means per tensor index (for bias correction)."""

    def __init__(self, graph: Graph, model: bytes, samples: list[np.ndarray], rewrite_kwargs: dict,
                 means: dict[int, np.ndarray] | None = None):
        from ..oracle import litert
        self.graph = graph
        self.samples = samples
        self.kw = dict(rewrite_kwargs, io="float")
        self.means = means or {}
        self.ref = litert.run(model, samples)
        self.runs = 0
        self._cache: dict[bytes, Score] = {}

    def error(self, ranges_by_index: dict[int, tuple[float, float]], bias_correction: bool = False) -> float:
        """The output error (the SQNR's inverse) on the samples."""
        return self.score(ranges_by_index, bias_correction).total

    def score(self, ranges_by_index: dict[int, tuple[float, float]], bias_correction: bool = False) -> Score:
        from ..oracle import tflm
        from .rewrite import rewrite
        by_index = {t.index: t for t in self.graph.tensors}
        qg = rewrite(self.graph, {id(by_index[i]): r for i, r in ranges_by_index.items()}, **self.kw)
        if bias_correction:
            from .bias_correction import corrected_biases
            corrected_biases(self.graph, qg, self.means)
        data = write_model(qg)
        key = hashlib.sha256(data).digest()
        if key not in self._cache:
            got = tflm.run(data, self.samples, len(self.ref))
            self.runs += 1
            self._cache[key] = Score(sample_errors(self.ref, got))
        return self._cache[key]


def scaled_candidates(minmax: dict[int, tuple[float, float]]) -> dict[str, dict[int, tuple[float, float]]]:
    """The minmax ranges multiplied by each factor of SCALES, and with one side only multiplied by each of
    SIDE_SCALES, as extra candidate 'methods' ('minmax x0.8', 'minmax lo x0.4', 'minmax hi x0.6', ...)."""
    out = {f"minmax x{f:g}": {i: (lo * f, hi * f) for i, (lo, hi) in minmax.items()} for f in SCALES}
    out.update({f"minmax lo x{f:g}": {i: (lo * f, hi) for i, (lo, hi) in minmax.items()} for f in SIDE_SCALES})
    return out


def softmax_tail_candidates(graph: Graph, stats: dict, minmax: dict[int, tuple[float, float]],
                            activations) -> dict[str, dict[int, tuple[float, float]]]:
    """'softmax tail': the minmax ranges, except for each SOFTMAX input, whose low end is raised to
    m - T / beta, m the least row maximum seen (over the calibration samples, along the softmax axis) and
    T = SOFTMAX_TAIL[the SOFTMAX's type] (activations: a type, or a dict node index -> type, as rewrite()
    takes): a logit more than T below its row's maximum has a probability below e^-T, which the int8
    output (step 1/256) or int16 output (step 1/32768) writes as 0 anyway, so the
    grid need not reach it; the saved range makes the logits' step finer. (With T = 12 for int8, even ten
    such clipped logits move the row's largest probability by at most 10 e^-12 = 6e-5, a 60th of a step;
    T = 16 for int16.) Empty when no SOFTMAX input would change."""
    by_index = {t.index: t for t in graph.tensors}
    out = dict(minmax)
    changed = False
    for op in graph.operators:
        if op.op != "SOFTMAX" or not op.inputs or op.inputs[0] is None:
            continue
        i = op.inputs[0].index
        st, r = stats.get(i), minmax.get(i)
        beta = float(op.options.get("beta", 1.0) or 1.0)
        if st is None or r is None or not np.isfinite(st.row_max_min) or beta <= 0 or by_index[i].is_const:
            continue
        d = activations if isinstance(activations, str) else activations.get(op.index, "int8")
        lo = st.row_max_min - SOFTMAX_TAIL[d] / beta
        if lo > r[0]:
            out[i] = (min(lo, 0.0), r[1])
            changed = True
    return {"softmax tail": out} if changed else {}


def choose(evaluator: Evaluator, candidates: dict[str, dict[int, tuple[float, float]]], progress=None,
           bias_correction: bool | None = None) -> tuple[dict[int, str], dict[str, float], bool]:
    """(method per tensor index, error of each single method and of auto, bias correction on) from the
    candidate ranges of each method. bias_correction: None lets the search decide, True/False forces it."""
    methods = list(candidates)
    options = [False, True] if bias_correction is None else [bool(bias_correction)]
    single, bc_of = {}, {}
    for m in methods:
        errs = {b: evaluator.score(candidates[m], b) for b in options}
        b = options[-1]  # bias correction on, unless it measurably harms
        if len(options) == 2 and errs[False].better_than(errs[True], MIN_GAIN):
            b = False
        single[m], bc_of[m] = errs[b], b
    calibrators = [m for m in methods if not m.startswith("minmax ")] or methods
    start = min(calibrators, key=lambda m: (single[m].total, methods.index(m)))
    bc = bc_of[start]
    choice = {i: start for i in candidates[start]}
    current = dict(candidates[start])
    best = single[start]
    order = list(candidates[start])
    total = len(order) * SWEEPS
    for sweep in range(SWEEPS):
        changed = False
        for n, i in enumerate(order):
            tried = [current[i]]
            for m in methods:
                r = candidates[m].get(i)
                if r is None or any(np.allclose(r, t, rtol=1e-6, atol=0) for t in tried):
                    continue
                tried.append(r)
                trial = dict(current)
                trial[i] = r
                e = evaluator.score(trial, bc)
                if e.better_than(best, MIN_GAIN):
                    best, current, choice[i], changed = e, trial, m, True
            if progress is not None:
                progress(sweep * len(order) + n + 1, total)
        if not changed:
            if progress is not None:
                progress(total, total)
            break
    if bias_correction is None:
        other = evaluator.score(current, not bc)
        if (other.better_than(best) if not bc else other.better_than(best, MIN_GAIN)):
            best, bc = other, not bc
    errors = {m: e.total for m, e in single.items() if not m.startswith("minmax ")}
    errors["auto"] = best.total
    return choice, errors, bc
