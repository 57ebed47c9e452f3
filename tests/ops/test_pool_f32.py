"""AVERAGE_POOL_2D and MAX_POOL_2D, float32, against TFLM (within the float tolerance): random windows,
strides, padding (windows clipped at the edges) and fused activations."""
import numpy as np
import pytest

from mcugen.testing.builder import TensorSpec, single_op_model
from tests.ops.f32_cases import check_float

ACTS = ["NONE", "RELU", "RELU6", "RELU_N1_TO_1"]


def _out(pad, size, k, s):
    return (size + s - 1) // s if pad == "SAME" else (size - k + s) // s


@pytest.mark.parametrize("op", ["AVERAGE_POOL_2D", "MAX_POOL_2D"])
@pytest.mark.parametrize("seed", range(8))
def test_pool_f32_random(op, seed):
    rng = np.random.default_rng(1000 + seed + (50 if op == "MAX_POOL_2D" else 0))
    k_h, k_w = int(rng.integers(1, 5)), int(rng.integers(1, 5))
    s_h, s_w = int(rng.integers(1, 4)), int(rng.integers(1, 4))
    pad = "SAME" if seed % 2 else "VALID"
    n, h, w, c = int(rng.integers(1, 3)), int(rng.integers(k_h, 12)), int(rng.integers(k_w, 12)), int(rng.integers(1, 10))
    model = single_op_model(
        op, [TensorSpec((n, h, w, c), "float32")],
        [TensorSpec((n, _out(pad, h, k_h, s_h), _out(pad, w, k_w, s_w), c), "float32")],
        {"padding": pad, "stride_h": s_h, "stride_w": s_w, "filter_height": k_h, "filter_width": k_w,
         "fused_activation_function": ACTS[seed % 4]})
    check_float(model, __name__, rng)
