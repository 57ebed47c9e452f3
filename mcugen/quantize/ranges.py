"""Calibrators: pure functions from a tensor's statistics to the real range its int8 grid covers.

Every range includes 0, so that the zero point is an exact integer (zero padding, ReLU floors).
"""
from __future__ import annotations

import numpy as np

from .statistics import TensorStats


def _with_zero(lo: float, hi: float) -> tuple[float, float]:
    return min(lo, 0.0), max(hi, 0.0)


def minmax(stats: TensorStats) -> tuple[float, float]:
    """The global minimum and maximum over all calibration samples (not a moving average: the result does not
    depend on the order of the samples), widened to include 0."""
    return _with_zero(stats.min, stats.max)


def percentile(stats: TensorStats, p: float = 99.99) -> tuple[float, float]:
    """The range from the (100 - p)-th to the p-th percentile of all values seen (from the histogram;
    p = 99.99 by default), widened to include 0: clips the rare outliers that would stretch the int8 grid."""
    if stats.hist is None or stats.hist.sum() == 0 or not stats.max > stats.min:
        return minmax(stats)
    h = stats.hist.astype(np.float64)
    edges = np.linspace(stats.min, stats.max, h.size + 1)
    cdf = np.cumsum(h) / h.sum()
    tail = (100.0 - p) / 100.0
    lo_bin = int(np.searchsorted(cdf, tail, side="right"))  # first bin whose cdf passes the lower tail
    hi_bin = int(np.searchsorted(cdf, 1.0 - tail, side="left"))  # bin where the upper tail starts
    lo = float(edges[min(lo_bin, h.size - 1)])
    hi = float(edges[min(hi_bin, h.size - 1) + 1])
    return _with_zero(max(lo, stats.min), min(hi, stats.max))


METHODS = {"minmax": minmax, "percentile": percentile}
HISTOGRAM_BINS = {"minmax": 0, "percentile": 2048}  # the histogram each method needs (0: none)
