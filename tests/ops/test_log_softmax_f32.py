"""LOG_SOFTMAX, float32, against TFLM within the float tolerance: random shapes (rank 1 to 4, depth 1
included) and inputs spread wide enough that most exponentials underflow."""
import numpy as np
import pytest

from mcugen.testing.builder import TensorSpec, single_op_model
from tests.ops.f32_cases import check_float


@pytest.mark.parametrize("seed", range(8))
def test_log_softmax_f32_random(seed):
    rng = np.random.default_rng(1900 + seed)
    rank = int(rng.integers(1, 5))
    shape = tuple(int(rng.integers(1, 6)) for _ in range(rank - 1)) + (1 if seed == 3 else int(rng.integers(1, 40)),)
    model = single_op_model("LOG_SOFTMAX", [TensorSpec(shape, "float32")], [TensorSpec(shape, "float32")])
    check_float(model, __name__, rng, scale=[4.0, 30.0][seed % 2])
