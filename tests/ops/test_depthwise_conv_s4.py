"""DEPTHWISE_CONV_2D with int4 weights (scheme s4) against TFLM: random shapes, depth multipliers, strides,
dilations, padding, activations, per-channel and per-tensor quantization; the filter in the model's own dense
packing (odd tap x channel counts split a byte between taps). The first cases also run under QEMU."""
import pytest

from tests.ops.test_conv_s4 import conv_s4_model


@pytest.mark.parametrize("seed", range(12))
def test_depthwise_conv2d_s4_random(seed, bit_exact):
    # the first cases also run on the QEMU boards: keep them small
    bit_exact(conv_s4_model(4200 + seed, True, per_channel=seed % 3 != 2, small=seed < 6))
