"""int16 AVERAGE_POOL_2D and MAX_POOL_2D against TFLM over random windows, strides, padding, activations."""
import pytest

from mcugen.testing.builder import TensorSpec, single_op_model
from mcugen.testing.compare import rule_problems, tflm_rejects
from tests.ops.s16_cases import pool_model


@pytest.mark.parametrize("op", ["AVERAGE_POOL_2D", "MAX_POOL_2D"])
@pytest.mark.parametrize("seed", range(8))
def test_pool_s16_random(op, seed, bit_exact):
    bit_exact(pool_model(2300 + seed, op, small=seed < 3))


@pytest.mark.parametrize("op", ["AVERAGE_POOL_2D", "MAX_POOL_2D"])
def test_pool_s16_zero_point(op, bit_exact):
    """TFLM's int16 pools take any zero point shared by input and output (it only moves the activation
    range): a nonzero one compiles and matches."""
    model = single_op_model(op, [TensorSpec((1, 5, 4, 3), "int16", 1e-3, 300)],
                            [TensorSpec((1, 2, 2, 3), "int16", 1e-3, 300)],
                            {"padding": "VALID", "filter_height": 2, "filter_width": 2, "stride_h": 2, "stride_w": 2,
                             "fused_activation_function": "RELU6"})
    assert not tflm_rejects(model) and rule_problems(model) == []
    bit_exact(model)
