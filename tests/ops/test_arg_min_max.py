"""ARG_MAX and ARG_MIN (int8, float32 inputs; int32 output; negative axes; ties) against TFLM."""
import numpy as np
import pytest

from mcugen.oracle import tflm
from mcugen.testing.builder import TensorSpec, single_op_model
from mcugen.testing.compare import rule_problems
from mcugen.testing.random_quant import rand_act_quant


def arg_model(op, shape, axis, dtype="int8", q=(0.1, 0), out="int32", axis_dtype="int32", data=None):
    rank = len(shape)
    a = axis % rank
    oshape = tuple(n for d, n in enumerate(shape) if d != a)
    return single_op_model(op, [TensorSpec(shape, dtype, *q, data=data),
                                TensorSpec((1,), axis_dtype, data=np.array([axis]))],
                           [TensorSpec(oshape, out)], {"output_type": out.upper()})


@pytest.mark.parametrize("seed", range(10))
def test_arg_min_max_random(seed, bit_exact):
    rng = np.random.default_rng(seed)
    op = "ARG_MAX" if seed % 2 == 0 else "ARG_MIN"
    dtype = "float32" if seed % 5 == 4 else "int8"
    rank = int(rng.integers(1, 7))
    shape = tuple(int(d) for d in rng.integers(1, 6, size=rank))
    axis = int(rng.integers(-rank, rank))
    q = rand_act_quant(rng) if dtype == "int8" else (None, None)
    if rank == 1:  # keep the output at rank >= 1: reduce the second of two dimensions
        shape, axis = (2, *shape), 1
    bit_exact(arg_model(op, shape, axis, dtype, q), count=6, seed=seed, sanitize=seed in (3, 4))


@pytest.mark.parametrize("op", ["ARG_MAX", "ARG_MIN"])
def test_arg_ties(op, bit_exact):
    """Ties keep the first index: the sampled all-minimum and all-maximum inputs are all ties."""
    bit_exact(arg_model(op, (3, 40), 1), count=4)


def test_arg_rules():
    assert rule_problems(arg_model("ARG_MAX", (2, 3), -1)) == []
    for kw in ({"dtype": "int16"}, {"out": "int64"}, {"axis_dtype": "int64"}):
        m = arg_model("ARG_MAX", (2, 3), 1, **kw)
        assert any("not supported" in p for p in rule_problems(m)), kw
        with pytest.raises(RuntimeError):
            tflm.run(m, [np.zeros((1, 2, 3), kw.get("dtype", "int8"))], 1)
    bad_axis = single_op_model("ARG_MAX", [TensorSpec((2, 3), "int8", 0.1, 0),
                                           TensorSpec((1,), "int32", data=np.array([2]))],
                               [TensorSpec((2,), "int32")], {"output_type": "INT32"})
    assert any("out of range" in p for p in rule_problems(bad_axis))
