"""MEAN (int8) against TFLM: random ranks, axes (negative, repeated, several), keep_dims, quantization."""
import numpy as np
import pytest

from mcugen.ops.mean import fold_extents, mean_multiplier
from mcugen.testing.builder import TensorSpec, single_op_model
from mcugen.testing.random_quant import rand_act_quant
from mcugen.testing.compare import rule_problems


def mean_model(shape, axes, keep, qi, qo, out_shape=None):
    rank = len(shape)
    red = {a % rank for a in axes}
    if out_shape is None:
        out_shape = tuple(1 if d in red else n for d, n in enumerate(shape) if keep or d not in red)
    axis = TensorSpec((len(axes),), "int32", data=np.asarray(axes, np.int32))
    return single_op_model("MEAN", [TensorSpec(tuple(shape), "int8", *qi), axis],
                           [TensorSpec(out_shape, "int8", *qo)], {"keep_dims": keep})


@pytest.mark.parametrize("seed", range(14))
def test_mean_random(seed, bit_exact):
    rng = np.random.default_rng(seed)
    rank = int(rng.integers(2, 5))
    shape = [int(d) for d in rng.integers(1, 8, size=rank)]
    n_axes = int(rng.integers(1, rank + 1))
    axes = [int(a) for a in rng.choice(rank, size=n_axes, replace=False)]
    axes = [a - rank if rng.integers(0, 2) else a for a in axes]  # some negative
    if seed % 5 == 3:
        axes.append(axes[0] - rank if axes[0] >= 0 else axes[0] + rank)  # the same axis twice
    qi = rand_act_quant(rng)
    qo = qi if seed % 3 == 0 else rand_act_quant(rng)  # equal or different quantization
    bit_exact(mean_model(shape, axes, bool(seed % 2), qi, qo), count=6, seed=seed, sanitize=seed == 1)


@pytest.mark.parametrize("keep", [True, False])
def test_mean_global_pool_mobilenet(keep, bit_exact):
    """mobilenet_v2's MEAN: axes [1, 2] of 1x7x7x1280 with equal input and output quantization."""
    q = (0.07054788619279861, -9)
    bit_exact(mean_model((1, 7, 7, 1280), [1, 2], keep, q, q), count=4)


@pytest.mark.parametrize("shape,axes,keep,qi,qo", [
    ((2, 5, 3, 4), [2, 1], True, (0.05, 3), (0.02, -7)),       # spatial axes, listed backwards
    ((3, 6), [0, 1], False, (0.1, -128), (0.1, 127)),          # to a scalar, zero points at the extremes
    ((2, 3, 4, 5, 2), [0, 2, 4], False, (0.05, 3), (0.01, 9)),  # rank 5, three separate blocks
    ((2, 3, 4, 5, 3), [1, 3], True, (0.02, 0), (0.02, 0)),     # rank 5, kept blocks on both ends
    ((1, 16, 16, 3), [1, 2], True, (1e-8, 0), (0.5, -20)),     # count 256 > 2^(31 + shift): shift clamp
    ((4, 9, 5), [1], False, (0.3, 10), (0.002, -5)),           # multiplier > 1: saturates
    ((1, 1, 5, 1), [1, 3], False, (0.05, 1), (0.03, 2)),       # reduced axes of extent 1
])
def test_mean_edges(shape, axes, keep, qi, qo, bit_exact):
    bit_exact(mean_model(shape, axes, keep, qi, qo), count=6, sanitize=len(shape) == 5 and keep)


def test_fold_extents():
    assert fold_extents((1, 7, 7, 1280), [1, 2]) == (1, 1, 1, 49, 1280, 1)
    assert fold_extents((3, 5), [1]) == (1, 1, 1, 1, 3, 5)
    assert fold_extents((2, 3, 4, 5, 6), [0, 2, 4]) == (1, 2, 3, 4, 5, 6)
    assert fold_extents((2, 3, 4, 5, 6), [1, 3]) == (2, 3, 4, 5, 6, 1)
    assert fold_extents((4,), []) == (1, 1, 1, 1, 4, 1)


def test_mean_multiplier_folds_count():
    # in_scale == out_scale: QuantizeMultiplier(1.0) = (2^30, 1); count 49 -> shift 5
    assert mean_multiplier(0.5, 0.5, 49) == (((1 << 30) << 5) // 49, 1 - 5)




def test_mean_rules():
    q = (0.1, 0)
    assert rule_problems(mean_model((2, 3, 4), [-1], False, q, q)) == []
    assert any("out of range" in m for m in rule_problems(mean_model((2, 3, 4), [3], False, q, q, out_shape=(2, 3))))
    assert any("rank 6" in m for m in rule_problems(mean_model((1, 2, 1, 2, 1, 2), [1], True, q, q)))
    assert any("elements" in m for m in rule_problems(mean_model((2, 3, 4), [1], False, q, q, out_shape=(2, 3))))
    # the axes must be a constant tensor
    axis = TensorSpec((1,), "int32")
    m = single_op_model("MEAN", [TensorSpec((2, 3), "int8", *q), axis], [TensorSpec((2,), "int8", *q)],
                        {"keep_dims": False})
    assert any("constant" in p for p in rule_problems(m))
    # int16 MEAN exists in TFLM but not in mcugen
    m = single_op_model("MEAN", [TensorSpec((2, 3), "int16", *q), TensorSpec((1,), "int32", data=np.array([1]))],
                        [TensorSpec((2,), "int16", *q)], {"keep_dims": False})
    assert any("int16" in p for p in rule_problems(m))
