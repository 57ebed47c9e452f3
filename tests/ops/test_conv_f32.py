"""CONV_2D and DEPTHWISE_CONV_2D, float32, against TFLM (within the float tolerance) over random shapes,
strides, dilations, padding, fused activations, with and without bias."""
import numpy as np
import pytest

from mcugen.testing.builder import TensorSpec, single_op_model
from tests.ops.f32_cases import check_float
from tests.ops.test_conv import _geometry, _options, _out


def _bias(rng, n, seed):
    return None if seed % 5 == 4 else TensorSpec((n,), "float32", data=rng.normal(0, 1, n).astype(np.float32))


@pytest.mark.parametrize("seed", range(12))
def test_conv2d_f32_random(seed):
    rng = np.random.default_rng(700 + seed)
    h, w, k_h, k_w, s_h, s_w, d_h, d_w, pad = _geometry(rng)
    n, c_in, c_out = int(rng.integers(1, 3)), int(rng.integers(1, 9)), int(rng.integers(1, 19))
    wt = rng.normal(0, 1, (c_out, k_h, k_w, c_in)).astype(np.float32)
    oh, ow = _out(pad, h, k_h, s_h, d_h), _out(pad, w, k_w, s_w, d_w)
    model = single_op_model(
        "CONV_2D",
        [TensorSpec((n, h, w, c_in), "float32"), TensorSpec(wt.shape, "float32", data=wt), _bias(rng, c_out, seed)],
        [TensorSpec((n, oh, ow, c_out), "float32")],
        _options(rng, s_h, s_w, d_h, d_w, pad, seed))
    check_float(model, __name__, rng)


@pytest.mark.parametrize("seed", range(12))
def test_depthwise_conv2d_f32_random(seed):
    rng = np.random.default_rng(800 + seed)
    h, w, k_h, k_w, s_h, s_w, d_h, d_w, pad = _geometry(rng)
    n, c_in = int(rng.integers(1, 3)), int(rng.integers(1, 11))
    mult = 1 if seed % 3 else int(rng.integers(1, 4))
    c_out = c_in * mult
    wt = rng.normal(0, 1, (1, k_h, k_w, c_out)).astype(np.float32)
    oh, ow = _out(pad, h, k_h, s_h, d_h), _out(pad, w, k_w, s_w, d_w)
    options = _options(rng, s_h, s_w, d_h, d_w, pad, seed)
    options["depth_multiplier"] = mult
    bias = TensorSpec((c_out,), "float32", data=rng.normal(0, 1, c_out).astype(np.float32))
    model = single_op_model(
        "DEPTHWISE_CONV_2D",
        [TensorSpec((n, h, w, c_in), "float32"), TensorSpec(wt.shape, "float32", data=wt), bias],
        [TensorSpec((n, oh, ow, c_out), "float32")], options)
    check_float(model, __name__, rng)
