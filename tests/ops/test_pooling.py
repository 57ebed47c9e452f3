"""AVERAGE_POOL_2D and MAX_POOL_2D against TFLM over random windows, strides and padding."""
import numpy as np
import pytest

from mcugen.testing.builder import TensorSpec, single_op_model
from mcugen.testing.random_quant import rand_act_quant

ACTS = ["NONE", "RELU", "RELU6", "RELU_N1_TO_1"]


@pytest.mark.parametrize("op", ["AVERAGE_POOL_2D", "MAX_POOL_2D"])
@pytest.mark.parametrize("seed", range(10))
def test_pool_random(op, seed, bit_exact):
    rng = np.random.default_rng(300 + seed)
    k_h, k_w = int(rng.integers(1, 5)), int(rng.integers(1, 5))
    s_h, s_w = int(rng.integers(1, 4)), int(rng.integers(1, 4))
    h, w = int(rng.integers(k_h, 13)), int(rng.integers(k_w, 13))
    n, c = int(rng.integers(1, 3)), int(rng.integers(1, 10))
    pad = "SAME" if seed % 2 else "VALID"
    oh = (h + s_h - 1) // s_h if pad == "SAME" else (h - k_h + s_h) // s_h
    ow = (w + s_w - 1) // s_w if pad == "SAME" else (w - k_w + s_w) // s_w
    s, z = rand_act_quant(rng)
    model = single_op_model(
        op, [TensorSpec((n, h, w, c), "int8", s, z)], [TensorSpec((n, oh, ow, c), "int8", s, z)],
        {"padding": pad, "stride_h": s_h, "stride_w": s_w, "filter_height": k_h, "filter_width": k_w,
         "fused_activation_function": ACTS[seed % 4]})
    bit_exact(model)
