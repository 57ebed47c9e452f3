"""16x8 FULLY_CONNECTED against TFLM: random shapes, per tensor and per unit weights, int64 / int32 / no
bias, every fused activation, keep_num_dims, extreme weights and the int32 accumulator's wrap."""
import numpy as np
import pytest

from mcugen.testing.builder import TensorSpec, single_op_model
from mcugen.testing.compare import rule_problems
from tests.ops.s16_cases import fc_model

BIAS = ["int64", "int32", None]


@pytest.mark.parametrize("seed", range(12))
def test_fully_connected_s16_random(seed, bit_exact):
    bit_exact(fc_model(2000 + seed, BIAS[seed % 3], per_channel=seed % 2 == 1, small=seed < 6,
                       keep_dims=seed % 5 == 4))


@pytest.mark.parametrize("bias", ["int64", "int32"])
def test_long_depth_extremes(bias, bit_exact):
    """Depth 1100 (more than two int32 partial sums) with +-127/-128 weights and all-extreme inputs."""
    bit_exact(fc_model(2100, bias, per_channel=True, depth=1100, extreme=True), count=4)


def test_fully_connected_s16_sanitized(bit_exact):
    for seed, b in ((2200, "int64"), (2201, "int32"), (2202, None)):
        bit_exact(fc_model(seed, b, per_channel=bool(seed % 2)), sanitize=True)


def test_weight_zero_point_is_rejected():
    w = np.ones((2, 3), np.int8)
    model = single_op_model(
        "FULLY_CONNECTED", [TensorSpec((1, 3), "int16", 0.1, 0), TensorSpec(w.shape, "int8", [0.1], [2], data=w), None],
        [TensorSpec((1, 2), "int16", 0.1, 0)], {})
    assert any("zero point" in m for m in rule_problems(model))
