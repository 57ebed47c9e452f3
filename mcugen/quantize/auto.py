"""`--method auto`: per tensor, the calibrator whose range causes the least error at the model output.

How: every calibrator of ranges.METHODS proposes a range for each activation tensor. The quantized model is
then judged by its output error on (up to AUTO_SAMPLES of) the calibration samples: the float model's
outputs (LiteRT reference kernels, child process) against the quantized model's dequantized outputs (the
TFLM interpreter: the arithmetic the firmware runs), error = sum over outputs of
||y_float - y_quant||^2 / ||y_float||^2 (the SQNR's inverse). Start from the best single method for all
tensors, then visit the tensors in graph order (producers before consumers) and, for each, try the other
candidate ranges with all other choices kept; a candidate is kept when it lowers the error by at least
MIN_GAIN (2 %: smaller gains on a few dozen samples are noise, and chasing them overfits). The result is
never worse on those samples than the best single method (it is where the search starts), and costs about
(tensors x 3) evaluations of the quantized model. Choices are deterministic: no randomness, ties keep the
earlier choice, and the samples used are the first AUTO_SAMPLES in the order given (the statistics
themselves do not depend on sample order).
"""
from __future__ import annotations

import numpy as np

from ..frontend.tflite_writer import write_model
from ..ir import Graph

AUTO_SAMPLES = 64
MIN_GAIN = 0.02  # a change is kept only when it lowers the error by at least 2 % (less is noise)


def output_error(ref: list[np.ndarray], got: list[np.ndarray]) -> float:
    e = 0.0
    for r, y in zip(ref, got):
        r = r.astype(np.float64).ravel()
        y = y.astype(np.float64).reshape(-1)
        e += float(((r - y) ** 2).sum() / max((r ** 2).sum(), 1e-30))
    return e


class Evaluator:
    """Quantize `graph` with given ranges and measure the output error on `samples` (float I/O)."""

    def __init__(self, graph: Graph, model: bytes, samples: list[np.ndarray], rewrite_kwargs: dict):
        from ..oracle import litert
        self.graph = graph
        self.samples = samples
        self.kw = dict(rewrite_kwargs, io="float")
        self.ref = litert.run(model, samples)
        self.runs = 0

    def error(self, ranges_by_index: dict[int, tuple[float, float]]) -> float:
        from ..oracle import tflm
        from .rewrite import rewrite
        by_index = {t.index: t for t in self.graph.tensors}
        qg = rewrite(self.graph, {id(by_index[i]): r for i, r in ranges_by_index.items()}, **self.kw)
        got = tflm.run(write_model(qg), self.samples, len(self.ref))
        self.runs += 1
        return output_error(self.ref, got)


def choose(evaluator: Evaluator, candidates: dict[str, dict[int, tuple[float, float]]],
           progress=None) -> tuple[dict[int, str], dict[str, float]]:
    """(method per tensor index, error of each single method) from the candidate ranges of each method."""
    methods = list(candidates)
    single = {m: evaluator.error(candidates[m]) for m in methods}
    start = min(methods, key=lambda m: (single[m], methods.index(m)))
    choice = {i: start for i in candidates[start]}
    current = dict(candidates[start])
    best = single[start]
    order = list(candidates[start])
    for n, i in enumerate(order):
        tried = [current[i]]
        for m in methods:
            r = candidates[m].get(i)
            if r is None or any(np.allclose(r, t, rtol=1e-6, atol=0) for t in tried):
                continue
            tried.append(r)
            trial = dict(current)
            trial[i] = r
            e = evaluator.error(trial)
            if e < best * (1 - MIN_GAIN):
                best, current, choice[i] = e, trial, m
        if progress is not None:
            progress(n + 1, len(order))
    single["auto"] = best
    return choice, single
