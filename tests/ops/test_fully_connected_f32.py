"""FULLY_CONNECTED, float32, against TFLM (within the float tolerance): random batches, depths and unit
counts (including 1 and non-multiples of the kernel's group of 8), fused activations, with and without bias."""
import numpy as np
import pytest

from mcugen.testing.builder import TensorSpec, single_op_model
from tests.ops.f32_cases import check_float

ACTS = ["NONE", "RELU", "RELU6", "RELU_N1_TO_1"]


@pytest.mark.parametrize("seed", range(12))
def test_fully_connected_f32_random(seed):
    rng = np.random.default_rng(900 + seed)
    batches, depth = int(rng.integers(1, 4)), int(rng.integers(1, 70))
    units = [1, 8, 9][seed % 3] if seed < 6 else int(rng.integers(1, 40))
    wt = rng.normal(0, 1, (units, depth)).astype(np.float32)
    bias = None if seed % 4 == 3 else TensorSpec((units,), "float32", data=rng.normal(0, 1, units).astype(np.float32))
    x_shape = (batches, depth) if seed % 2 else (batches, 1, depth)
    model = single_op_model(
        "FULLY_CONNECTED",
        [TensorSpec(x_shape, "float32"), TensorSpec(wt.shape, "float32", data=wt), bias],
        [TensorSpec((batches, units), "float32")],
        {"fused_activation_function": ACTS[seed % 4]})
    check_float(model, __name__, rng)
