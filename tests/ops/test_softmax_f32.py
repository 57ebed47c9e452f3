"""SOFTMAX, float32, against TFLM (within the float tolerance): random shapes (rank 1 to 4, depth 1 included),
beta, and inputs spread wide enough that most exponentials underflow."""
import numpy as np
import pytest

from mcugen.testing.builder import TensorSpec, single_op_model
from tests.ops.f32_cases import check_float


@pytest.mark.parametrize("seed", range(10))
def test_softmax_f32_random(seed):
    rng = np.random.default_rng(1100 + seed)
    rank = int(rng.integers(1, 5))
    shape = tuple(int(rng.integers(1, 6)) for _ in range(rank - 1)) + (1 if seed == 3 else int(rng.integers(1, 40)),)
    beta = float([1.0, 0.5, 2.0, 0.1][seed % 4])
    model = single_op_model("SOFTMAX", [TensorSpec(shape, "float32")], [TensorSpec(shape, "float32")], {"beta": beta})
    check_float(model, __name__, rng, scale=[4.0, 30.0][seed % 2])
