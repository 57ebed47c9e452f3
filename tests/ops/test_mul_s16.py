"""MUL, int16 (16x8 scheme), against TFLM: random broadcast shapes of rank 1-6, zero points 0 (TFLM requires
them), fused activations, multipliers above and below one, and the int16 extremes."""
import numpy as np
import pytest

from mcugen.testing.builder import TensorSpec, single_op_model
from mcugen.testing.compare import rule_problems, tflm_rejects

from tests.ops.binary_cases import ACTS, out_quant_s16, out_shape, rand_inputs, rand_quant_s16

KINDS = ["same", "scalar", "one", "channel", "cross", "random", "random"]


@pytest.mark.parametrize("seed", range(14))
def test_mul_s16_random(seed, bit_exact):
    rng = np.random.default_rng(2000 + seed)
    kind = KINDS[seed % len(KINDS)]
    a, b = rand_inputs(rng, kind)
    act = ACTS[seed % 4]
    pot = seed % 3 == 0
    q1, q2 = rand_quant_s16(rng, pot, zero_point=False), rand_quant_s16(rng, pot, zero_point=False)
    so, _ = out_quant_s16(rng, "MUL", q1, q2, act, pot=pot)
    if seed % 5 == 4:
        so *= 1e-3  # a large multiplier: the product saturates
    const = seed % 3 == 1 or len(b) == 0
    data = rng.integers(-32768, 32768, size=b, dtype=np.int16) if const else None
    model = single_op_model("MUL", [TensorSpec(a, "int16", *q1), TensorSpec(b, "int16", *q2, data=data)],
                            [TensorSpec(out_shape(a, b), "int16", so, 0)], {"fused_activation_function": act})
    bit_exact(model, sanitize=seed == 5)


def test_mul_s16_extremes(bit_exact):
    """(-32768)^2 and its neighbours, on a multiplier above one and one below."""
    row = np.array([-32768, -32767, -1, 0, 1, 32766, 32767], np.int16).reshape(1, -1)
    for so in (2.0 ** -20, 0.37 * 2.0 ** -24):
        model = single_op_model("MUL", [TensorSpec((8, 1), "int16", 2.0 ** -12, 0),
                                        TensorSpec(row.shape, "int16", 2.0 ** -12, 0, data=row)],
                                [TensorSpec((8, row.shape[1]), "int16", so, 0)])
        bit_exact(model, count=6)


def _model(dtypes=("int16", "int16", "int16"), zps=(0, 0, 0)):
    return single_op_model("MUL", [TensorSpec((2, 3), dtypes[0], 0.001, zps[0]), TensorSpec((3,), dtypes[1], 0.001, zps[1])],
                           [TensorSpec((2, 3), dtypes[2], 0.001, zps[2])])


def test_mul_s16_rules():
    assert rule_problems(_model()) == []
    for zps in ((3, 0, 0), (0, -1, 0), (0, 0, 5)):
        m = _model(zps=zps)
        assert tflm_rejects(m)
        assert any("zero point" in p for p in rule_problems(m)), zps
    # TFLM accepts int16 inputs with an int8 output but writes int16 values into the int8 buffer
    assert any("is not supported" in p for p in rule_problems(_model(("int16", "int16", "int8"))))
    assert any("is not supported" in p for p in rule_problems(_model(("int16", "int8", "int16"))))
