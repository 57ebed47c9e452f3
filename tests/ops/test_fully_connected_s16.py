"""16x8 FULLY_CONNECTED against TFLM: random shapes, per tensor and per unit weights, int64 / int32 / no
bias, every fused activation, keep_num_dims, extreme weights and the int32 accumulator's wrap."""
import numpy as np
import pytest

from mcugen.testing.builder import TensorSpec, single_op_model
from mcugen.testing.compare import rule_problems
from tests.conftest import assert_bit_exact, need_arm_tools
from tests.ops.s16_cases import conv_model, fc_model

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


def test_dsp_dot_product():
    """The DSP dot product (SMLAD on PKHBT-paired inputs and SXTB16 weights, 508-value int32 chunks) on
    cortex-m4 and cortex-m33: FULLY_CONNECTED with depths around the chunk and the 4-value step (1100,
    509, 7), extreme weights, and a CONV_2D that uses the same function per filter tap."""
    need_arm_tools()
    for seed, depth, extreme in ((2300, 1100, True), (2301, 509, True), (2302, 7, False)):
        assert_bit_exact(fc_model(seed, "int64", per_channel=True, depth=depth, extreme=extreme), count=3,
                         boards=("cortex-m4", "cortex-m33"))
    assert_bit_exact(conv_model(2303, False, "int64", per_channel=True, extreme=True), count=3,
                     boards=("cortex-m4", "cortex-m33"))
