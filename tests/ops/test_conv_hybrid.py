"""CONV_2D and DEPTHWISE_CONV_2D, hybrid (float32 activations, int8 weights): against LiteRT's reference
kernels. Seeded random shapes (odd sizes, 1x1 windows read in place, strides, dilations, SAME / VALID
padding), CONV_2D weights with one scale (LiteRT's symmetric EvalHybrid), per-channel scales (asymmetric
EvalHybridPerChannel) and per-channel scales that are all equal (LiteRT takes the symmetric path),
DEPTHWISE_CONV_2D per channel with depth multipliers; fused activations; batch images whose ranges differ by
orders of magnitude, an all-zero image, a non-negative image."""
import numpy as np
import pytest

from mcugen.testing.builder import TensorSpec, single_op_model
from mcugen.testing.compare import rule_problems
from tests.ops.hybrid_cases import check_hybrid, hybrid_inputs

ACTS = ["NONE", "RELU", "RELU6", "RELU_N1_TO_1"]


def out_size(pad, n, k, s, d):
    eff = (k - 1) * d + 1
    return -(-n // s) if pad == "SAME" else (n - eff + s) // s


def conv_model(rng, depthwise, n, ih, iw, ic, kh, kw, oc_or_dm, stride, dil, pad, scales, act, bias=True):
    oc = ic * oc_or_dm if depthwise else oc_or_dm
    wshape = (1, kh, kw, oc) if depthwise else (oc, kh, kw, ic)
    w = rng.integers(-127, 128, wshape).astype(np.int8)
    if scales == "tensor":
        scale, zp = float(rng.uniform(1e-3, 3e-2)), 0
    elif scales == "equal":
        scale, zp = [0.0125] * oc, [0] * oc
    else:
        scale, zp = list(map(float, rng.uniform(1e-3, 3e-2, oc))), [0] * oc
    oh, ow = out_size(pad, ih, kh, stride, dil), out_size(pad, iw, kw, stride, dil)
    opts = {"padding": pad, "stride_h": stride, "stride_w": stride, "dilation_h_factor": dil,
            "dilation_w_factor": dil, "fused_activation_function": act}
    if depthwise:
        opts["depth_multiplier"] = oc_or_dm
    b = TensorSpec((oc,), "float32", data=rng.normal(0, 1, oc).astype(np.float32)) if bias else None
    model = single_op_model(
        "DEPTHWISE_CONV_2D" if depthwise else "CONV_2D",
        [TensorSpec((n, ih, iw, ic), "float32"),
         TensorSpec(wshape, "int8", scale=scale, zero_point=zp, data=w, quantized_dimension=3 if depthwise else 0), b],
        [TensorSpec((n, oh, ow, oc), "float32")], opts)
    return model, (n, ih, iw, ic)


@pytest.mark.parametrize("seed", range(10))
def test_conv_hybrid_random(seed):
    rng = np.random.default_rng(5100 + seed)
    n, ih, iw = int(rng.integers(1, 3)), int(rng.integers(1, 9)), int(rng.integers(1, 9))
    ic = [1, 3, 4, 8, 5][seed % 5]
    kh, kw = (1, 1) if seed % 3 == 0 else (int(rng.integers(1, 4)), int(rng.integers(1, 4)))
    stride = 1 if seed % 3 == 0 else int(rng.integers(1, 3))
    dil = 2 if seed == 7 else 1
    pad = "SAME" if seed % 2 else "VALID"
    ih, iw = max(ih, (kh - 1) * dil + 1), max(iw, (kw - 1) * dil + 1)
    scales = ["tensor", "channel", "equal"][seed % 3]
    model, shape = conv_model(rng, False, n, ih, iw, ic, kh, kw, int(rng.integers(1, 12)), stride, dil, pad,
                              scales, ACTS[seed % 4])
    check_hybrid(model, __name__, [hybrid_inputs(shape, rng)])


@pytest.mark.parametrize("seed", range(8))
def test_depthwise_conv_hybrid_random(seed):
    rng = np.random.default_rng(5300 + seed)
    n, ih, iw = int(rng.integers(1, 3)), int(rng.integers(2, 9)), int(rng.integers(2, 9))
    ic = [1, 3, 4, 8][seed % 4]
    kh, kw = [(3, 3), (1, 1), (2, 3), (3, 1)][seed % 4]
    dm = 2 if seed % 3 == 1 else 1
    stride = int(rng.integers(1, 3))
    pad = "SAME" if seed % 2 == 0 else "VALID"
    model, shape = conv_model(rng, True, n, ih, iw, ic, kh, kw, dm, stride, 1, pad, "channel", ACTS[seed % 4])
    check_hybrid(model, __name__ + ".dw", [hybrid_inputs(shape, rng)])


def test_depthwise_conv_hybrid_rejects_per_tensor_scale():
    """LiteRT refuses a hybrid depthwise filter with one scale for several channels; so does mcugen."""
    rng = np.random.default_rng(9)
    model, _ = conv_model(rng, True, 1, 5, 5, 4, 3, 3, 1, 1, 1, "SAME", "tensor", "NONE")
    assert any("one scale per output channel" in p for p in rule_problems(model))


def test_conv_hybrid_rejects_missing_bias():
    """LiteRT's hybrid CONV_2D needs a bias tensor; mcugen says so instead of compiling it."""
    rng = np.random.default_rng(11)
    model, _ = conv_model(rng, False, 1, 5, 5, 3, 3, 3, 4, 1, 1, "SAME", "channel", "NONE", bias=False)
    assert any("without a bias" in p for p in rule_problems(model))
