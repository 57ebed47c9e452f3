"""Calibrators: pure functions from a tensor's statistics to the real range its int8 grid covers.

Every range includes 0, so that the zero point is an exact integer (zero padding, ReLU floors).
"""
from __future__ import annotations

from .statistics import TensorStats


def _with_zero(lo: float, hi: float) -> tuple[float, float]:
    return min(lo, 0.0), max(hi, 0.0)


def minmax(stats: TensorStats) -> tuple[float, float]:
    """The global minimum and maximum over all calibration samples (not a moving average: the result does not
    depend on the order of the samples), widened to include 0."""
    return _with_zero(stats.min, stats.max)


METHODS = {"minmax": minmax}
