"""LOG_SOFTMAX (int8, last axis) against TFLM: random shapes and input quantization."""
import numpy as np
import pytest

from mcugen.testing.builder import TensorSpec, single_op_model
from mcugen.testing.compare import rule_problems, tflm_rejects
from mcugen.testing.random_quant import rand_act_quant

OUT_Q = (16.0 / 256, 127)


def model(shape, qi, qo=OUT_Q):
    return single_op_model("LOG_SOFTMAX", [TensorSpec(shape, "int8", *qi)], [TensorSpec(shape, "int8", *qo)])


@pytest.mark.parametrize("seed", range(8))
def test_log_softmax_random(seed, bit_exact):
    rng = np.random.default_rng(seed)
    rank = int(rng.integers(1, 5))
    shape = tuple(int(d) for d in rng.integers(1, 9, size=rank))
    if seed % 4 == 3:
        shape = shape[:-1] + (int(rng.integers(100, 400)),)  # long rows
    qi = (float(np.exp(rng.uniform(np.log(0.002), np.log(2.0)))), int(rng.integers(-128, 128)))
    bit_exact(model(shape, qi), count=8, seed=seed, sanitize=seed in (3, 4))


def test_log_softmax_rules():
    q = rand_act_quant(np.random.default_rng(0))
    assert rule_problems(model((2, 5), q)) == []
    bad = model((2, 5), q, (0.1, 127))
    assert any("16/256" in p for p in rule_problems(bad)) and tflm_rejects(bad)
