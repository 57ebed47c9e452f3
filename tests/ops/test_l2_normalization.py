"""L2_NORMALIZATION (int8, last axis, rank <= 4) against TFLM."""
import numpy as np
import pytest

from mcugen.testing.builder import TensorSpec, single_op_model
from mcugen.testing.compare import rule_problems, tflm_rejects
from mcugen.testing.random_quant import rand_act_quant


def model(shape, qi, qo=(1 / 128, 0), act="NONE"):
    return single_op_model("L2_NORMALIZATION", [TensorSpec(shape, "int8", *qi)], [TensorSpec(shape, "int8", *qo)],
                           {"fused_activation_function": act})


@pytest.mark.parametrize("seed", range(8))
def test_l2norm_random(seed, bit_exact):
    rng = np.random.default_rng(seed)
    shape = tuple(int(d) for d in rng.integers(1, 9, size=int(rng.integers(1, 5))))
    if seed % 4 == 3:
        shape = shape[:-1] + (int(rng.integers(100, 1200)),)  # long rows: large sums of squares
    # the output quantization is not looked at by TFLM: the result is in 1/128 whatever it says
    qo = (1 / 128, 0) if seed % 3 else rand_act_quant(rng)
    bit_exact(model(shape, rand_act_quant(rng), qo), count=8, seed=seed, sanitize=seed in (3, 4))


def test_l2norm_rules():
    q = (0.1, 0)
    assert rule_problems(model((2, 5), q)) == []
    for bad in (model((1, 2, 2, 2, 5), q), model((2, 5), q, act="RELU")):
        assert rule_problems(bad) and tflm_rejects(bad)


@pytest.mark.parametrize("shape", [(3, 5, 33), (2, 300)])
def test_l2norm_f32(shape, bit_exact):
    """float32: the squares are added in TFLM's order, so the results are bit-exact."""
    bit_exact(single_op_model("L2_NORMALIZATION", [TensorSpec(shape, "float32")], [TensorSpec(shape, "float32")]),
              count=4)
