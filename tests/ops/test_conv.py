"""CONV_2D and DEPTHWISE_CONV_2D against TFLM over random shapes, strides, dilations, padding and quantization."""
import numpy as np
import pytest

from mcugen.testing.builder import TensorSpec, single_op_model
from mcugen.testing.random_quant import rand_act_quant, rand_bias, rand_weights

ACTS = ["NONE", "RELU", "RELU6", "RELU_N1_TO_1"]


def _geometry(rng):
    k_h, k_w = int(rng.integers(1, 6)), int(rng.integers(1, 6))
    s_h, s_w = int(rng.integers(1, 4)), int(rng.integers(1, 4))
    d_h, d_w = (int(rng.integers(1, 3)), int(rng.integers(1, 3))) if rng.random() < 0.3 else (1, 1)
    if d_h > 1 or d_w > 1:
        s_h = s_w = 1  # TFLite allows dilation only with stride 1
    pad = "SAME" if rng.random() < 0.5 else "VALID"
    h = int(rng.integers((k_h - 1) * d_h + 1, 14))
    w = int(rng.integers((k_w - 1) * d_w + 1, 14))
    return h, w, k_h, k_w, s_h, s_w, d_h, d_w, pad


def _out(pad, size, k, s, d):
    eff = (k - 1) * d + 1
    return (size + s - 1) // s if pad == "SAME" else (size - eff + s) // s


def _options(rng, s_h, s_w, d_h, d_w, pad, seed):
    return {"padding": pad, "stride_h": s_h, "stride_w": s_w, "dilation_h_factor": d_h,
            "dilation_w_factor": d_w, "fused_activation_function": ACTS[seed % 4]}


@pytest.mark.parametrize("seed", range(16))
def test_conv2d_random(seed, bit_exact):
    rng = np.random.default_rng(100 + seed)
    h, w, k_h, k_w, s_h, s_w, d_h, d_w, pad = _geometry(rng)
    n, c_in, c_out = int(rng.integers(1, 3)), int(rng.integers(1, 9)), int(rng.integers(1, 9))
    (si, zi), (so, zo) = rand_act_quant(rng), rand_act_quant(rng)
    wt, ws = rand_weights(rng, (c_out, k_h, k_w, c_in), per_channel=seed % 3 != 0, axis=0)
    oh, ow = _out(pad, h, k_h, s_h, d_h), _out(pad, w, k_w, s_w, d_w)
    bias = None if seed % 7 == 6 else TensorSpec((c_out,), "int32", [si * s for s in ws], [0] * len(ws),
                                                 data=rand_bias(rng, c_out))
    model = single_op_model(
        "CONV_2D",
        [TensorSpec((n, h, w, c_in), "int8", si, zi), TensorSpec(wt.shape, "int8", ws, [0] * len(ws), data=wt), bias],
        [TensorSpec((n, oh, ow, c_out), "int8", so, zo)],
        _options(rng, s_h, s_w, d_h, d_w, pad, seed))
    bit_exact(model)


@pytest.mark.parametrize("seed", range(16))
def test_depthwise_conv2d_random(seed, bit_exact):
    rng = np.random.default_rng(200 + seed)
    h, w, k_h, k_w, s_h, s_w, d_h, d_w, pad = _geometry(rng)
    n, c_in, mult = int(rng.integers(1, 3)), int(rng.integers(1, 9)), int(rng.integers(1, 4))
    c_out = c_in * mult
    (si, zi), (so, zo) = rand_act_quant(rng), rand_act_quant(rng)
    wt, ws = rand_weights(rng, (1, k_h, k_w, c_out), per_channel=seed % 3 != 0, axis=3)
    oh, ow = _out(pad, h, k_h, s_h, d_h), _out(pad, w, k_w, s_w, d_w)
    options = _options(rng, s_h, s_w, d_h, d_w, pad, seed)
    options["depth_multiplier"] = mult
    model = single_op_model(
        "DEPTHWISE_CONV_2D",
        [TensorSpec((n, h, w, c_in), "int8", si, zi),
         TensorSpec(wt.shape, "int8", ws, [0] * len(ws), data=wt, quantized_dimension=3),
         TensorSpec((c_out,), "int32", [si * s for s in ws], [0] * len(ws), data=rand_bias(rng, c_out))],
        [TensorSpec((n, oh, ow, c_out), "int8", so, zo)], options)
    bit_exact(model)


def test_conv2d_sanitized(bit_exact):
    """One conv with padding on every side, under AddressSanitizer and UBSan."""
    rng = np.random.default_rng(7)
    wt, ws = rand_weights(rng, (5, 3, 3, 4), per_channel=True, axis=0)
    model = single_op_model(
        "CONV_2D",
        [TensorSpec((1, 7, 6, 4), "int8", 0.05, -3), TensorSpec(wt.shape, "int8", ws, [0] * 5, data=wt),
         TensorSpec((5,), "int32", [0.05 * s for s in ws], [0] * 5, data=rand_bias(rng, 5))],
        [TensorSpec((1, 4, 3, 5), "int8", 0.1, 7)],
        {"padding": "SAME", "stride_h": 2, "stride_w": 2})
    bit_exact(model, sanitize=True)
