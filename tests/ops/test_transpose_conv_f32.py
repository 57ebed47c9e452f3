"""TRANSPOSE_CONV, float32, against TFLM within the float tolerance (in practice bit-exact: the gathered sums
add in the order of TFLM's scatter) over random shapes, strides, SAME/VALID padding, fused activations, with
and without bias."""
import numpy as np
import pytest

from mcugen.testing.builder import TensorSpec, single_op_model
from mcugen.testing.compare import rule_problems
from tests.ops.f32_cases import check_float

ACTS = ["NONE", "RELU", "RELU6", "RELU_N1_TO_1"]


def tconv_f32_model(rng, seed, small=False):
    kh, kw = int(rng.integers(1, 5)), int(rng.integers(1, 5))
    sh, sw = int(rng.integers(1, 4)), int(rng.integers(1, 4))
    ih, iw = int(rng.integers(1, 4 if small else 7)), int(rng.integers(1, 4 if small else 7))
    n = 1 if small else int(rng.integers(1, 3))
    ic, oc = int(rng.integers(1, 4 if small else 9)), int(rng.integers(1, 4 if small else 9))
    pad = "SAME" if seed % 2 else "VALID"
    oh = ih * sh if pad == "SAME" else (ih - 1) * sh + kh
    ow = iw * sw if pad == "SAME" else (iw - 1) * sw + kw
    w = rng.normal(0, 1, (oc, kh, kw, ic)).astype(np.float32)
    bias = None if seed % 5 == 4 else TensorSpec((oc,), "float32", data=rng.normal(0, 1, oc).astype(np.float32))
    shape = (n, oh, ow, oc)
    return single_op_model(
        "TRANSPOSE_CONV",
        [TensorSpec((4,), "int32", data=np.array(shape, np.int32)), TensorSpec(w.shape, "float32", data=w),
         TensorSpec((n, ih, iw, ic), "float32"), bias],
        [TensorSpec(shape, "float32")],
        {"padding": pad, "stride_h": sh, "stride_w": sw, "fused_activation_function": ACTS[seed % 4]})


@pytest.mark.parametrize("seed", range(12))
def test_transpose_conv_f32_random(seed):
    rng = np.random.default_rng(1700 + seed)
    model = tconv_f32_model(rng, seed, small=seed < 2)
    assert rule_problems(model) == []
    errs = check_float(model, __name__, rng)
    assert errs[0].max_abs == 0.0, errs[0].describe()
