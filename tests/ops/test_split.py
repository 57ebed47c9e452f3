"""SPLIT, SPLIT_V and UNPACK against TFLM over random shapes, axes (negative too) and types, plus the rules."""
import numpy as np
import pytest

from mcugen.testing.builder import single_op_model
from mcugen.testing.compare import rule_problems, tflm_rejects

from .shape_cases import seeds, const, rand_shape, tensor

TYPES = ["int8", "int16", "int32", "float32"]


def split_model(shape, axis, k, dtype, rng=None):
    x = tensor(shape, dtype, rng)
    out = list(shape)
    out[axis] = shape[axis] // k
    ys = [tensor(out, dtype, q=(x.scale, x.zero_point)) for _ in range(k)]
    return single_op_model("SPLIT", [const(axis), x], ys, {"num_splits": k})


def split_v_model(shape, axis, sizes, dtype, rng=None):
    x = tensor(shape, dtype, rng)
    real = list(sizes)
    if -1 in real:
        real[real.index(-1)] = shape[axis] - sum(s for s in real if s != -1)
    ys = []
    for s in real:
        out = list(shape)
        out[axis] = s
        ys.append(tensor(out, dtype, q=(x.scale, x.zero_point)))
    return single_op_model("SPLIT_V", [x, const(sizes), const(axis)], ys, {"num_splits": len(sizes)})


def unpack_model(shape, axis, dtype, rng=None):
    x = tensor(shape, dtype, rng)
    out = list(shape)
    del out[axis]
    ys = [tensor(out, dtype, q=(x.scale, x.zero_point)) for _ in range(shape[axis])]
    return single_op_model("UNPACK", [x], ys, {"num": shape[axis], "axis": axis})


@pytest.mark.parametrize("seed", seeds(6))
def test_split_random(seed, bit_exact):
    rng = np.random.default_rng(seed)
    rank = 1 + seed % 5
    shape = list(rand_shape(rng, rank, 1, 5))
    axis = int(rng.integers(-rank, rank))
    k = int(rng.integers(1, 4))
    shape[axis] *= k
    bit_exact(split_model(tuple(shape), axis, k, TYPES[seed % 4], rng), sanitize=seed == 3)


@pytest.mark.parametrize("seed", seeds(6))
def test_split_v_random(seed, bit_exact):
    rng = np.random.default_rng(50 + seed)
    rank = 1 + seed % 4
    shape = list(rand_shape(rng, rank, 1, 4))
    axis = int(rng.integers(-rank, rank))
    # (a zero-size graph output is refused by the compiler: mcugen reads 0 as a dynamic dimension)
    sizes = [int(s) for s in rng.integers(1, 4, size=int(rng.integers(1, 4)))]
    if seed % 3 == 0:
        sizes[int(rng.integers(len(sizes)))] = -1
    shape[axis] = sum(max(s, 0) for s in sizes) + (2 if -1 in sizes else 0)
    if shape[axis] == 0:
        sizes[0], shape[axis] = 1, 1
    bit_exact(split_v_model(tuple(shape), axis, sizes, TYPES[seed % 4], rng), sanitize=seed == 5)


@pytest.mark.parametrize("seed", seeds(5))
def test_unpack_random(seed, bit_exact):
    rng = np.random.default_rng(90 + seed)
    rank = 1 + seed % 4 if seed % 4 else 2
    shape = rand_shape(rng, rank, 1, 4)
    axis = int(rng.integers(-rank, rank))
    bit_exact(unpack_model(shape, axis, TYPES[seed % 4], rng))


def test_split_rules():
    x = tensor((4, 6), "int8")
    bad_axis = single_op_model("SPLIT", [tensor((), "int32"), x], [tensor((2, 6), "int8")] * 2, {"num_splits": 2})
    assert any("constant" in m for m in rule_problems(bad_axis))
    uneven = single_op_model("SPLIT", [const(1), x], [tensor((4, 2), "int8")] * 4, {"num_splits": 4})
    assert any("divisible" in m for m in rule_problems(uneven))
    assert not tflm_rejects(uneven)  # TFLM does not check (its kernel then reads past the input)
    # types TFLM fails at Eval
    for dt in ("uint8", "int64", "bool"):
        m = single_op_model("SPLIT", [const(0), tensor((2, 2), dt)], [tensor((1, 2), dt)] * 2, {"num_splits": 2})
        assert any("needs int8" in p for p in rule_problems(m)), dt
    two_minus = split_v_model((2, 5), 1, [2, 3], "int8")
    assert rule_problems(two_minus) == []
    bad_v = single_op_model("SPLIT_V", [tensor((2, 5), "int8"), const([-1, -1]), const(1)],
                            [tensor((2, 2), "int8"), tensor((2, 3), "int8")], {"num_splits": 2})
    assert any("at most one -1" in m for m in rule_problems(bad_v))


def test_zero_size_piece_rejected():
    """A zero-size piece (SPLIT_V size 0, SLICE size 0): TFLM reads a 0 dimension as dynamic and refuses
    the model; so does mcugen, with a rule that says why."""
    from mcugen.testing.builder import OpSpec, build_model
    q = (0.05, 3)
    ts = [tensor((2, 5), "int8", q=q), const([2, 0, -1]), const(1),
          tensor((2, 2), "int8", q=q), tensor((2, 0), "int8", q=q), tensor((2, 3), "int8", q=q),
          tensor((2, 5), "int8", q=q)]
    ops = [OpSpec("SPLIT_V", [0, 1, 2], [3, 4, 5], {"num_splits": 3}),
           OpSpec("CONCATENATION", [5, 4, 3], [6], {"axis": 1})]
    m = build_model(ts, ops, [0], [6])
    assert tflm_rejects(m) and any("zero-size" in p for p in rule_problems(m))
    ts = [tensor((2, 5), "int8", q=q), const([0, 1]), const([2, 0]), tensor((2, 0), "int8", q=q),
          tensor((2, 5), "int8", q=q)]
    ops = [OpSpec("SLICE", [0, 1, 2], [3]), OpSpec("CONCATENATION", [0, 3], [4], {"axis": 1})]
    m = build_model(ts, ops, [0], [4])
    assert tflm_rejects(m) and any("zero-size" in p for p in rule_problems(m))
