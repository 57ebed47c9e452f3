"""Case builders shared by the element-wise math tests (MAXIMUM/MINIMUM, comparisons, SQUARED_DIFFERENCE,
SELECT_V2): random broadcast pairs and random data for constant operands."""
import numpy as np

from mcugen.testing.builder import TensorSpec, single_op_model
from mcugen.testing.random_quant import rand_act_quant

from tests.ops.binary_cases import out_shape, rand_pair

KINDS = ["same", "scalar", "one", "channel", "cross", "random", "random", "random"]


def rand_s16_quant(rng, zero=True):
    s = float(np.exp(rng.uniform(np.log(1e-5), np.log(1e-2))))
    return s, 0 if zero else int(rng.integers(-300, 300))


def rand_quant(rng, dtype):
    if dtype == "int8":
        return rand_act_quant(rng)
    if dtype == "int16":
        return rand_s16_quant(rng)
    return None, None


def rand_data(rng, shape, dtype):
    if dtype == "float32":
        return rng.uniform(-4, 4, size=shape).astype(np.float32)
    if dtype == "bool":
        return rng.integers(0, 2, size=shape).astype(bool)
    info = np.iinfo(dtype)
    return rng.integers(info.min, int(info.max) + 1, size=shape, dtype=dtype)


def rand_shapes(rng, seed):
    """Two broadcasting input shapes; the rank-0 side, if any, is made the second (it becomes a constant)."""
    a, b = rand_pair(rng, KINDS[seed % len(KINDS)])
    if rng.integers(2) and len(a) and len(b):
        a, b = b, a
    if len(a) == 0:
        a, b = (b, a) if len(b) else ((1,), b)
    return a, b


def binary_model(op, a, b, dtype, qa, qb, out_dtype, qo, const_b=None, options=None, out=None):
    return single_op_model(op, [TensorSpec(a, dtype, *qa), TensorSpec(b, dtype, *qb, data=const_b)],
                           [TensorSpec(out or out_shape(a, b), out_dtype, *qo)], options)
