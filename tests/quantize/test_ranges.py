"""The calibrators on synthetic distributions: each a pure function from statistics to a range that includes
0, independent of the order of the samples (statistics are sums), and doing what its name says."""
from __future__ import annotations

import numpy as np
import pytest

from mcugen.quantize.ranges import (METHODS, clipped_fraction, entropy, expected_error, kl_threshold_bin, minmax,
                                    mse, percentile)
from mcugen.quantize.statistics import TensorStats

BINS = 2048


def stats_of(x: np.ndarray) -> TensorStats:
    """What statistics.collect computes, from all values at once (the child sums the same per sample)."""
    x = np.asarray(x, np.float64).ravel()
    lo, hi = float(x.min()), float(x.max())
    amax = max(abs(lo), abs(hi))
    return TensorStats(lo, hi, 1, np.histogram(x, BINS, (lo, hi))[0], np.histogram(np.abs(x), BINS, (0, amax))[0],
                       None, int(np.count_nonzero(x == 0)))


def stats_by_samples(samples) -> TensorStats:
    """Statistics accumulated sample by sample, as the LiteRT child does."""
    lo = min(float(s.min()) for s in samples)
    hi = max(float(s.max()) for s in samples)
    amax = max(abs(lo), abs(hi))
    h = sum(np.histogram(s, BINS, (lo, hi))[0] for s in samples)
    ah = sum(np.histogram(np.abs(s), BINS, (0, amax))[0] for s in samples)
    z = sum(int(np.count_nonzero(s == 0)) for s in samples)
    return TensorStats(lo, hi, len(samples), h, ah, None, z)


def gaussian(seed=0, n=200_000, outliers=5, mu=0.0):
    rng = np.random.default_rng(seed)
    x = rng.normal(mu, 1.0, n)
    x[:outliers] = 40.0 * np.sign(rng.standard_normal(outliers))
    return x


def relu(seed=0, n=200_000):
    x = np.random.default_rng(seed).normal(0.5, 1.0, n)
    x = np.maximum(x, 0)
    x[:3] = 30.0
    return x


DISTS = {"gaussian+outliers": gaussian, "relu+outliers": relu,
         "uniform": lambda seed=0: np.random.default_rng(seed).uniform(-1, 3, 100_000),
         "laplace": lambda seed=0: np.random.default_rng(seed).laplace(0.2, 0.5, 100_000),
         "positive": lambda seed=0: np.random.default_rng(seed).uniform(2, 5, 50_000)}


@pytest.mark.parametrize("method", list(METHODS))
@pytest.mark.parametrize("dist", list(DISTS))
def test_range_includes_zero_lies_within_minmax_and_ignores_sample_order(method, dist):
    x = DISTS[dist]()
    f = METHODS[method]
    lo, hi = f(stats_of(x))
    assert lo <= 0.0 <= hi and hi > lo
    mlo, mhi = minmax(stats_of(x))
    assert mlo - 1e-9 <= lo and hi <= mhi + 1e-9
    parts = np.array_split(x, 16)
    a = f(stats_by_samples(parts))
    b = f(stats_by_samples(parts[::-1]))
    c = f(stats_by_samples([parts[k] for k in np.random.default_rng(1).permutation(16)]))
    assert a == b == c
    assert np.allclose(a, (lo, hi), rtol=1e-9, atol=1e-12)


def test_entropy_clips_outliers_of_a_gaussian():
    x = gaussian()
    lo, hi = entropy(stats_of(x))
    # 8-bit KL thresholds of a unit gaussian sit at a few sigma, far below the outliers at 40
    assert 2.0 < hi < 8.0 and -8.0 < lo < -2.0
    assert clipped_fraction(stats_of(x), lo, hi) < 1e-3


def test_entropy_on_relu_ignores_exact_zeros():
    x = relu()
    lo, hi = entropy(stats_of(x))
    assert lo == 0.0 and 2.0 < hi < 10.0
    assert clipped_fraction(stats_of(x), lo, hi) < 1e-3


def test_entropy_keeps_a_uniform_distribution_and_int16_keeps_all():
    x = DISTS["uniform"]()
    lo, hi = entropy(stats_of(x))
    assert hi > 2.8 and lo == pytest.approx(-1.0, abs=0.01)  # nothing worth clipping
    assert entropy(stats_of(gaussian()), "int16") == minmax(stats_of(gaussian()))  # 32768 levels: no clipping pays


def test_kl_threshold_on_a_constructed_histogram():
    flat = np.zeros(2048, np.int64)
    flat[:200] = 1000
    flat[2047] = 1  # exactly representable with 16 bins merged per level: no reason to clip
    assert kl_threshold_bin(flat, 128) == 2048
    assert kl_threshold_bin(flat, 4096) == 2048
    decay = np.round(1e7 * np.exp(-np.arange(2048) / 60.0)).astype(np.int64)  # an exponential tail
    i = kl_threshold_bin(decay, 128)
    assert 128 < i < 1024


def test_mse_beats_minmax_on_its_own_objective_and_on_the_real_rounding_error():
    x = np.random.default_rng(3).laplace(0, 1, 200_000)  # a long tail, no isolated outlier
    st = stats_of(x)
    lo, hi = mse(st)
    e = expected_error(st.hist, st.min, st.max, np.array([lo]), np.array([hi]), 256)[0]
    e_mm = expected_error(st.hist, st.min, st.max, np.array([st.min]), np.array([st.max]), 256)[0]
    assert e < 0.85 * e_mm and hi < st.max and lo > st.min
    # empirical check of the objective: quantize the values themselves
    def real_error(a, b):
        s = (b - a) / 255
        zp = np.round(-128 - a / s)
        q = np.clip(np.round(x / s) + zp, -128, 127)
        return float(((x - (q - zp) * s) ** 2).mean())
    assert real_error(lo, hi) < 0.9 * real_error(st.min, st.max)
    for f in (0.8, 1.25):  # a clearly different symmetric scaling is no better
        assert real_error(lo, hi) <= real_error(lo * f, hi * f) * 1.05


def test_mse_keeps_rare_far_outliers_that_cost_more_clipped():
    x = gaussian(seed=3)  # 5 outliers at +-40: clipping them to +-4 would cost 36^2 each
    assert mse(stats_of(x))[1] > 30


def test_mse_positive_tensor_keeps_zero_and_int16_clips_less():
    x = relu(seed=4)
    st = stats_of(x)
    lo, hi = mse(st)
    assert lo == 0.0 and hi < 30.0
    assert mse(st, "int16")[1] >= hi  # finer steps make clipping less worth it


def test_percentile_option():
    x = gaussian(seed=5)
    st = stats_of(x)
    assert percentile(st, p=99.0)[1] < percentile(st, p=99.99)[1] <= percentile(st, p=100.0)[1]
    assert percentile(st, p=100.0)[1] == pytest.approx(st.max)
    with pytest.raises(ValueError):
        percentile(st, p=30)


def test_clipped_fraction():
    x = DISTS["uniform"]()
    st = stats_of(x)
    assert clipped_fraction(st, -1.0, 3.0) == 0.0
    assert clipped_fraction(st, -1.0, 1.0) == pytest.approx(0.5, abs=0.01)


def test_entropy_falls_back_to_minmax_on_sparse_histograms():
    x = np.random.default_rng(6).normal(0, 3, 40)  # a classifier's logits over a few samples
    assert entropy(stats_of(x)) == minmax(stats_of(x))
