"""16x8 CONV_2D and DEPTHWISE_CONV_2D (int16 activations, int8 weights) against TFLM over random shapes,
strides, dilations, padding, activations, quantization (per channel and per tensor) and bias types
(int64, int32 for CONV_2D, none). Inputs include all -32768 and all 32767 (sample_inputs)."""
import numpy as np
import pytest

from mcugen.testing.builder import TensorSpec, single_op_model
from mcugen.testing.compare import rule_problems, tflm_rejects
from tests.ops.s16_cases import conv_model

CONV_BIAS = ["int64", "int32", None]


@pytest.mark.parametrize("seed", range(12))
def test_conv2d_s16_random(seed, bit_exact):
    # the first cases also run on the QEMU boards: keep them small
    bit_exact(conv_model(1600 + seed, False, CONV_BIAS[seed % 3], per_channel=seed % 4 != 3, small=seed < 6))


@pytest.mark.parametrize("seed", range(10))
def test_depthwise_conv2d_s16_random(seed, bit_exact):
    bit_exact(conv_model(1700 + seed, True, "int64", per_channel=seed % 4 != 3, small=seed < 3))


@pytest.mark.parametrize("depthwise", [False, True])
def test_extreme_weights(depthwise, bit_exact):
    """Weights of +-127/-128 only, with all-minimum and all-maximum inputs: the largest products."""
    bit_exact(conv_model(1800 + depthwise, depthwise, "int64", per_channel=True, extreme=True))


def test_conv2d_s16_sanitized(bit_exact):
    """Both bias widths and the depthwise kernel under AddressSanitizer and UBSan."""
    for seed, dw, b in ((1900, False, "int64"), (1901, False, "int32"), (1902, True, "int64"), (1903, False, None)):
        bit_exact(conv_model(seed, dw, b, per_channel=True), sanitize=True)


def test_int32_bias_wraps_like_tflm(bit_exact):
    """An int32 bias makes TFLM's int16 CONV_2D sum in int32: 9x9x8 = 648 products of -32768 * -128 overflow
    it, and the generated code wraps the same way."""
    wt = np.full((2, 9, 9, 8), -128, np.int8)
    model = single_op_model(
        "CONV_2D",
        [TensorSpec((1, 9, 9, 8), "int16", 1e-4, 0), TensorSpec(wt.shape, "int8", [0.01, 0.02], [0, 0], data=wt),
         TensorSpec((2,), "int32", [1e-6, 2e-6], [0, 0], data=np.array([5, -7], np.int32))],
        [TensorSpec((1, 1, 1, 2), "int16", 0.5, 0)], {"padding": "VALID"})
    bit_exact(model, count=3)


def _dw(bias_dtype, zp=0):
    wt = np.ones((1, 3, 3, 4), np.int8)
    b = None if bias_dtype is None else TensorSpec((4,), bias_dtype, [1e-5], [0], data=np.zeros(4, np.int64))
    return single_op_model(
        "DEPTHWISE_CONV_2D",
        [TensorSpec((1, 5, 5, 4), "int16", 1e-3, zp), TensorSpec(wt.shape, "int8", [0.01], [0], data=wt,
                                                                  quantized_dimension=3), b],
        [TensorSpec((1, 5, 5, 4), "int16", 1e-2, 0)], {"padding": "SAME", "depth_multiplier": 1})


def test_depthwise_int32_bias_is_rejected():
    """TFLM accepts it but reads the int32 bias as int64 (garbage): mcugen refuses."""
    assert not tflm_rejects(_dw("int32"))
    assert any("needs int64" in m for m in rule_problems(_dw("int32")))
    assert rule_problems(_dw("int64")) == []


def test_int16_zero_point_is_rejected():
    assert any("zero point" in m for m in rule_problems(_dw("int64", zp=3)))
