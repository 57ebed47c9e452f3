"""SELECT_V2 (int8, int16, float32 values, bool condition, three-way broadcasting up to rank 6) against TFLM."""
import numpy as np
import pytest

from mcugen.ops.select import select_plan
from mcugen.testing.builder import OpSpec, TensorSpec, build_model, single_op_model
from mcugen.testing.compare import rule_problems

from tests.ops.math_cases import rand_data, rand_quant

TYPES = ["int8", "int16", "float32"]


def _rand_three(rng):
    rank = int(rng.integers(1, 7))
    out = [int(rng.integers(1, 4)) for _ in range(rank)]
    shapes = []
    for _ in range(3):
        s = [1 if rng.random() < 0.4 else n for n in out]
        shapes.append(tuple(s[int(rng.integers(0, rank + 1)) if rng.random() < 0.3 else 0:]) or (1,))
    return shapes


def select_model(c, x, y, dtype, q, cond=None, const_y=None):
    o = tuple(np.broadcast_shapes(c, x, y))
    return single_op_model("SELECT_V2", [TensorSpec(c, "bool", data=cond), TensorSpec(x, dtype, *q),
                                         TensorSpec(y, dtype, *q, data=const_y)], [TensorSpec(o, dtype, *q)])


@pytest.mark.parametrize("seed", range(10))
def test_select_random(seed, bit_exact):
    """A constant random condition (the sampled bool inputs are all true), x an input, y an input or a
    constant."""
    rng = np.random.default_rng(seed)
    dtype = TYPES[seed % 3]
    c, x, y = _rand_three(rng) if seed % 4 else [(2, 3, 4)] * 3
    q = rand_quant(rng, dtype)
    const_y = rand_data(rng, y, dtype) if seed % 2 else None
    bit_exact(select_model(c, x, y, dtype, q, cond=rand_data(rng, c, "bool"), const_y=const_y),
              sanitize=seed in (3, 4))


@pytest.mark.parametrize("dtype", ["int8", "int16"])
def test_select_computed_condition(dtype, bit_exact):
    """GREATER then SELECT_V2: the condition is computed at run time (an activation of the arena), with
    broadcasting of x against the condition. int16 values are selected by an int8 comparison."""
    q8 = (0.05, 3)
    qv = (0.05, 3) if dtype == "int8" else (1e-4, 0)
    tensors = [TensorSpec((2, 5, 6), "int8", *q8), TensorSpec((6,), "int8", *q8),  # comparison inputs
               TensorSpec((2, 5, 6), "bool"),
               TensorSpec((5, 1), dtype, *qv), TensorSpec((2, 5, 6), dtype, *qv),  # x, y
               TensorSpec((2, 5, 6), dtype, *qv)]
    ops = [OpSpec("GREATER", [0, 1], [2]), OpSpec("SELECT_V2", [2, 3, 4], [5])]
    bit_exact(build_model(tensors, ops, [0, 1, 3, 4], [5]), count=6)


def test_select_plan():
    assert select_plan([(2, 3), (2, 3), (2, 3)], (2, 3))[0] == 0
    assert select_plan([(3,), (2, 3), (1, 1)], (2, 3)) == (2, [2, 3], [[0, 1], [3, 1], [0, 0]])
    assert select_plan([(1,), (1, 1), (1,)], (1, 1))[0] == 0


def test_select_rules():
    q = (0.1, 0)
    assert rule_problems(select_model((2, 3), (3,), (2, 1), "int8", q)) == []
    # SELECT (v1) is not registered in TFLM's micro kernels; int32 values are not a TFLM SELECT_V2 type
    m = single_op_model("SELECT", [TensorSpec((2,), "bool"), TensorSpec((2,), "int8", *q),
                                   TensorSpec((2,), "int8", *q)], [TensorSpec((2,), "int8", *q)])
    assert rule_problems(m)
    assert any("not supported" in p for p in rule_problems(select_model((2,), (2,), (2,), "int32", (None, None))))
    # the condition must be bool, x and y of one type
    m = single_op_model("SELECT_V2", [TensorSpec((2,), "int8", *q), TensorSpec((2,), "int8", *q),
                                      TensorSpec((2,), "int8", *q)], [TensorSpec((2,), "int8", *q)])
    assert any("not supported" in p for p in rule_problems(m))
    m = single_op_model("SELECT_V2", [TensorSpec((2, 3), "bool"), TensorSpec((4,), "int8", *q),
                                      TensorSpec((2, 3), "int8", *q)], [TensorSpec((2, 3), "int8", *q)])
    assert any("broadcast" in p for p in rule_problems(m))
