"""Calibration data is checked before anything runs: each problem is a UsageError (exit 2) with the numbers."""
from __future__ import annotations

import numpy as np
import pytest

from mcugen.errors import UsageError
from mcugen.ir import Tensor
from mcugen.quantize import calibration
from mcugen.quantize.ranges import minmax
from mcugen.quantize.statistics import TensorStats

X = Tensor("x", (1, 4, 3), "float32")
Y = Tensor("y", (2,), "float32")


def good(n=5, seed=0, shape=(1, 4, 3)):
    return np.random.default_rng(seed).normal(size=(n, *shape)).astype(np.float32)


def test_accepts_leading_sample_axis_with_or_without_batch_dim():
    assert calibration.check([good()], [X], ["a"])[0].shape == (5, 1, 4, 3)
    assert calibration.check([good(shape=(4, 3))], [X], ["a"])[0].shape == (5, 1, 4, 3)
    assert calibration.check([good().astype(np.float64)], [X], ["a"])[0].dtype == np.float32


@pytest.mark.parametrize("arrays, words", [
    ([good(shape=(4, 4))], ["shape (5, 4, 4)", "(N, 1, 4, 3)"]),
    ([good().astype(np.int8)], ["dtype int8", "float"]),
    ([good(n=1)], ["1 sample(s)", "at least 2"]),
    ([np.full((4, 1, 4, 3), 0.5, np.float32)], ["every value", "0.5", "constant"]),
])
def test_bad_arrays(arrays, words):
    with pytest.raises(UsageError) as e:
        calibration.check(arrays, [X], ["cal.npy"])
    assert e.value.exit_code == 2
    for w in words:
        assert w in e.value.message


def test_nan_and_inf_counted():
    x = good()
    x[0, 0, 0, 0] = np.nan
    x[1, 0, 1, 1] = np.inf
    with pytest.raises(UsageError, match="2 of 60 values are NaN or infinite"):
        calibration.check([x], [X], ["cal.npy"])


def test_sample_counts_must_agree():
    with pytest.raises(UsageError, match=r"different sample counts: \[3, 5\]"):
        calibration.check([good(), good(n=3, shape=(2,))], [X, Y], ["a", "b"])


def test_files(tmp_path):
    p = tmp_path / "x.npy"
    np.save(p, good())
    assert calibration.load_files([p], [X])[0].shape == (5, 1, 4, 3)
    with pytest.raises(UsageError, match="2 calibration file"):
        calibration.load_files([p, p], [X])
    empty = tmp_path / "empty.npy"
    empty.write_bytes(b"")
    with pytest.raises(UsageError, match="is empty"):
        calibration.load_files([empty], [X])
    junk = tmp_path / "junk.npy"
    junk.write_bytes(b"not numpy")
    with pytest.raises(UsageError, match="cannot read as .npy"):
        calibration.load_files([junk], [X])
    with pytest.raises(UsageError, match="no such file"):
        calibration.load_files([tmp_path / "missing.npy"], [X])


def test_npz_keyed_by_input_name(tmp_path):
    p = tmp_path / "cal.npz"
    np.savez(p, x=good(), y=good(shape=(2,)))
    a, b = calibration.load_files([p], [X, Y])
    assert a.shape == (5, 1, 4, 3) and b.shape == (5, 2)
    np.savez(p, x=good(), z=good(shape=(2,)))
    with pytest.raises(UsageError, match=r"missing: \['y'\].*not inputs: \['z'\]"):
        calibration.load_files([p], [X, Y])


def test_iterable_of_samples():
    samples = [good(n=1)[0] for _ in range(3)]
    assert calibration.from_samples(samples, [X])[0].shape == (3, 1, 4, 3)
    assert calibration.from_samples(good(n=4), [X])[0].shape == (4, 1, 4, 3)  # an (N, ...) array iterates
    two = [{"x": good(n=1)[0], "y": np.array([s, -s], np.float32)} for s in range(3)]
    assert [a.shape for a in calibration.from_samples(two, [X, Y])] == [(3, 1, 4, 3), (3, 2)]
    with pytest.raises(UsageError, match="no calibration samples"):
        calibration.from_samples([], [X])


def test_minmax_includes_zero_and_is_the_global_range():
    assert minmax(TensorStats(0.5, 3.0, 10)) == (0.0, 3.0)
    assert minmax(TensorStats(-2.0, -1.0, 10)) == (-2.0, 0.0)
    assert minmax(TensorStats(-1.5, 2.5, 10)) == (-1.5, 2.5)


def test_percentile_clips_outliers_and_keeps_zero():
    from mcugen.quantize.ranges import percentile
    x = np.random.default_rng(0).normal(size=200_000) + 1.0
    x[:3] = 80.0
    st = TensorStats(float(x.min()), float(x.max()), 1, np.histogram(x, 2048, (x.min(), x.max()))[0])
    lo, hi = percentile(st, 99.99)
    want_lo, want_hi = np.percentile(x, [0.01, 99.99])
    bin_width = (x.max() - x.min()) / 2048
    assert abs(lo - want_lo) <= 2 * bin_width and abs(hi - want_hi) <= 2 * bin_width
    assert percentile(TensorStats(0.5, 3.0, 1, None)) == (0.0, 3.0)  # no histogram: minmax
    pos = np.random.default_rng(1).uniform(2, 3, 10_000)
    assert percentile(TensorStats(2.0, 3.0, 1, np.histogram(pos, 2048, (2, 3))[0]))[0] == 0.0


def test_statistics_independent_of_sample_order():
    from mcugen.frontend import read_model
    from mcugen.quantize.statistics import collect
    from tests.conftest import shared_model
    path = shared_model("float/ad01_fp32.tflite")
    g = read_model(path)
    wanted = [t.index for t in g.tensors if t.dtype == "float32" and not t.is_const]
    from tests.quantize.realistic import ad01
    x = ad01(16, 3)
    a = collect(path.read_bytes(), wanted, [x])
    b = collect(path.read_bytes(), wanted, [x[::-1].copy()])
    assert set(a) == set(wanted)
    assert all((a[i].min, a[i].max) == (b[i].min, b[i].max) for i in wanted)
    # the min/max are the true extremes: the model input's are the data's
    i = g.inputs[0].index
    assert (a[i].min, a[i].max) == (float(x.min()), float(x.max()))
    h = collect(path.read_bytes(), [i], [x], bins=64)
    assert h[i].hist.shape == (64,) and h[i].hist.sum() == x.size
