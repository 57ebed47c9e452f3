"""MEAN, SUM (int8, int16), REDUCE_MAX / REDUCE_MIN (int8) against TFLM: random ranks, axes (negative,
repeated, several), keep_dims, quantization."""
import numpy as np
import pytest

from mcugen.ops.mean import fold_extents, mean_multiplier
from mcugen.testing.builder import OpSpec, TensorSpec, build_model, single_op_model
from mcugen.testing.random_quant import rand_act_quant
from mcugen.testing.compare import rule_problems
from mcugen.oracle import tflm


def mean_model(shape, axes, keep, qi, qo, out_shape=None, op="MEAN", dtype="int8"):
    rank = len(shape)
    red = {a % rank for a in axes}
    if out_shape is None:
        out_shape = tuple(1 if d in red else n for d, n in enumerate(shape) if keep or d not in red)
    axis = TensorSpec((len(axes),), "int32", data=np.asarray(axes, np.int32))
    return single_op_model(op, [TensorSpec(tuple(shape), dtype, *qi), axis],
                           [TensorSpec(out_shape, dtype, *qo)], {"keep_dims": keep})


def rand_axes(rng, rank, repeat=False):
    n_axes = int(rng.integers(1, rank + 1))
    axes = [int(a) for a in rng.choice(rank, size=n_axes, replace=False)]
    axes = [a - rank if rng.integers(0, 2) else a for a in axes]  # some negative
    if repeat:
        axes.append(axes[0] - rank if axes[0] >= 0 else axes[0] + rank)  # the same axis twice
    return axes


def rand_s16_quant(rng):
    """An int16 scale in [1e-5, 1e-2) with zero point 0 (the converter's), or now and then not 0."""
    s = float(np.exp(rng.uniform(np.log(1e-5), np.log(1e-2))))
    return s, 0 if rng.integers(0, 3) else int(rng.integers(-300, 300))


REDUCE_CASES = [("MEAN", "int16"), ("SUM", "int8"), ("SUM", "int16"), ("REDUCE_MAX", "int8"), ("REDUCE_MIN", "int8")]


@pytest.mark.parametrize("seed", range(6))
@pytest.mark.parametrize("op,dtype", REDUCE_CASES, ids=[f"{o}-{d}" for o, d in REDUCE_CASES])
def test_reduce_random(op, dtype, seed, bit_exact):
    rng = np.random.default_rng(1000 + seed)
    rank = int(rng.integers(1, 6))
    shape = [int(d) for d in rng.integers(1, 7, size=rank)]
    axes = rand_axes(rng, rank, repeat=seed % 4 == 3)
    count = int(np.prod([shape[a] for a in {a % rank for a in axes}]))
    qi = rand_act_quant(rng) if dtype == "int8" else rand_s16_quant(rng)
    if op.startswith("REDUCE_"):
        qo = qi  # TFLM demands equal quantization
    elif op == "SUM":
        qo = (qi[0] * count ** rng.uniform(0.3, 1.0), qi[1] if seed % 3 == 0 else int(rng.integers(-20, 20)))
    else:
        qo = qi if seed % 3 == 0 else (rand_act_quant(rng) if dtype == "int8" else rand_s16_quant(rng))
    bit_exact(mean_model(shape, axes, bool(seed % 2), qi, qo, op=op, dtype=dtype), count=6, seed=seed,
              sanitize=seed == 1)


@pytest.mark.parametrize("op,shape,axes,qi,qo", [
    ("MEAN", (3, 300), [1], (1e-4, 0), (1e-4, 0)),          # int16 extremes, equal quantization
    ("MEAN", (2, 5, 7), [0, 2], (3e-4, -32768), (2e-4, 32767)),  # zero points at the extremes
    ("SUM", (4, 200), [-1], (1e-4, 0), (1e-2, 0)),          # sum of 200 values, no saturation
    ("SUM", (4, 200), [1], (1e-4, 0), (1e-4, 0)),           # saturates at the int16 limits
    ("SUM", (1, 70000), [1], (1e-4, 5), (0.5, 0)),          # 70000 int16 values: the int32 sum may wrap
])
def test_reduce_s16_edges(op, shape, axes, qi, qo, bit_exact):
    bit_exact(mean_model(shape, axes, False, qi, qo, op=op, dtype="int16"), count=5)


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
    # int16 MEAN and SUM are supported
    assert rule_problems(mean_model((2, 3), [1], False, q, q, dtype="int16")) == []
    assert rule_problems(mean_model((2, 3), [1], False, q, (0.2, 1), op="SUM", dtype="int16")) == []


@pytest.mark.parametrize("op", ["REDUCE_MAX", "REDUCE_MIN"])
def test_reduce_max_rules(op):
    """TFLM's REDUCE_MAX / REDUCE_MIN fail at invoke for int16 and for differing quantization: mcugen rejects them."""
    q = (0.1, 0)
    x = np.arange(6).reshape(1, 2, 3)
    for dtype, qo in (("int16", q), ("int8", (0.2, 1)), ("int8", (0.1, 1))):
        m = mean_model((2, 3), [1], False, q, qo, op=op, dtype=dtype)
        assert rule_problems(m), (dtype, qo)
        with pytest.raises(RuntimeError):
            tflm.run(m, [x.astype(dtype)], 1)
    assert rule_problems(mean_model((2, 3), [1], False, q, q, op=op)) == []


F32_OPS = ["MEAN", "SUM", "REDUCE_MAX", "REDUCE_MIN"]


def f32_reduce_model(shape, axes, keep):
    """The four float32 reductions of one input in one model."""
    rank = len(shape)
    red = {a % rank for a in axes}
    out_shape = tuple(1 if d in red else n for d, n in enumerate(shape) if keep or d not in red)
    tensors = [TensorSpec(tuple(shape), "float32"), TensorSpec((len(axes),), "int32", data=np.asarray(axes, np.int32))]
    tensors += [TensorSpec(out_shape, "float32") for _ in F32_OPS]
    ops = [OpSpec(op, [0, 1], [2 + i], {"keep_dims": keep}) for i, op in enumerate(F32_OPS)]
    return build_model(tensors, ops, [0], list(range(2, 2 + len(F32_OPS))))


@pytest.mark.parametrize("seed", range(6))
def test_reduce_f32_random(seed, bit_exact):
    """float32 results are bit-exact too: the values are added in TFLM's order."""
    rng = np.random.default_rng(2000 + seed)
    rank = int(rng.integers(1, 6))
    shape = [int(d) for d in rng.integers(1, 8, size=rank)]
    bit_exact(f32_reduce_model(shape, rand_axes(rng, rank, repeat=seed == 3), bool(seed % 2)), count=5, seed=seed)


@pytest.mark.parametrize("keep", [True, False])
def test_reduce_f32_spatial(keep, bit_exact):
    """4-D axes {1, 2}: TFLM's float MEAN has a separate path for it with keep_dims."""
    bit_exact(f32_reduce_model((2, 9, 7, 5), [2, 1], keep), count=4)
