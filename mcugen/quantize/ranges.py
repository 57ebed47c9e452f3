"""Calibrators: pure functions from a tensor's statistics to the real range its integer grid covers.

Every range includes 0, so that the zero point is an exact integer (zero padding, ReLU floors). Each
calibrator sees only sums over all samples (min, max, histograms), so its result does not depend on the
order of the samples.

- minmax: the global min and max.
- percentile: the p-th percentiles of the values (histogram over [min, max]).
- entropy: TensorRT's KL-divergence threshold search: a 2048-bin histogram of |x|, candidate thresholds at
  bins 128..2048, the one minimising KL(P || Q) where P is the clipped distribution (the outliers folded
  into its last bin) and Q the same bins quantized to `levels` levels (128 for int8, as TensorRT, also for a
  tensor with no negative value: 256 levels there, pytorch-quantization's unsigned case, measured worse on
  kws and vww; 32768 for int16). With fewer values than MIN_ENTROPY_VALUES (a classifier's logits over a
  few samples) the histogram is too sparse for a distribution to compare and entropy falls back to minmax;
  so it does when fewer than MIN_ENTROPY_BINS (128) of the 2048 bins are non-empty: discrete data (the
  digits' pixels take 17 values) puts all its mass in a few spikes, the KL search then finds Q equal to P
  at a threshold below the second spike and clips the input to 1/16 of its range (measured on the digits
  CNN: output SQNR 0.9 dB).
  The threshold T clips both sides: [max(min, -T), min(max, T)]. One departure from TensorRT: values that
  are exactly 0 (a ReLU's output is mostly zeros) are left out of the histogram, since 0 is always exactly
  representable; kept in, their mass, smeared by Q over the merged bins around 0, drives the search to
  absurdly small thresholds (on kws: 10 % of the values clipped, output SQNR 0.8 dB).
- mse: the range [a*min, b*max] (a, b on a geometric grid 2^(-k/8), k = 0..63) minimising the expected
  squared quantization error of the tensor from its histogram: each in-range value costs step^2 / 12
  (uniform rounding error, step = range / (codes - 1)), each clipped value its squared distance to the
  range's edge.
- auto is not a per-tensor statistic: it compares the candidates above by the error they cause at the model
  output (see auto.py).
"""
from __future__ import annotations

import numpy as np

from .statistics import TensorStats

DEFAULT_PERCENTILE = 99.99
MIN_ENTROPY_VALUES = 4096  # fewer values seen: entropy is minmax (too sparse a histogram)
MIN_ENTROPY_BINS = 128  # fewer non-empty histogram bins (discrete data): entropy is minmax


def _with_zero(lo: float, hi: float) -> tuple[float, float]:
    return min(float(lo), 0.0), max(float(hi), 0.0)


def _codes(dtype: str) -> int:
    from ..quant import type_range
    qmin, qmax = type_range(dtype)
    return qmax - qmin + 1


def minmax(stats: TensorStats, dtype: str = "int8") -> tuple[float, float]:
    """The global minimum and maximum over all calibration samples (not a moving average: the result does not
    depend on the order of the samples), widened to include 0."""
    return _with_zero(stats.min, stats.max)


def percentile(stats: TensorStats, dtype: str = "int8", p: float = DEFAULT_PERCENTILE) -> tuple[float, float]:
    """The range from the (100 - p)-th to the p-th percentile of all values seen (from the histogram;
    p = 99.99 by default), widened to include 0: clips the rare outliers that would stretch the grid."""
    if stats.hist is None or stats.hist.sum() == 0 or not stats.max > stats.min:
        return minmax(stats)
    if not 50.0 < p <= 100.0:
        raise ValueError(f"percentile must be in (50, 100], not {p}")
    h = stats.hist.astype(np.float64)
    edges = np.linspace(stats.min, stats.max, h.size + 1)
    cdf = np.cumsum(h) / h.sum()
    tail = (100.0 - p) / 100.0
    lo_bin = int(np.searchsorted(cdf, tail, side="right"))  # first bin whose cdf passes the lower tail
    hi_bin = int(np.searchsorted(cdf, 1.0 - tail, side="left"))  # bin where the upper tail starts
    lo = float(edges[min(lo_bin, h.size - 1)])
    hi = float(edges[min(hi_bin, h.size - 1) + 1])
    return _with_zero(max(lo, stats.min), min(hi, stats.max))


def kl_threshold_bin(hist: np.ndarray, levels: int = 128, start: int = 128) -> int:
    """The number of bins i (start <= i <= len(hist)) whose clipping threshold minimises KL(P || Q)."""
    h = hist.astype(np.float64)
    n = h.size
    start = min(start, n)
    best_i, best_kl = n, np.inf
    csum = np.concatenate([[0.0], np.cumsum(h)])
    total = csum[-1]
    for i in range(start, n + 1):
        p = h[:i].copy()
        p[i - 1] += total - csum[i]  # outliers fold into the last bin
        if p.sum() == 0:
            continue
        if levels >= i:
            q = h[:i].copy()
        else:
            # split the i bins into `levels` runs (as equal as possible), spread each run's mass over its
            # non-empty bins
            bounds = (np.arange(levels) * i) // levels
            nz = (h[:i] > 0).astype(np.float64)
            mass = np.add.reduceat(h[:i], bounds)
            cnt = np.add.reduceat(nz, bounds)
            lens = np.diff(np.append(bounds, i))
            per = np.where(cnt > 0, mass / np.maximum(cnt, 1), 0.0)
            q = np.repeat(per, lens) * nz
        ps, qs = p.sum(), q.sum()
        if qs == 0:
            continue
        pn, qn = p / ps, q / qs
        m = pn > 0
        if np.any(m & (qn == 0)):
            kl = np.inf
        else:
            kl = float(np.sum(pn[m] * np.log(pn[m] / qn[m])))
        if kl < best_kl - 1e-12:
            best_i, best_kl = i, kl
    return best_i


def entropy(stats: TensorStats, dtype: str = "int8", levels: int | None = None) -> tuple[float, float]:
    """TensorRT's entropy calibration: the threshold T on |x| that minimises KL(P || Q) (2048-bin histogram
    of |x|, thresholds from bin 128 to 2048, Q with 128 levels for int8, 32768 for int16; exact zeros left
    out; minmax below MIN_ENTROPY_VALUES values); the range is
    [max(min, -T), min(max, T)], widened to include 0."""
    amax = max(abs(stats.min), abs(stats.max))
    if stats.abs_hist is None or stats.abs_hist.sum() == 0 or not amax > 0:
        return minmax(stats)
    if levels is None:
        levels = _codes(dtype) // 2
    h = stats.abs_hist.astype(np.int64).copy()
    if h.sum() < MIN_ENTROPY_VALUES:
        return minmax(stats)
    h[0] -= min(int(stats.zeros), int(h[0]))  # exact zeros are exactly representable: not in P or Q
    if h.sum() == 0 or np.count_nonzero(h) < MIN_ENTROPY_BINS:
        return minmax(stats)
    i = kl_threshold_bin(h, levels, start=min(128, h.size))
    t = amax * i / h.size
    return _with_zero(max(stats.min, -t), min(stats.max, t))


_FRACTIONS = 2.0 ** (-np.arange(64) / 8.0)


def expected_error(hist: np.ndarray, lo_edge: float, hi_edge: float, lo: np.ndarray, hi: np.ndarray,
                   codes: int) -> np.ndarray:
    """Expected squared quantization error (per value) of a tensor with histogram `hist` over
    [lo_edge, hi_edge] when quantized to `codes` codes over [lo, hi] (arrays broadcast together)."""
    h = hist.astype(np.float64)
    h = h / h.sum()
    w = (hi_edge - lo_edge) / h.size
    c = lo_edge + (np.arange(h.size) + 0.5) * w
    lo, hi = np.asarray(lo, np.float64)[..., None], np.asarray(hi, np.float64)[..., None]
    step = (hi - lo) / (codes - 1)
    clip = np.maximum(lo - c, 0.0) + np.maximum(c - hi, 0.0)
    inside = (clip == 0)
    err = np.where(inside, step * step / 12.0, clip * clip)
    return (err * h).sum(-1)


def mse(stats: TensorStats, dtype: str = "int8") -> tuple[float, float]:
    """The range [a*min, b*max] (a, b in 2^(-k/8), k = 0..63, a = 1 when min >= 0) minimising the expected
    squared quantization error of the tensor's values, from its histogram, widened to include 0."""
    if stats.hist is None or stats.hist.sum() == 0 or not stats.max > stats.min:
        return minmax(stats)
    codes = _codes(dtype)
    lo0, hi0 = _with_zero(stats.min, stats.max)
    los = lo0 * (_FRACTIONS if lo0 < 0 else np.ones(1))
    his = hi0 * (_FRACTIONS if hi0 > 0 else np.ones(1))
    best, best_err = (lo0, hi0), np.inf
    for lo in los:
        e = expected_error(stats.hist, stats.min, stats.max, np.full(his.shape, lo), his, codes)
        k = int(np.argmin(e))
        if e[k] < best_err:
            best, best_err = (float(lo), float(his[k])), float(e[k])
    return _with_zero(*best)


def clipped_fraction(stats: TensorStats, lo: float, hi: float) -> float:
    """The fraction of calibration values outside [lo, hi] (from the histogram, at bin resolution)."""
    if stats.hist is None or stats.hist.sum() == 0 or not stats.max > stats.min:
        return 0.0
    h = stats.hist.astype(np.float64)
    w = (stats.max - stats.min) / h.size
    c = stats.min + (np.arange(h.size) + 0.5) * w
    return float(h[(c < lo) | (c > hi)].sum() / h.sum())


METHODS = {"minmax": minmax, "percentile": percentile, "entropy": entropy, "mse": mse}
ALL_METHODS = (*METHODS, "auto")
HISTOGRAM_BINS = 2048  # the histograms (over [min, max] and over [0, max |x|]) every method but minmax uses
